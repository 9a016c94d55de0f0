import { Command } from '@oclif/core';
import { loadCatalog } from '../../catalog-loader.js';

export default class Plugins extends Command {
  static override summary = 'List the plugins reprise can use: built-in and installed, with kind, version and source.';
  static override description = 'Installed plugins run in-process with your permissions; see "reprise plugins install --help".';
  static override examples = ['<%= config.bin %> plugins'];

  async run(): Promise<void> {
    const { packages, problems } = await loadCatalog({ all: true }, false);
    for (const pkg of packages) {
      const where = pkg.source === 'built-in' ? 'built-in' : `${pkg.source} from ${pkg.origin ?? pkg.root}`;
      this.log(`${pkg.name} ${pkg.version} (${where})`);
      for (const component of pkg.manifest.components) this.log(`  ${component.kind.padEnd(10)} --${component.name}`);
    }
    for (const problem of problems) this.log(`not loaded: ${problem.message}`);
  }
}
