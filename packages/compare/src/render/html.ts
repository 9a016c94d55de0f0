/**
 * `--report-html`: one self-contained file. Everything is inline (CSS, a little JS, SVG charts) and a
 * Content-Security-Policy forbids any request, so the page opens the same offline, as a CI artifact
 * or in a mail. The tables and charts are plain HTML/SVG; the script only sorts and filters them.
 */
import type { CompareReport, Difference, EndpointReport } from '../report.js';
import { grpcStatusLine, ms, percent, signedPercent } from './format.js';
import { escapeHtml as h } from './html-escape.js';
import { BASELINE_COLOR, CANDIDATE_COLOR, latencyChart } from './latency-chart.js';
import { failureReasons, globalThresholds } from './regressed.js';
import { sideBySide } from './side-by-side.js';

const STYLE = `
:root { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a202c; background: #f7fafc; }
body { margin: 0 auto; max-width: 1160px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 0 0 12px; } h2 code { font-size: 17px; } h3 { font-size: 15px; margin: 18px 0 8px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: 600; }
.pass { background: #2f855a; } .fail { background: #c53030; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0; }
.card { background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; padding: 10px 14px; min-width: 120px; }
.card b { display: block; font-size: 18px; }
section.endpoint { background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; padding: 16px; margin: 16px 0; }
section.endpoint.failing { border-left: 4px solid #c53030; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #edf2f7; vertical-align: top; }
th { background: #edf2f7; cursor: pointer; user-select: none; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; }
.latency { display: flex; gap: 16px; align-items: flex-start; flex-wrap: wrap; }
.latency table { width: auto; }
svg .grid { stroke: #e2e8f0; } svg .tick { font-size: 11px; fill: #4a5568; }
.bar { display: inline-block; height: 8px; vertical-align: middle; margin-right: 2px; }
.bar-raw { background: #c53030; } .bar-noise { background: #a0aec0; }
details { margin: 6px 0; } summary { cursor: pointer; }
table.diff { table-layout: fixed; margin: 4px 0 6px; }
table.diff th { padding: 2px 6px; font-weight: 600; font-size: 12px; }
table.diff td { font: 12px/1.35 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-all; border: 0; padding: 0 6px; }
table.diff th { cursor: default; }
td.removed, td.changed-left { background: #fed7d7; } td.added, td.changed-right { background: #c6f6d5; }
.muted { color: #718096; }
.warning { background: #fefcbf; border: 1px solid #d69e2e; border-radius: 4px; padding: 6px 10px; }
.filter { margin: 8px 0; display: none; } .js .filter { display: inline-block; }
`;

/** Sorting by a column (numbers by value) and hiding passing endpoints; nothing is fetched. */
const SCRIPT = `
document.documentElement.classList.add('js');
document.querySelectorAll('table.sortable th').forEach(function (th, column) {
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var descending = th.dataset.order !== 'desc';
    th.dataset.order = descending ? 'desc' : 'asc';
    rows.sort(function (a, b) {
      var x = a.cells[column].dataset.value || a.cells[column].textContent;
      var y = b.cells[column].dataset.value || b.cells[column].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var order = isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny;
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
var only = document.getElementById('only-failing');
if (only) only.addEventListener('change', function () {
  document.querySelectorAll('[data-passing]').forEach(function (el) { el.hidden = only.checked; });
});
`;

