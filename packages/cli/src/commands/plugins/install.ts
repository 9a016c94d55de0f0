import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { commands } from '@oclif/plugin-plugins';
import { allowScriptsFlag, installWithPolicy } from '../../plugin-setup.js';

// oclif's own install command (its flags, args and run), typed loosely: only the help text changes.
// biome-ignore lint/suspicious/noExplicitAny: oclif exports its command classes untyped; only the help text and run change
const Base: any = commands['plugins:install'];

/** oclif's installer, with reprise's trust note in its help, install scripts off by default, and the manifest file written. */
export default class PluginsInstall extends Base {
  static summary = 'Install a reprise plugin from npm, a local path or a tarball.';
  static description =
    `Installs the package into your data directory (not into the CLI's own tree; $REPRISE_DATA_DIR, default $XDG_DATA_HOME/reprise or ~/.local/share/reprise); its components then appear in reprise --help with their flags.

Dependencies' install scripts do not run unless --allow-scripts is given. If the package ships no reprise.manifest.json, reprise imports it once now to write one, so that --help and listing never run its code.

TRUST: a plugin is third-party code that runs inside the reprise process with your permissions (it is not sandboxed, unlike --middleware-script files). Install only packages you trust, as for any npm dependency. "reprise plugins" shows each plugin's name, version and where it came from.`;
  static examples = [
    '<%= config.bin %> plugins install reprise-plugin-example',
    '<%= config.bin %> plugins install ./reprise-plugin-example-1.0.0.tgz',
    '<%= config.bin %> plugins install file:../my-plugin',
    '<%= config.bin %> plugins install reprise-plugin-native --allow-scripts',
  ];
  static flags = { ...Base.flags, 'allow-scripts': allowScriptsFlag };

  async run(): Promise<unknown> {
    return installWithPolicy(
      this.argv,
      (message) => this.warn(message),
      () => super.run(),
    );
  }

  // oclif reads "./x.tgz" as a GitHub slug; a local tarball or folder becomes a file: URL for npm.
  async parsePlugin(plugins: unknown, input: string): Promise<unknown> {
    if (!input.includes(':') && existsSync(input)) return { type: 'repo', url: `file:${resolve(input)}` };
    return super.parsePlugin(plugins, input);
  }
}
