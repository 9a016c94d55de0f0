/**
 * What a long run shows: a live progress line on a TTY, periodic per-component lines with --stats,
 * and a summary at exit, all on stderr.
 */
import type { Pipeline, PipelineResult } from './pipeline.js';
import { formatRate } from './stats.js';

export interface ReporterOptions {
  stats: boolean;
  statsIntervalMs: number;
  quiet: boolean;
  isTty: boolean;
  write?: (text: string) => void;
}

export function startReporter(pipeline: Pipeline, options: ReporterOptions): { stop(result: PipelineResult): void } {
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  const timers: NodeJS.Timeout[] = [];
  let hasProgressLine = false;
  const clearProgress = () => {
    if (hasProgressLine) write('\r\x1b[K');
    hasProgressLine = false;
  };
  if (options.stats) {
    timers.push(
      setInterval(() => {
        clearProgress();
        const now = Date.now();
        for (const stats of pipeline.stats) write(`[stats] ${stats.label}: ${stats.format()} rate=${formatRate(stats.takeRate(now))}/s\n`);
      }, options.statsIntervalMs),
    );
  }
  if (options.isTty && !options.quiet) {
    const startedAt = Date.now();
    let lastOut = 0;
    let lastAt = startedAt;
    timers.push(
      setInterval(() => {
        const now = Date.now();
        const outputs = pipeline.outputs.map((o) => o.stats);
        const sent = outputs.reduce((n, s) => n + s.get('out'), 0);
        const failed = outputs.reduce((n, s) => n + s.get('failed'), 0);
        const dropped = outputs.reduce((n, s) => n + s.get('dropped'), 0);
        const read = pipeline.inputs.reduce((n, s) => n + s.stats.get('out'), 0);
        const rate = ((sent - lastOut) * 1000) / Math.max(1, now - lastAt);
        lastOut = sent;
        lastAt = now;
        write(
          `\r\x1b[Kreprise ${((now - startedAt) / 1000).toFixed(0)}s  read ${read}  sent ${sent}  failed ${failed}  dropped ${dropped}  ${formatRate(rate)} msg/s`,
        );
        hasProgressLine = true;
      }, 250),
    );
  }
  for (const timer of timers) timer.unref();
  return {
    stop(result) {
      for (const timer of timers) clearInterval(timer);
      clearProgress();
      if (!options.quiet) write(formatSummary(result, options.stats));
    },
  };
}

/** The exit summary: why it stopped, how long, and every component's counters. */
export function formatSummary(result: PipelineResult, isDetailed = true): string {
  const seconds = result.elapsedMs / 1000;
  const lines = [`reprise stopped (${describeReason(result)}) after ${seconds.toFixed(1)}s`];
  for (const stats of result.stats) {
    const out = stats.get('out');
    const line = isDetailed
      ? stats.format()
      : `in=${stats.get('in')} out=${out} dropped=${stats.get('dropped')} failed=${stats.get('failed')}`;
    const extras = isDetailed
      ? ''
      : [...stats.counters]
          .filter(([k, v]) => !['in', 'out', 'dropped', 'failed'].includes(k) && v > 0)
          .map(([k, v]) => ` ${k}=${v}`)
          .join('');
    lines.push(`  ${stats.label}: ${line}${extras} avg=${formatRate(out / Math.max(seconds, 0.001))}/s`);
  }
  return lines.join('\n') + '\n';
}

function describeReason(result: PipelineResult): string {
  switch (result.reason) {
    case 'inputs-ended':
      return 'all inputs ended';
    case 'exit-after':
      return '--exit-after reached';
    case 'signal':
      return 'signal';
    case 'error':
      return `error: ${result.error?.message ?? 'unknown'}`;
  }
}