export function renderHtml(report: CompareReport): string {
  const t = report.totals;
  const failing = report.endpoints.filter((e) => failureReasons(report, e).length > 0);
  const global = globalThresholds(report);
  const title = `reprise compare: ${report.verdict}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${STYLE}</style>
</head>
<body data-verdict="${report.verdict}">
<header>
<h1>reprise compare <span class="badge ${report.verdict}">${report.verdict.toUpperCase()}</span></h1>
<div class="muted">${h(runLine(report))}</div>
<div class="cards">
${card('requests', String(report.requests))}
${card('endpoints', `${report.endpoints.length} (${failing.length} failing)`)}
${card('differing requests', percent(t.diffRate))}
${card('status mismatches', percent(t.statusMismatchRate))}
${card('candidate errors', percent(t.errorRate))}
${card('p50 delta', `${signedPercent(t.p50Delta)} (${t.p50DeltaMs >= 0 ? '+' : ''}${ms(t.p50DeltaMs)})`)}
${card('p99 delta', `${signedPercent(t.p99Delta)} (${t.p99DeltaMs >= 0 ? '+' : ''}${ms(t.p99DeltaMs)})`)}
</div>
${global.length ? `<p><b>Failed thresholds:</b> ${global.map((g) => `<code>${h(g)}</code>`).join(', ')}</p>` : ''}
${report.warnings.map((w) => `<p class="warning"><b>Warning:</b> ${h(w)}</p>`).join('\n')}
</header>
<h2>Endpoints</h2>
<label class="filter"><input type="checkbox" id="only-failing"> only failing endpoints</label>
${endpointTable(report)}
${report.endpoints.map((e, i) => endpointSection(report, e, i)).join('\n')}
<p class="muted">A field is reported when it differs between baseline and candidate more often than between two responses of the same side
by ${percent(report.settings.relativeMargin)} (relative) and ${percent(report.settings.absoluteMargin)} of the endpoint's requests (absolute).
Latency regression: one-sided Mann–Whitney U test, p &lt; ${report.settings.latency.alpha}, with a p50 increase of at least
${percent(report.settings.latency.minRelativeDelta)} and ${ms(report.settings.latency.minAbsoluteDeltaMs)}.
Ignored fields: ${report.settings.ignore.map((f) => `<code>${h(f)}</code>`).join(' ')}.</p>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function runLine(report: CompareReport): string {
  const run = report.settings.run;
  const parts = Object.entries(run)
    .filter(([, v]) => v !== undefined && v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${String(v)}`);
  if (report.settings.noiseProfile) parts.push(`noise profile: ${report.settings.noiseProfile}`);
  return parts.join(' · ');
}

function card(label: string, value: string): string {
  return `<div class="card"><span class="muted">${h(label)}</span><b>${h(value)}</b></div>`;
}

function passingAttribute(report: CompareReport, endpoint: EndpointReport): string {
  return failureReasons(report, endpoint).length === 0 ? ' data-passing' : '';
}

