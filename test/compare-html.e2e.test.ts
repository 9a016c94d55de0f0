/**
 * The HTML report opened in headless Chromium (Debian's `chromium`, installed by scripts/setup.sh):
 * a screenshot is taken and its pixels checked for the report's colours (test/support/png.ts decodes
 * it), and the DOM after the page's script ran holds the endpoint table, one latency chart per
 * endpoint and the side-by-side diffs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BASELINE_COLOR, CANDIDATE_COLOR } from '../packages/compare/src/render/latency-chart.js';
import { tempDir } from './support/cli.js';
import { recordedTraffic, startService } from './support/compare-services.js';
import { compare } from './support/compare-run.js';
import { writeGor } from './support/gor.js';
import { countColor, decodePng } from './support/png.js';

/** Runs headless Chromium with no network, profile or background services; resolves with stdout. */
function chromium(dir: string, extra: string[], url: string): Promise<string> {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${join(dir, 'profile')}`,
    '--window-size=1200,1600',
    ...extra,
    url,
  ];
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/chromium', args, { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`chromium failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length;
}

test('the HTML report renders in headless Chromium: tables, a latency chart per endpoint, side-by-side diffs', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const baseline = await startService(t, 'baseline');
  const candidate = await startService(t, 'candidate');
  const traffic = join(dir, 'traffic.gor');
  writeGor(traffic, recordedTraffic(20, false));
  const html = join(dir, 'report.html');
  const result = await compare([
    '--input-file',
    traffic,
    '--input-file-no-wait',
    '--baseline',
    baseline.url,
    '--candidate',
    candidate.url,
    '--report-html',
    html,
  ]);
  assert.equal(result.code, 5, result.stderr);
  const url = pathToFileURL(html).href;

  const png = join(dir, 'report.png');
  await chromium(dir, [`--screenshot=${png}`], url);
  const image = decodePng(readFileSync(png));
  assert.equal(image.width, 1200, 'width');
  assert.equal(image.height, 1600, 'height');
  // What was drawn, by colour (exact pixels). The badges' colours come from the page's own style.
  const pixels = (hex: string) => countColor(image, hex);
  const style = readFileSync(html, 'utf8');
  const [failColor, passColor] = ['fail', 'pass'].map((c) => new RegExp(`\\.${c} \\{ background: (#[0-9a-f]{6}); \\}`).exec(style)![1]!);
  // The FAIL badge in the title, one per failing endpoint in the table, and the failing sections' left border.
  assert.ok(pixels(failColor!) > 3000, `${pixels(failColor!)} pixels of the fail colour ${failColor}`);
  assert.ok(pixels(passColor!) > 100, `${pixels(passColor!)} pixels of the pass colour ${passColor}: the ok badge of POST /events`);
  // The first endpoint's latency chart: a 10 × 10 legend square per side, and the candidate's series
  // (drawn last, so on top of the baseline's where they meet).
  assert.ok(pixels(BASELINE_COLOR) >= 100, `${pixels(BASELINE_COLOR)} pixels of the baseline colour ${BASELINE_COLOR}`);
  assert.ok(pixels(CANDIDATE_COLOR) > 200, `${pixels(CANDIDATE_COLOR)} pixels of the candidate colour ${CANDIDATE_COLOR}`);

  const dom = await chromium(dir, ['--dump-dom'], url);
  assert.match(dom, /<html[^>]*class="js"/, "the page's script ran");
  assert.equal(count(dom, /<svg class="latency-chart"/g), 5, 'one latency chart per endpoint');
  assert.equal(count(dom, /<polyline /g), 10, 'a baseline and a candidate series in each chart');
  const endpointRows = /<table class="sortable endpoints">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(dom)![1]!;
  assert.equal(count(endpointRows, /<tr/g), 5);
  assert.match(dom, /<td class="changed-left">.*user5@example\.com/);
  assert.match(dom, /<td class="changed-right">.*user5@new\.example/);
  assert.match(dom, /<td class="removed">EUR<\/td><td class="removed"><\/td>/, 'a removed field: only the baseline side has it');
});
