/** Runs one resolved pipeline with progress, stats, signals and the exit summary; returns the exit code. */
import { RepriseError } from '@reprise/core';
import { Pipeline, startReporter, type ResolvedPipeline } from '@reprise/engine';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { startProfiler } from './profiler.js';
import { failedReplayGates, parseReplayGate } from './replay-gate.js';

export async function executePipeline(resolved: ResolvedPipeline): Promise<number> {
  const gates = parseReplayGate(resolved.report.failOn);
  const profiler = await startProfiler(resolved.profile);
  const pipeline = new Pipeline(resolved, resolved.settings);
  const reporter = startReporter(pipeline, { ...resolved.report, isTty: process.stderr.isTTY === true });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`\n[reprise] ${signal}: stopping, delivering what was read (again to abort)\n`);
      pipeline.stop('signal');
    } else {
      process.stderr.write(`[reprise] ${signal} again: aborting\n`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const result = await pipeline.run();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  reporter.stop(result);
  await profiler.finish();
  if (result.error) {
    process.stderr.write(`[reprise] error: ${result.error.message}\n`);
    return exitCodeFor(result.error.code);
  }
  const failed = failedReplayGates(
    gates,
    pipeline.outputs.map((o) => o.stats),
  );
  for (const gate of failed) process.stderr.write(`[reprise] failed: --fail-on ${gate}\n`);
  return failed.length > 0 ? EXIT.verdictFailed : EXIT.ok;
}

export function reportError(error: unknown): number {
  if (error instanceof RepriseError) {
    process.stderr.write(`reprise: ${error.message}\n`);
    return exitCodeFor(error.code);
  }
  process.stderr.write(`reprise: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.failed;
}
