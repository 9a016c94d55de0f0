import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { commands } from '@oclif/plugin-plugins';

// oclif's own install command (its flags, args and run), typed loosely: only the help text changes.
const Base: any = commands['plugins:install'];

/** oclif's installer, with reprise's trust note in its help. */
export default class PluginsInstall extends Base {
  static summary = 'Install a reprise plugin from npm, a local path or a tarball.';
  static description = `Installs the package into your data directory (not into the CLI's own tree); its components then appear in reprise --help with their flags.

TRUST: a plugin is third-party code that runs inside the reprise process with your permissions (it is not sandboxed, unlike --middleware-script files). Install only packages you trust, as for any npm dependency. "reprise plugins" shows each plugin's name, version and where it came from.`;
  static examples = [
    '<%= config.bin %> plugins install reprise-plugin-example',
    '<%= config.bin %> plugins install ./reprise-plugin-example-1.0.0.tgz',
    '<%= config.bin %> plugins install file:../my-plugin',
  ];

  // oclif reads "./x.tgz" as a GitHub slug; a local tarball or folder becomes a file: URL for npm.
  async parsePlugin(plugins: unknown, input: string): Promise<unknown> {
    if (!input.includes(':') && existsSync(input)) return { type: 'repo', url: `file:${resolve(input)}` };
    return super.parsePlugin(plugins, input);
  }
}
