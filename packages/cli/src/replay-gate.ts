/**
 * `--fail-on "error_rate>N%"` on a plain replay: the run fails (exit 5) when more than N% of the
 * requests an output sent failed (timeouts, resets, 5xx…). Each output is judged on its own, so a
 * dead target is not hidden by a healthy one or by an output that never fails (a file).
 */
// The subpath, not the package: its index loads the whole comparison stage (histograms, protobuf), which
// every run would then pay for at start-up.
import { parseFailOn, thresholdFails, type FailOnThreshold } from '@reprise/compare/fail-on';
import { RepriseError } from '@reprise/core';
import type { InstanceStats } from '@reprise/engine';

export function parseReplayGate(expressions: readonly string[]): FailOnThreshold[] {
  return expressions.map((text) => {
    const threshold = parseFailOn(text);
    if (threshold.metric !== 'error_rate' || threshold.endpoint !== undefined) {
      throw new RepriseError(
        'RPR_CONFIG_INVALID',
        `"${text}": a replay only knows error_rate (per output, no endpoint); the other metrics need reprise compare`,
        { option: 'fail-on' },
      );
    }
    return threshold;
  });
}

/** The expressions that hold for at least one output, with that output's rate. */
export function failedReplayGates(thresholds: readonly FailOnThreshold[], outputs: readonly InstanceStats[]): string[] {
  const failed: string[] = [];
  for (const threshold of thresholds) {
    for (const stats of outputs) {
      const sent = stats.get('out') - stats.get('skipped');
      if (sent <= 0) continue;
      const errorRate = stats.get('failed') / sent;
      const metrics = { diffRate: 0, statusMismatchRate: 0, errorRate, p50Delta: 0, p99Delta: 0, p50DeltaMs: 0, p99DeltaMs: 0 };
      if (thresholdFails(threshold, metrics)) {
        failed.push(`${threshold.text} (${stats.label}: ${stats.get('failed')} of ${sent} requests failed)`);
        break;
      }
    }
  }
  return failed;
}
