/**
 * `reprise compare` reading a NATS service (real nats-server): (a) it replays the stream to a
 * candidate itself; (b) a cluster worker replayed it and published its responses to the results
 * stream, and compare reads the traffic and the results without replaying anything. Both must
 * report exactly the injected difference.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Message } from '@reprise/core';
import { runCli, tempDir } from './support/cli.js';
import { compare, readReport, reportedDifferences } from './support/compare-run.js';
import { writeGor } from './support/gor.js';
import { startNatsServer } from './support/nats-server.js';
import { INJECTED_PRICE_DIFFERENCE, shopTraffic, startShop } from './support/price-shop.js';

const T = { timeout: 90_000 };
const PER_ENDPOINT = 15;

/** Publishes recorded traffic (types 1 and 2) to the service's stream, as capture agents do. */
async function publish(natsUrl: string, service: string, messages: Message[], dir: string): Promise<void> {
  const file = join(dir, `${service}.gor`);
  writeGor(file, messages);
  const result = await runCli([
    '--input-file',
    file,
    '--input-file-no-wait',
    '--output-nats',
    natsUrl,
    '--output-nats-service',
    service,
    '--output-nats-on-full',
    'wait',
  ]);
  assert.equal(result.code, 0, result.stderr);
}

function assertExactlyThePriceDifference(reportFile: string): void {
  const report = readReport(reportFile);
  assert.deepEqual(reportedDifferences(report), [INJECTED_PRICE_DIFFERENCE]);
  for (const endpoint of ['GET /price/:id', 'GET /user/:id'])
    assert.equal(report.endpoints.find((e) => e.endpoint === endpoint)?.requests, PER_ENDPOINT, endpoint);
}

test('compare --input-nats --candidate replays the service stream and reports the injected difference', T, async (t) => {
  const nats = await startNatsServer(t);
  const candidate = await startShop(t, 'candidate');
  const dir = tempDir(t);
  await publish(nats.url, 'shop', shopTraffic(PER_ENDPOINT), dir);
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');

  const result = await compare([
    '--input-nats',
    nats.url,
    '--input-nats-service',
    'shop',
    '--candidate',
    candidate.url,
    '--report-json',
    json,
    '--report-html',
    html,
  ]);

  assert.equal(result.code, 5, result.stderr);
  assertExactlyThePriceDifference(json);
  assert.equal(candidate.requests(), PER_ENDPOINT * 2 * 2, 'every GET twice, for the noise');
});

test(
  'a cluster worker replays to the candidate; compare reads the traffic and the results stream and reports exactly that difference',
  T,
  async (t) => {
    const nats = await startNatsServer(t);
    const candidate = await startShop(t, 'candidate');
    const dir = tempDir(t);
    await publish(nats.url, 'shop', shopTraffic(PER_ENDPOINT), dir);
    const worker = await runCli(
      ['cluster', 'run', '--nats', nats.url, '--service', 'shop', '--target', candidate.url, '--exit-when-drained', '--worker', 'w1'],
      { timeoutMs: 60_000 },
    );
    assert.equal(worker.code, 0, worker.stderr);
    const replayed = candidate.requests();
    assert.equal(replayed, PER_ENDPOINT * 2);
    const json = join(dir, 'report.json');
    const html = join(dir, 'report.html');

    const result = await compare([
      '--input-nats',
      nats.url,
      '--input-nats-service',
      'shop',
      '--candidate-from-input',
      '--report-json',
      json,
      '--report-html',
      html,
    ]);

    assert.equal(result.code, 5, result.stderr);
    assertExactlyThePriceDifference(json);
    assert.equal(candidate.requests(), replayed, 'compare replayed nothing');
    assert.equal(readReport(json).settings.run.mode, 'candidate-from-input');
  },
);
