/** `--report-markdown`: a pull-request comment (GitHub-flavoured Markdown). */
import type { CompareReport, Difference } from '../report.js';
import { grpcStatusLine, ms, percent, signedPercent } from './format.js';
import { failureReasons, globalThresholds } from './regressed.js';

/** Table cells cannot hold `|` or new lines. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function code(text: string | null, maxChars = 200): string {
  if (text === null) return '*(absent)*';
  const short = text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
  return `\`${cell(short).replace(/`/g, "'")}\``;
}

export function renderMarkdown(report: CompareReport): string {
  const out: string[] = [];
  const t = report.totals;
  const failing = report.endpoints.filter((e) => failureReasons(report, e).length > 0);
  out.push(`## reprise compare: ${report.verdict === 'pass' ? '✅ pass' : '❌ fail'}`);
  out.push('');
  out.push(
    `${report.requests} requests over ${report.endpoints.length} endpoints; ${failing.length} failing. ` +
      `Differing: ${percent(t.diffRate)}, status mismatches: ${percent(t.statusMismatchRate)}, candidate errors: ${percent(t.errorRate)}, ` +
      `latency p50 ${signedPercent(t.p50Delta)}, p99 ${signedPercent(t.p99Delta)}.`,
  );
  const global = globalThresholds(report);
  if (global.length) out.push('', `Failed thresholds: ${global.map((g) => code(g)).join(', ')}`);
  // Escaped, so a `*` method or an `_` in a metric name is not read as emphasis.
  for (const warning of report.warnings) out.push('', `⚠️ ${warning.replace(/[\\`*_[\]<|]/g, '\\$&')}`);
  out.push(
    '',
    '| | endpoint | requests | differences | p50 baseline → candidate | p99 baseline → candidate |',
    '| --- | --- | ---: | ---: | --- | --- |',
  );
  for (const e of report.endpoints) {
    const mark = failureReasons(report, e).length ? '❌' : '✅';
    const l = e.latency;
    const slow = l.regression ? ' ⚠️ slower' : '';
    out.push(
      `| ${mark} | \`${cell(e.endpoint)}\` | ${e.requests} | ${e.differences.length} | ${ms(l.baseline.p50)} → ${ms(l.candidate.p50)}${slow} | ${ms(l.baseline.p99)} → ${ms(l.candidate.p99)} |`,
    );
  }
  const grpc = report.endpoints.filter((x) => x.grpcStatus);
  if (grpc.length) out.push('', ...grpc.map((e) => `- \`${cell(e.endpoint)}\`: ${cell(grpcStatusLine(e))}`));
  for (const e of report.endpoints.filter((x) => x.differences.length > 0)) {
    out.push(
      '',
      `### \`${e.endpoint}\``,
      '',
      '| field | kind | rate | noise | example (baseline → candidate) |',
      '| --- | --- | ---: | ---: | --- |',
    );
    for (const d of e.differences) out.push(differenceRow(d));
  }
  out.push(
    '',
    `<sub>Noise cancelled: a field is reported when it differs more often than between two responses of the same side by ${percent(report.settings.relativeMargin)} relative and ${percent(report.settings.absoluteMargin)} absolute.</sub>`,
    '',
  );
  return out.join('\n');
}

function differenceRow(d: Difference): string {
  const example = d.examples[0];
  const shown = example ? `${code(example.baseline)} → ${code(example.candidate)}` : '';
  return `| \`${cell(d.field)}\` | ${d.kind} | ${percent(d.rate)} | ${percent(d.noiseRate)} | ${shown} |`;
}
