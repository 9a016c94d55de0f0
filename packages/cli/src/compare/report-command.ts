/**
 * `reprise report RUN.rpr`: rebuilds the comparison from a saved run, without replaying. The run's
 * own settings (targets, endpoint patterns) are kept unless flags override them, so the same flags
 * give the same report as the live run.
 */
import { Analyzer, openRunFile, type AnalyzerOptions } from '@reprise/compare';
import { defineOutput, RepriseError, validateOptions } from '@reprise/core';
import { ComponentCatalog, parseFlags } from '@reprise/engine';
import { reportError } from '../execute.js';
import { EXIT } from '../exit-codes.js';
import { analyzerOptionsOf, REPORT_OPTIONS, type ReportFlags } from './compare-flags.js';
import { commandHelp, isHelpRequest, REPORT_USAGE } from './compare-help.js';
import { checkReportFlags, deliverReport } from './deliver-report.js';
import { loadComparators } from './load-comparators.js';

const PROGRESS_EVERY_MS = 5000;

const reportComponent = defineOutput({
  kind: 'output',
  name: 'report',
  summary: 'Re-analyse a saved run',
  enabledBy: 'options',
  options: REPORT_OPTIONS,
  create() {
    throw new RepriseError('RPR_INTERNAL', 'the report component only parses flags', { plugin: 'report' });
  },
});

export async function runReport(argv: string[]): Promise<number> {
  try {
    if (isHelpRequest(argv)) {
      process.stdout.write(commandHelp(REPORT_USAGE, [reportComponent], '@reprise/cli'));
      return EXIT.ok;
    }
    const [path, ...rest] = argv;
    if (path === undefined || path.startsWith('-')) {
      throw new RepriseError('RPR_CONFIG_INVALID', 'the run file comes first: reprise report run.rpr [flags]', { plugin: 'report' });
    }
    const catalog = new ComponentCatalog();
    catalog.add(reportComponent, '@reprise/cli');
    const config = parseFlags(rest, catalog);
    const flags = validateOptions(reportComponent, config.outputs[0]?.options ?? {}, 'flags') as ReportFlags;
    const failOn = config.settings?.failOn ?? [];
    const noise = checkReportFlags(flags, failOn);
    const run = await openRunFile(path);
    const saved = run.header.settings as { run?: Record<string, unknown>; analyzer?: AnalyzerOptions };
    const analyzer = new Analyzer({ ...analyzerOptionsOf(flags, saved.analyzer), comparators: await loadComparators() });
    const isQuiet = config.settings?.quiet ?? false;
    // A long run file takes a while: say how far the reading is.
    const progress = isQuiet
      ? undefined
      : setInterval(() => process.stderr.write(`[report] ${analyzer.requests} exchanges read\n`), PROGRESS_EVERY_MS);
    try {
      for await (const exchange of run.exchanges) analyzer.add(exchange);
    } finally {
      clearInterval(progress);
    }
    for (const problem of run.problems) process.stderr.write(`[reprise] warn: ${path} at byte ${problem.offset}: ${problem.reason}\n`);
    const report = analyzer.result({ failOn, noise, noiseLabel: flags.noise, run: saved.run });
    return deliverReport(report, analyzer, flags, isQuiet);
  } catch (error) {
    return reportError(error);
  }
}
