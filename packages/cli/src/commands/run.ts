import { readFileSync } from 'node:fs';
import { Command, Flags } from '@oclif/core';
import { RepriseError } from '@reprise/core';
import { resolvePipelineConfig } from '@reprise/engine';
import { executePipeline, reportError } from '../execute.js';
import { loadCatalog } from '../catalog-loader.js';

export default class Run extends Command {
  static override summary = 'Run a pipeline from a JSON config file.';
  static override description =
    `The file holds "inputs", "middleware" and "outputs" (each {"use": "output-http", "value": "http://staging|50%", "options": {"workers": 64}}) and "settings" (splitOutput, exitAfter, stats, …). It is validated before anything starts; an error names the bad key.`;
  static override examples = ['<%= config.bin %> run --config pipeline.json'];
  static override flags = {
    config: Flags.string({ char: 'c', summary: 'Path of the pipeline JSON file.', required: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Run);
    try {
      let config: unknown;
      try {
        config = JSON.parse(readFileSync(flags.config, 'utf8'));
      } catch (error) {
        throw new RepriseError('RPR_CONFIG_INVALID', `cannot read the config: ${(error as Error).message}`, { file: flags.config });
      }
      // Only the names, to load the plugins they need: the config itself is validated by resolvePipelineConfig.
      const lists = ['inputs', 'middleware', 'outputs'].map((k) => (config as Record<string, unknown> | null)?.[k]);
      const uses = lists.flatMap((list) => (Array.isArray(list) ? list.map((c: { use?: unknown } | null) => String(c?.use)) : []));
      const { catalog } = await loadCatalog({ components: uses });
      process.exitCode = await executePipeline(resolvePipelineConfig(config, catalog, flags.config));
    } catch (error) {
      process.exitCode = reportError(error);
    }
  }
}
