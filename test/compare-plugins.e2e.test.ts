/** Comparators are a plugin kind: an installed plugin's comparator decides how its content type is compared. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordingServer, repoRoot, tempDir } from './support/cli.js';
import { compare, readReport, reportedDifferences } from './support/compare-run.js';
import { getRequests, writeGor } from './support/gor.js';

test('a comparator plugin compares text/csv column by column; without it the body is compared as text', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const csv = (column: (n: number) => string) => (req: { url?: string }) => {
    const n = Number(req.url!.split('/')[2]);
    return { body: `id${n},${column(n)},eu\n`, headers: { 'content-type': 'text/csv' } };
  };
  const baseline = await recordingServer(
    t,
    csv(() => 'ok'),
  );
  const candidate = await recordingServer(
    t,
    csv((n) => (n % 2 === 0 ? 'changed' : 'ok')),
  );
  const traffic = join(dir, 'traffic.gor');
  writeGor(traffic, getRequests(20, { path: (i) => `/rows/${i}` }));

  // The data dir's plugin list, as `reprise plugins link` writes it.
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const plugin = join(repoRoot, 'test/fixtures/plugins/csv-comparator');
  writeFileSync(
    join(dataDir, 'package.json'),
    JSON.stringify({ private: true, oclif: { plugins: [{ type: 'link', name: 'reprise-plugin-csv-comparator', root: plugin }] } }),
  );

  const withPlugin = join(dir, 'with.json');
  const args = ['--input-file', traffic, '--input-file-no-wait', '--baseline', baseline.url, '--candidate', candidate.url];
  const result = await compare([...args, '--report-json', withPlugin], { REPRISE_DATA_DIR: dataDir });
  assert.equal(result.code, 5, result.stderr);
  const report = readReport(withPlugin);
  assert.deepEqual(reportedDifferences(report), ['GET /rows/:id body.col1 changed']);
  assert.equal(report.endpoints[0]!.differences[0]!.rate, 0.5);

  const without = join(dir, 'without.json');
  const plain = await compare([...args, '--report-json', without], { REPRISE_DATA_DIR: join(dir, 'empty') });
  assert.equal(plain.code, 5, plain.stderr);
  assert.deepEqual(reportedDifferences(readReport(without)), ['GET /rows/:id body changed']);
});
