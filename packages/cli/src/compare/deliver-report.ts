/** Writes a finished comparison everywhere it was asked for and turns its verdict into the exit code. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  parseFailOn,
  parseNoiseProfile,
  renderHtml,
  renderJunit,
  renderMarkdown,
  renderTerminal,
  type Analyzer,
  type CompareReport,
  type NoiseProfile,
} from '@reprise/compare';
import { RepriseError } from '@reprise/core';
import { EXIT } from '../exit-codes.js';
import type { ReportFlags } from './compare-flags.js';

const FILE_FLAGS = [
  ['reportHtml', 'report-html'],
  ['reportJson', 'report-json'],
  ['reportJunit', 'report-junit'],
  ['reportMarkdown', 'report-markdown'],
  ['saveNoise', 'save-noise'],
] as const;

/** Checked before a run starts, so a long comparison does not end on a typo: thresholds, profile, output folders. */
export function checkReportFlags(flags: ReportFlags & { saveRun?: string }, failOn: readonly string[]): NoiseProfile | undefined {
  for (const text of failOn) parseFailOn(text);
  for (const [key, flag] of [...FILE_FLAGS, ['saveRun', 'save-run'] as const]) {
    const path = flags[key as keyof typeof flags] as string | undefined;
    if (path !== undefined && !existsSync(dirname(resolve(path)))) {
      throw new RepriseError('RPR_CONFIG_INVALID', `the folder of ${path} does not exist`, { plugin: 'compare', option: flag });
    }
  }
  if (flags.noise === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(flags.noise, 'utf8');
  } catch (error) {
    throw new RepriseError('RPR_INPUT_NOT_FOUND', `cannot read the noise profile: ${(error as Error).message}`, {
      plugin: 'compare',
      option: 'noise',
      file: flags.noise,
    });
  }
  return parseNoiseProfile(text, flags.noise);
}

export function deliverReport(report: CompareReport, analyzer: Analyzer, flags: ReportFlags, isQuiet: boolean): number {
  const write = (flag: string, path: string | undefined, text: () => string) => {
    if (path === undefined) return;
    try {
      writeFileSync(path, text());
    } catch (error) {
      throw new RepriseError('RPR_PLUGIN_FAILED', `cannot write: ${(error as Error).message}`, {
        plugin: 'compare',
        option: flag,
        file: path,
      });
    }
  };
  write('report-json', flags.reportJson, () => JSON.stringify(report, null, 2) + '\n');
  write('report-html', flags.reportHtml, () => renderHtml(report));
  write('report-junit', flags.reportJunit, () => renderJunit(report));
  write('report-markdown', flags.reportMarkdown, () => renderMarkdown(report));
  write('save-noise', flags.saveNoise, () => JSON.stringify(analyzer.noiseProfile(), null, 2) + '\n');
  if (!isQuiet || report.verdict === 'fail' || report.warnings.length > 0) process.stderr.write(renderTerminal(report));
  return report.verdict === 'fail' ? EXIT.verdictFailed : EXIT.ok;
}
