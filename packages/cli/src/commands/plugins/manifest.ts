import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Args, Command } from '@oclif/core';
import { COMPONENT_MANIFEST_FILE } from '@reprise/core';
import { writeComponentManifest } from '../../component-manifest.js';
import { provideCorePeer } from '../../discover.js';
import { reportError } from '../../execute.js';

export default class PluginsManifest extends Command {
  static override summary = `Write a plugin's ${COMPONENT_MANIFEST_FILE} from its code.`;
  static override description =
    `Imports the plugin's entry once and writes ${COMPONENT_MANIFEST_FILE} beside its package.json: each component's summary, value and options schema. reprise reads that file for --help, "reprise plugins" and flag routing, so it never runs plugin code it does not use. Ship the file in your package (add it to "files" and run this in "prepack"); reprise writes it on install or link when a package has none. Like link, it first gives the folder this reprise's @reprise/core, which the entry imports (linked into its node_modules, unless that holds a copy of core installed as a real folder).`;
  static override examples = ['<%= config.bin %> plugins manifest .', '<%= config.bin %> plugins manifest ./reprise-plugin-jsonl'];
  static override args = { dir: Args.string({ description: 'The plugin folder (with its package.json).', default: '.' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(PluginsManifest);
    try {
      // As `plugins link` would: the entry imports the peer @reprise/core, which a hand-made folder need not have installed.
      if (existsSync(join(resolve(args.dir), 'package.json'))) provideCorePeer(resolve(args.dir));
      const manifest = await writeComponentManifest(args.dir);
      this.log(`wrote ${COMPONENT_MANIFEST_FILE}: ${manifest.components.map((c) => c.name).join(', ') || 'no coded components'}`);
    } catch (error) {
      process.exitCode = reportError(error);
    }
  }
}
