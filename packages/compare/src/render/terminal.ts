/** The summary printed on stderr at the end of `reprise compare` / `reprise report` (and every 10 s with --stats). */
import type { CompareReport } from '../report.js';
import { grpcStatusLine, ms, percent, signedPercent } from './format.js';
import { failureReasons, globalThresholds } from './regressed.js';

export function renderTerminal(report: CompareReport): string {
  const lines: string[] = [];
  const t = report.totals;
  lines.push(
    `[compare] ${report.verdict.toUpperCase()}: ${report.requests} requests, ${report.endpoints.length} endpoints; ` +
      `differing ${percent(t.diffRate)}, status mismatches ${percent(t.statusMismatchRate)}, candidate errors ${percent(t.errorRate)}, ` +
      `p50 ${signedPercent(t.p50Delta)}, p99 ${signedPercent(t.p99Delta)}`,
  );
  for (const endpoint of report.endpoints) {
    const reasons = failureReasons(report, endpoint);
    const l = endpoint.latency;
    lines.push(
      `  ${reasons.length ? 'FAIL' : 'ok  '} ${endpoint.endpoint}  ${endpoint.requests} req, ${endpoint.differences.length} differences, ` +
        `${endpoint.noise.length} noisy fields, p50 ${ms(l.baseline.p50)} → ${ms(l.candidate.p50)}, p99 ${ms(l.baseline.p99)} → ${ms(l.candidate.p99)}`,
    );
    for (const reason of reasons) lines.push(`         ${reason}`);
    const grpc = grpcStatusLine(endpoint);
    if (grpc) lines.push(`         ${grpc}`);
  }
  for (const threshold of globalThresholds(report)) lines.push(`  FAIL threshold ${threshold}`);
  for (const warning of report.warnings) lines.push(`  WARN ${warning}`);
  return lines.join('\n') + '\n';
}
