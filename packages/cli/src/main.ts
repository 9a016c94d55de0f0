/**
 * Entry of the `reprise` bin. GoReplay-style invocations (`reprise --input-… --output-…`) run a
 * pipeline directly; named commands (run, middleware, plugins, help) go through oclif.
 */
import { readFileSync } from 'node:fs';
import { parseFlags, resolvePipelineConfig } from '@reprise/engine';
import { describeCatalog, flagNames, loadCatalog, unusableOwnerOf } from './catalog-loader.js';
import { executePipeline, reportError } from './execute.js';
import { EXIT } from './exit-codes.js';
import { fullHelp } from './usage.js';

const HELP_WORDS = new Set(['--help', '-h', '-help', 'help']);

export async function main(argv: string[]): Promise<void> {
  if (argv.length === 0 || (argv.length === 1 && HELP_WORDS.has(argv[0]!))) {
    process.stdout.write(fullHelp(describeCatalog().catalog));
    return;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
    process.stdout.write(`reprise ${version}\n`);
    return;
  }
  if (argv[0]!.startsWith('-')) {
    process.exitCode = await runFlags(argv);
    return;
  }
  // Like a plain replay, compare takes every pipeline flag: routed here, not through oclif.
  const ownCommand = argv[0] === 'help' && (argv[1] === 'compare' || argv[1] === 'report') ? [argv[1], '--help'] : argv;
  if (ownCommand[0] === 'compare') {
    const { runCompare } = await import('./compare/compare-command.js');
    process.exitCode = await runCompare(ownCommand.slice(1));
    return;
  }
  if (ownCommand[0] === 'report') {
    const { runReport } = await import('./compare/report-command.js');
    process.exitCode = await runReport(ownCommand.slice(1));
    return;
  }
  const { run, handle, flush } = await import('@oclif/core');
  try {
    await run(argv, import.meta.url);
    await flush();
  } catch (error) {
    await handle(error as Error);
  }
}

async function runFlags(argv: string[]): Promise<number> {
  try {
    if (argv.some((a) => HELP_WORDS.has(a))) {
      process.stdout.write(fullHelp(describeCatalog().catalog));
      return EXIT.ok;
    }
    const flags = flagNames(argv);
    const { catalog, unusable } = await loadCatalog({ flags });
    for (const flag of flags) {
      const problem = catalog.flags.has(flag) ? undefined : unusableOwnerOf(flag, unusable);
      if (problem) throw problem;
    }
    const resolved = resolvePipelineConfig(parseFlags(argv, catalog), catalog, 'flags');
    return await executePipeline(resolved);
  } catch (error) {
    return reportError(error);
  }
}
