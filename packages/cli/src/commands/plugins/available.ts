import { readFileSync } from 'node:fs';
import { Command } from '@oclif/core';

interface CatalogEntry {
  package: string;
  summary: string;
  components: Array<{ kind: string; name: string }>;
}

export default class PluginsAvailable extends Command {
  static override summary = "List the first-party plugins in reprise's catalog (plugins.json).";
  static override examples = ['<%= config.bin %> plugins available'];

  async run(): Promise<void> {
    // The build copies the repository's plugins.json into the CLI package, which ships it.
    const catalogPath = new URL('../../../plugins.json', import.meta.url);
    const catalog = JSON.parse(readFileSync(catalogPath, 'utf8')) as { plugins: CatalogEntry[] };
    for (const entry of catalog.plugins) {
      this.log(`${entry.package}\n  ${entry.summary}`);
      for (const component of entry.components) this.log(`  ${component.kind.padEnd(10)} --${component.name}`);
    }
  }
}
