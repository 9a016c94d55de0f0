import { Args, Command } from '@oclif/core';
import { EXIT } from '../../exit-codes.js';
import { validatePlugin } from '../../validate-plugin.js';

export default class PluginsValidate extends Command {
  static override summary = 'Check a plugin folder as reprise would load it, without installing it.';
  static override description =
    `Checks the package.json "reprise" manifest and its core range, imports the entry and checks that it exports exactly the declared components, compiles each options schema (its defaults must be valid), and compares reprise.manifest.json with the code. Like link, it first gives the folder this reprise's @reprise/core, which the entry imports (linked into its node_modules, unless that holds a copy of core installed as a real folder). Exits 0 when the plugin would load (warnings are printed), 3 otherwise.`;
  static override examples = ['<%= config.bin %> plugins validate .'];
  static override args = { dir: Args.string({ description: 'The plugin folder (with its package.json).', default: '.' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(PluginsValidate);
    const result = await validatePlugin(args.dir);
    for (const warning of result.warnings) this.log(`warning: ${warning}`);
    for (const problem of result.problems) this.log(`problem: ${problem.message}`);
    if (result.problems.length) {
      this.log(`${result.name}: ${result.problems.length} problem(s); reprise would not load it`);
      process.exitCode = EXIT.plugin;
      return;
    }
    this.log(`${result.name} ${result.version}: valid (${result.components.join(', ')})`);
  }
}
