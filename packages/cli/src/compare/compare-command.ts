/**
 * `reprise compare`: a normal pipeline (every input, filter, rewrite and middleware flag applies)
 * whose output is the target driver (baseline and candidate, one side twice for noise) plus the
 * exchange sink; the joined exchanges feed the analyzer (and the run file), and at the end the
 * report is written and its verdict becomes the exit code. With --candidate-from-input there is no
 * driver: the input's own replayed responses are the candidate (candidate-from-input.ts).
 */
import { Analyzer, RunFileWriter, renderTerminal, type ResultOptions } from '@reprise/compare';
import { defineOutput, optionFlagName, parseDurationMs, RepriseError } from '@reprise/core';
import { parseFlags, resolvePipelineConfig, type ComponentCatalog } from '@reprise/engine';
import { parseTarget } from '@reprise/plugin-http';
import { flagNames, loadCatalog } from '../catalog-loader.js';
import { executePipeline, reportError } from '../execute.js';
import { EXIT } from '../exit-codes.js';
import { checkFromInputFlags, fromInputNoiseNote, withResultsStreams } from './candidate-from-input.js';
import { analyzerOptionsOf, COMPARE_OPTIONS, type CompareFlags } from './compare-flags.js';
import { compareHelp, isHelpRequest } from './compare-help.js';
import { checkReportFlags, deliverReport } from './deliver-report.js';
import { ExchangeJoiner } from './exchange-joiner.js';
import { exchangeSinkUse } from './exchange-sink.js';
import { loadComparators } from './load-comparators.js';
import { createTargetDriver } from './target-driver.js';

/** The live comparison summary of --stats, unless --stats-interval says otherwise. */
const STATS_EVERY_MS = 10_000;

/** Only parses the compare flags: the driver is made per run, with the joiner it reports to. */
export const compareComponent = defineOutput({
  kind: 'output',
  name: 'compare',
  summary: 'Compare a candidate with a baseline',
  enabledBy: 'options',
  options: COMPARE_OPTIONS,
  create() {
    throw new RepriseError('RPR_INTERNAL', 'the compare component is created by reprise compare only', { plugin: 'compare' });
  },
});

const OWN_FLAGS = new Set(Object.keys(COMPARE_OPTIONS.properties).map((option) => optionFlagName(compareComponent, option)));

/** The plugins the pipeline flags need, plus the compare flags. */
async function loadCompareCatalog(argv: readonly string[]): Promise<ComponentCatalog> {
  const { catalog } = await loadCatalog({ flags: flagNames(argv).filter((f) => !OWN_FLAGS.has(f)) });
  catalog.add(compareComponent, '@reprise/cli');
  return catalog;
}

export async function runCompare(argv: string[]): Promise<number> {
  try {
    if (isHelpRequest(argv)) {
      process.stdout.write(compareHelp((await loadCatalog({ all: true })).catalog, compareComponent));
      return EXIT.ok;
    }
    const catalog = await loadCompareCatalog(argv);
    const config = parseFlags(argv, catalog);
    const isCandidateGiven = (o: Record<string, unknown> = {}) => o.candidate !== undefined || o.candidateFromInput === true;
    if (!config.outputs.some((o) => o.use === 'compare' && isCandidateGiven(o.options))) {
      throw new RepriseError(
        'RPR_CONFIG_INVALID',
        '--candidate is required (e.g. --candidate http://new:8080), or --candidate-from-input to compare the replayed responses in the input; see reprise compare --help',
        {
          plugin: 'compare',
          option: 'candidate',
        },
      );
    }
    const resolved = resolvePipelineConfig(config, catalog, 'flags');
    const compareUse = resolved.outputs.find((o) => o.definition === compareComponent)!;
    const flags = compareUse.options as unknown as CompareFlags;
    const failOn = resolved.report.failOn;
    const noise = checkReportFlags(flags, failOn);
    const isFromInput = flags.candidateFromInput;
    if (isFromInput) checkFromInputFlags(flags);
    else checkTarget(flags.candidate!, 'candidate');
    if (flags.baseline !== undefined) checkTarget(flags.baseline, 'baseline');
    const run = isFromInput
      ? {
          mode: 'candidate-from-input',
          baseline: 'recorded responses',
          candidate: 'replayed responses in the input',
          noise: fromInputNoiseNote(flags.noise),
        }
      : {
          mode: flags.baseline === undefined ? 'recorded-baseline' : 'live-baseline',
          baseline: flags.baseline ?? 'recorded responses',
          candidate: flags.candidate,
          // Which requests went twice (for noise), so a report says whether POSTs were repeated.
          sentTwice: flags.allowSideEffects ? 'every method (--allow-side-effects)' : 'GET, HEAD, OPTIONS',
        };
    const analyzerOptions = analyzerOptionsOf(flags);
    const analyzer = new Analyzer({ ...analyzerOptions, comparators: await loadComparators() });
    const runWriter =
      flags.saveRun === undefined ? undefined : await RunFileWriter.create(flags.saveRun, { run, analyzer: analyzerOptions });
    // Writes are chained, so a full stream buffer is waited for once, not by every exchange; a write
    // failure is raised when the run ends.
    let written: Promise<void> = Promise.resolve();
    const joiner = new ExchangeJoiner((exchange) => {
      analyzer.add(exchange);
      if (!runWriter) return;
      written = written.then(() => runWriter.write(exchange));
      written.catch(() => {});
    }, flags.baseline === undefined);
    const driverOptions = { timeoutMs: parseDurationMs(flags.timeout, 'compare-timeout'), workers: flags.workers };
    if (isFromInput) {
      resolved.outputs.splice(resolved.outputs.indexOf(compareUse), 1);
      resolved.inputs = withResultsStreams(resolved.inputs);
      if (!resolved.report.quiet) process.stderr.write(`[compare] candidate from the input: noise ${run.noise}\n`);
    } else {
      const plan = { baseline: flags.baseline, candidate: flags.candidate!, allowSideEffects: flags.allowSideEffects };
      compareUse.definition = {
        ...compareComponent,
        create: (_value, _options, ctx) => createTargetDriver(plan, driverOptions, joiner, ctx),
      };
    }
    resolved.outputs.push(exchangeSinkUse(joiner, isFromInput));

    const resultOptions: ResultOptions = { failOn, noise, noiseLabel: flags.noise, run };
    const everyMs = config.settings?.statsInterval === undefined ? STATS_EVERY_MS : resolved.report.statsIntervalMs;
    const timer = resolved.report.stats ? setInterval(() => process.stderr.write(renderLive(analyzer, resultOptions)), everyMs) : undefined;
    // The thresholds are the comparison's; the plain replay gate must not read them.
    const code = await executePipeline({ ...resolved, report: { ...resolved.report, failOn: [] } });
    clearInterval(timer);
    joiner.finish();
    await written;
    await runWriter?.close();
    if (code !== EXIT.ok) return code;
    return deliverReport(analyzer.result(resultOptions), analyzer, flags, resolved.report.quiet);
  } catch (error) {
    return reportError(error);
  }
}

/** A target is checked before anything starts, and named by its flag. */
function checkTarget(url: string, option: 'baseline' | 'candidate'): void {
  try {
    parseTarget(url);
  } catch (error) {
    throw new RepriseError('RPR_CONFIG_INVALID', `--${option}: ${(error as RepriseError).detail ?? String(error)}`, {
      plugin: 'compare',
      option,
    });
  }
}

function renderLive(analyzer: Analyzer, options: ResultOptions): string {
  if (analyzer.requests === 0) return '[compare] no exchange complete yet\n';
  return renderTerminal(analyzer.result(options));
}
