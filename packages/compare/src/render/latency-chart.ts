/** An inline SVG chart of one endpoint's latency percentiles, baseline against candidate. */
import type { LatencyComparison, LatencySummary } from '../report.js';
import { escapeHtml } from './html-escape.js';

const PERCENTILES: Array<[keyof LatencySummary, string]> = [
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p95', 'p95'],
  ['p99', 'p99'],
  ['p999', 'p99.9'],
  ['max', 'max'],
];
const WIDTH = 520;
const HEIGHT = 220;
const PAD = { left: 56, right: 16, top: 16, bottom: 40 };
export const BASELINE_COLOR = '#2b6cb0';
export const CANDIDATE_COLOR = '#dd6b20';

/** A round upper bound for the axis: 1, 2 or 5 × 10^n. */
function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

export function latencyChart(latency: LatencyComparison, title: string): string {
  const top = niceCeiling(Math.max(...PERCENTILES.flatMap(([key]) => [latency.baseline[key], latency.candidate[key]])));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (plotWidth * (i + 0.5)) / PERCENTILES.length;
  const y = (value: number) => PAD.top + plotHeight - (plotHeight * value) / top;
  const parts: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const value = (top * k) / 4;
    parts.push(`<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(value)}" y2="${y(value)}" class="grid"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${y(value) + 4}" text-anchor="end" class="tick">${formatTick(value)}</text>`);
  }
  for (const [i, [, label]] of PERCENTILES.entries())
    parts.push(`<text x="${x(i)}" y="${HEIGHT - PAD.bottom + 18}" text-anchor="middle" class="tick">${label}</text>`);
  parts.push(
    `<text x="14" y="${PAD.top + plotHeight / 2}" transform="rotate(-90 14 ${PAD.top + plotHeight / 2})" text-anchor="middle" class="tick">ms</text>`,
  );
  const series = (summary: LatencySummary, color: string, name: string) => {
    const points = PERCENTILES.map(([key], i) => `${x(i).toFixed(1)},${y(summary[key]).toFixed(1)}`);
    const dots = PERCENTILES.map(
      ([key, label], i) =>
        `<circle cx="${x(i).toFixed(1)}" cy="${y(summary[key]).toFixed(1)}" r="3.5" fill="${color}"><title>${name} ${label}: ${summary[key].toFixed(2)} ms</title></circle>`,
    );
    return `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="2" class="series-${name}"/>${dots.join('')}`;
  };
  parts.push(series(latency.baseline, BASELINE_COLOR, 'baseline'), series(latency.candidate, CANDIDATE_COLOR, 'candidate'));
  parts.push(
    `<rect x="${PAD.left + 8}" y="${PAD.top + 2}" width="10" height="10" fill="${BASELINE_COLOR}"/><text x="${PAD.left + 22}" y="${PAD.top + 11}" class="tick">baseline</text>`,
    `<rect x="${PAD.left + 88}" y="${PAD.top + 2}" width="10" height="10" fill="${CANDIDATE_COLOR}"/><text x="${PAD.left + 102}" y="${PAD.top + 11}" class="tick">candidate</text>`,
  );
  return `<svg class="latency-chart" role="img" aria-label="${escapeHtml(`Latency percentiles of ${title}`)}" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

function formatTick(value: number): string {
  return value >= 10 ? String(Math.round(value)) : String(Number(value.toPrecision(2)));
}