function endpointTable(report: CompareReport): string {
  const rows = report.endpoints.map((e, i) => {
    const isFailing = failureReasons(report, e).length > 0;
    const l = e.latency;
    return `<tr${passingAttribute(report, e)}>
<td data-value="${isFailing ? 1 : 0}">${isFailing ? '<span class="badge fail">FAIL</span>' : '<span class="badge pass">ok</span>'}</td>
<td><a href="#endpoint-${i}"><code>${h(e.endpoint)}</code></a></td>
<td class="num">${e.requests}</td>
<td class="num">${e.differences.length}</td>
<td class="num" data-value="${e.diffRate}">${percent(e.diffRate)}</td>
<td class="num" data-value="${e.statusMismatchRate}">${percent(e.statusMismatchRate)}</td>
<td class="num" data-value="${e.errorRate}">${percent(e.errorRate)}</td>
<td class="num" data-value="${l.candidate.p50}">${ms(l.baseline.p50)} → ${ms(l.candidate.p50)}</td>
<td class="num" data-value="${l.candidate.p99}">${ms(l.baseline.p99)} → ${ms(l.candidate.p99)}${l.regression ? ' ⚠' : ''}</td>
</tr>`;
  });
  return `<table class="sortable endpoints">
<thead><tr><th>verdict</th><th>endpoint</th><th class="num">requests</th><th class="num">differences</th><th class="num">differing</th><th class="num">status mismatch</th><th class="num">errors</th><th class="num">p50</th><th class="num">p99</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function endpointSection(report: CompareReport, e: EndpointReport, index: number): string {
  const reasons = failureReasons(report, e);
  const l = e.latency;
  const summaryRow = (key: 'p50' | 'p90' | 'p95' | 'p99' | 'p999' | 'max', label: string) =>
    `<tr><td>${label}</td><td class="num">${ms(l.baseline[key])}</td><td class="num">${ms(l.candidate[key])}</td></tr>`;
  return `<section class="endpoint${reasons.length ? ' failing' : ''}" id="endpoint-${index}"${passingAttribute(report, e)}>
<h2><code>${h(e.endpoint)}</code></h2>
<div class="muted">${e.requests} requests, ${e.compared} compared, ${e.noiseSamples} noise samples</div>
${e.grpcStatus ? `<div class="muted grpc-status">${h(grpcStatusLine(e))}</div>` : ''}
${reasons.length ? `<ul>${reasons.map((r) => `<li>${h(r)}</li>`).join('')}</ul>` : ''}
<h3>Latency${l.regression ? ' <span class="badge fail">regression</span>' : ''}</h3>
<div class="latency">
${latencyChart(l, e.endpoint)}
<table>
<thead><tr><th></th><th class="num" style="color:${BASELINE_COLOR}">baseline</th><th class="num" style="color:${CANDIDATE_COLOR}">candidate</th></tr></thead>
<tbody>
<tr><td>responses</td><td class="num">${l.baseline.count}</td><td class="num">${l.candidate.count}</td></tr>
<tr><td>errors</td><td class="num">${l.baseline.errors}</td><td class="num">${l.candidate.errors}</td></tr>
${summaryRow('p50', 'p50')}${summaryRow('p90', 'p90')}${summaryRow('p95', 'p95')}${summaryRow('p99', 'p99')}${summaryRow('p999', 'p99.9')}${summaryRow('max', 'max')}
<tr><td>p50 / p99 delta</td><td class="num" colspan="2">${signedPercent(l.p50Delta)} / ${signedPercent(l.p99Delta)}</td></tr>
<tr><td>Mann–Whitney p</td><td class="num" colspan="2">${l.pValue.toPrecision(3)}</td></tr>
</tbody>
</table>
</div>
<h3>Differences</h3>
${e.differences.length ? differencesTable(e.differences) + e.differences.map((d, i) => differenceExamples(d, i === 0)).join('\n') : '<p class="muted">None above the noise.</p>'}
${e.noise.length ? noiseTable(e.noise) : ''}
</section>`;
}

function rateBars(d: Pick<Difference, 'rate' | 'noiseRate'>): string {
  const width = (rate: number) => Math.max(rate > 0 ? 1 : 0, Math.round(rate * 120));
  return `<span class="bar bar-raw" style="width:${width(d.rate)}px" title="raw"></span><span class="bar bar-noise" style="width:${width(d.noiseRate)}px" title="noise"></span>`;
}

function differencesTable(differences: Difference[]): string {
  const rows = differences.map(
    (d) =>
      `<tr><td><code>${h(d.field)}</code></td><td>${d.kind}</td><td class="num">${d.count}</td><td class="num" data-value="${d.rate}">${percent(d.rate)}</td><td class="num" data-value="${d.noiseRate}">${percent(d.noiseRate)}</td><td>${rateBars(d)}</td></tr>`,
  );
  return `<table class="sortable differences">
<thead><tr><th>field</th><th>kind</th><th class="num">count</th><th class="num">raw rate</th><th class="num">noise rate</th><th>raw / noise</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/** The first difference of an endpoint shows its examples open. */
function differenceExamples(d: Difference, isOpen: boolean): string {
  if (d.examples.length === 0) return '';
  const diffs = d.examples.map((example) => {
    const rows = sideBySide(example.baseline, example.candidate).map((row) => {
      const left = row.change === 'changed' ? 'changed-left' : row.change;
      const right = row.change === 'changed' ? 'changed-right' : row.change;
      return `<tr><td class="${left}">${row.left === null ? '' : h(row.left)}</td><td class="${right}">${row.right === null ? '' : h(row.right)}</td></tr>`;
    });
    const absent = (value: string | null) => (value === null ? ' (absent)' : '');
    return `<table class="diff"><thead><tr><th>baseline${absent(example.baseline)} <span class="muted">exchange ${h(example.id)}</span></th><th>candidate${absent(example.candidate)}</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  });
  return `<details${isOpen ? ' open' : ''}><summary><code>${h(d.field)}</code> ${d.kind}: ${d.examples.length} example${d.examples.length === 1 ? '' : 's'}</summary>
${diffs.join('\n')}
</details>`;
}

function noiseTable(noise: EndpointReport['noise']): string {
  const rows = noise.map(
    (d) =>
      `<tr><td><code>${h(d.field)}</code></td><td>${d.kind}</td><td class="num" data-value="${d.rate}">${percent(d.rate)}</td><td class="num" data-value="${d.noiseRate}">${percent(d.noiseRate)}</td><td>${rateBars(d)}</td></tr>`,
  );
  return `<details class="noise"><summary>${noise.length} field${noise.length === 1 ? '' : 's'} cancelled as noise</summary>
<table class="sortable">
<thead><tr><th>field</th><th>kind</th><th class="num">raw rate</th><th class="num">noise rate</th><th>raw / noise</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</details>`;
}
