import { Command } from '@oclif/core';
import { describeCatalog } from '../../catalog-loader.js';

export default class Plugins extends Command {
  static override summary =
    'List the plugins reprise can use: built-in and installed, with kind, version and source (read from their manifests; no plugin code runs).';
  static override description = 'Installed plugins run in-process with your permissions; see "reprise plugins install --help".';
  static override examples = ['<%= config.bin %> plugins'];

  async run(): Promise<void> {
    const { packages, problems } = describeCatalog(false);
    for (const pkg of packages) {
      const where = pkg.source === 'built-in' ? 'built-in' : `${pkg.source} from ${pkg.origin ?? pkg.root}`;
      this.log(`${pkg.name} ${pkg.version} (${where})`);
      for (const component of pkg.manifest.components) this.log(`  ${component.kind.padEnd(10)} --${component.name}`);
    }
    for (const problem of problems) this.log(`not loaded: ${problem.message}`);
  }
}
