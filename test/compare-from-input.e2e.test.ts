/**
 * `reprise compare --candidate-from-input` on a plain .gor file holding requests (1), recorded
 * responses (2) and replayed responses (3): nothing is replayed, the type 3 responses are the
 * candidate, and with no noise pairs the report says so and reports every difference.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from './support/cli.js';
import { compare, readReport, reportedDifferences } from './support/compare-run.js';
import { writeGor } from './support/gor.js';
import { INJECTED_PRICE_DIFFERENCE, shopTraffic } from './support/price-shop.js';

const T = { timeout: 60_000 };
const PER_ENDPOINT = 20;

test('types 1, 2 and 3 in one .gor: the recorded responses against the replayed ones, exactly the injected difference', T, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'replayed.gor');
  const traffic = shopTraffic(PER_ENDPOINT, { replayed: true });
  // one user request whose replay got no response (a worker gave up on it)
  const unanswered = traffic.find((m) => m.kind === 'request' && new TextDecoder().decode(m.payload).startsWith('GET /user/'))!.id;
  writeGor(
    file,
    traffic.filter((m) => !(m.kind === 'replayed-response' && m.id === unanswered)),
  );
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');

  const result = await compare([
    '--input-file',
    file,
    '--input-file-no-wait',
    '--candidate-from-input',
    '--report-json',
    json,
    '--report-html',
    html,
  ]);

  assert.equal(result.code, 5, `the difference fails the verdict\n${result.stderr}`);
  const report = readReport(json);
  assert.deepEqual(reportedDifferences(report), [INJECTED_PRICE_DIFFERENCE]);
  const price = report.endpoints.find((e) => e.endpoint === 'GET /price/:id')!;
  assert.equal(price.requests, PER_ENDPOINT);
  assert.equal(price.differences[0]!.rate, 1);
  assert.equal(price.noiseSamples, 0, 'one candidate response per request: no noise pair');
  const user = report.endpoints.find((e) => e.endpoint === 'GET /user/:id')!;
  assert.equal(user.requests, PER_ENDPOINT);
  assert.equal(user.errorRate, 1 / PER_ENDPOINT, 'the request without a replayed response is a candidate error');
  assert.equal(report.settings.run.mode, 'candidate-from-input');
  assert.match(String(report.settings.run.noise), /^not learnt .*every difference is reported/);
  assert.match(result.stderr, /noise not learnt/);
  assert.match(result.stderr, /1 requests had no replayed response \(type 3\) in the input, counted as candidate errors/);
  assert.match(readFileSync(html, 'utf8'), /mode: candidate-from-input · [^<]*noise: not learnt \(one candidate response per request\)/);
});

test('with --noise, the saved profile cancels a field the candidate-from-input mode cannot learn', T, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'replayed.gor');
  writeGor(file, shopTraffic(PER_ENDPOINT, { replayed: true }));
  const profile = join(dir, 'noise.json');
  const endpoints = [{ endpoint: 'GET /price/:id', samples: 50, fields: [{ field: 'body.price', kind: 'changed', rate: 1 }] }];
  writeFileSync(profile, JSON.stringify({ format: 'reprise-noise', version: 1, createdAt: new Date().toISOString(), endpoints }));
  const json = join(dir, 'report.json');

  const result = await compare([
    '--input-file',
    file,
    '--input-file-no-wait',
    '--candidate-from-input',
    '--noise',
    profile,
    '--report-json',
    json,
  ]);

  assert.equal(result.code, 0, result.stderr);
  const report = readReport(json);
  assert.deepEqual(reportedDifferences(report), []);
  assert.match(String(report.settings.run.noise), /saved profile/);
});

test('--candidate-from-input refuses a target to replay to, naming the flag', T, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'replayed.gor');
  writeGor(file, shopTraffic(2, { replayed: true }));
  for (const flag of ['--candidate', '--baseline']) {
    const result = await compare(['--input-file', file, '--candidate-from-input', flag, 'http://127.0.0.1:9']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`${flag} replays to a target, --candidate-from-input replays nothing`));
  }
  const none = await compare(['--input-file', file]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--candidate is required .*, or --candidate-from-input to compare the replayed responses in the input/);
});

test('reprise compare --help documents --candidate-from-input', T, async () => {
  const help = await compare(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--candidate-from-input replays nothing/);
  assert.match(help.stdout, /--candidate-from-input\s+Replay nothing/);
});
