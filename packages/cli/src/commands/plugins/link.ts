import { commands } from '@oclif/plugin-plugins';
import { allowScriptsFlag, installWithPolicy } from '../../plugin-setup.js';

// oclif's own link command; reprise adds the script policy and what an installed plugin gets.
// biome-ignore lint/suspicious/noExplicitAny: oclif exports its command classes untyped
const Base: any = commands['plugins:link'];

export default class PluginsLink extends Base {
  static summary = 'Use a plugin from a working folder, without packing or installing it.';
  static description =
    `Registers the folder in your data directory ($REPRISE_DATA_DIR). Like an installed plugin, it gets this reprise's @reprise/core (linked into its node_modules, unless that holds a copy of core installed as a real folder) and a reprise.manifest.json if it has none (re-run "reprise plugins manifest DIR" after changing options). When the folder has a package-lock.json its dependencies are installed first, without their install scripts unless --allow-scripts.`;
  static examples = ['<%= config.bin %> plugins link ./reprise-plugin-example'];
  static flags = { ...Base.flags, 'allow-scripts': allowScriptsFlag };

  async run(): Promise<unknown> {
    return installWithPolicy(
      this.argv,
      (message) => this.warn(message),
      () => super.run(),
    );
  }
}
