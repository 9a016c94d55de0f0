import { Args, Command, Flags } from '@oclif/core';
import { reportError } from '../../execute.js';
import { scaffoldPlugin, type ScaffoldKind } from '../../scaffold.js';

export default class PluginsInit extends Command {
  static override summary = 'Start a new plugin: a TypeScript package with a component, a unit test and a README.';
  static override description =
    `Writes a plugin package into DIR (new or empty): package.json with its "reprise" manifest, the component (input, output or middleware, in TypeScript) or a sandboxed middleware script, a unit test on the @reprise/core/testing kit, and a README. It depends on this reprise's @reprise/core and on this reprise itself by file: references, so "npm install && npm test" work outside reprise's repository, and its build (run by npm test and before npm pack) writes reprise.manifest.json with "reprise plugins manifest". Then "npx reprise plugins validate ." and "npx reprise plugins link ." in DIR. The component is named after the folder: input-NAME, output-NAME or middleware-NAME.`;
  static override examples = [
    '<%= config.bin %> plugins init ./reprise-plugin-audit --kind output',
    '<%= config.bin %> plugins init ./reprise-plugin-tokens --kind script',
  ];
  static override args = { dir: Args.string({ description: 'The folder to create (new or empty).', required: true }) };
  static override flags = {
    kind: Flags.string({ summary: 'What the plugin provides.', options: ['input', 'output', 'middleware', 'script'], required: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PluginsInit);
    try {
      const { root, component, files } = scaffoldPlugin(args.dir, flags.kind as ScaffoldKind);
      this.log(`created ${root} with ${component}:`);
      for (const file of files) this.log(`  ${file}`);
      this.log(`next: cd ${root} && npm install && npm test && npx reprise plugins validate . && npx reprise plugins link .`);
    } catch (error) {
      process.exitCode = reportError(error);
    }
  }
}
