/**
 * Regression mode end to end: the built CLI replays recorded traffic to two real services on
 * 127.0.0.1 (test/support/compare-services.ts: noisy, with regressions injected on purpose) and
 * must report exactly the injected differences, at their rates, and nothing else.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseNoiseProfile, type CompareReport } from '@reprise/compare';
import { runCli, tempDir } from './support/cli.js';
import { INJECTED, recordedTraffic, SLOWER_ENDPOINT, startService } from './support/compare-services.js';
import { compare, readJunit, readReport, reportedDifferences, reportFiles, reportFlags } from './support/compare-run.js';
import { writeGor } from './support/gor.js';

const PER_ENDPOINT = 60;
const ENDPOINTS = ['GET /items/:id', 'GET /orders/:id', 'GET /search', 'GET /users/:id', 'POST /events'];
const T = { timeout: 60_000 };

const injectedDifferences = Object.entries(INJECTED)
  .flatMap(([endpoint, list]) => list.map((d) => `${endpoint} ${d.field} ${d.kind}`))
  .sort();

/** Every injected difference at its injected rate (±5 points) and every other endpoint clean. */
function assertExactlyInjected(report: CompareReport): void {
  assert.deepEqual(reportedDifferences(report), injectedDifferences);
  for (const [endpoint, list] of Object.entries(INJECTED)) {
    const e = report.endpoints.find((x) => x.endpoint === endpoint)!;
    for (const injected of list) {
      const d = e.differences.find((x) => x.field === injected.field)!;
      assert.ok(Math.abs(d.rate - injected.rate) <= 0.05, `${endpoint} ${d.field}: rate ${d.rate}, injected ${injected.rate}`);
      assert.ok(d.noiseRate < d.rate, `${endpoint} ${d.field}: noise ${d.noiseRate} below the rate`);
      assert.ok(d.examples.length > 0 && d.examples.length <= 5);
    }
  }
  assert.deepEqual(report.endpoints.map((e) => e.endpoint).sort(), ENDPOINTS);
  for (const e of report.endpoints) assert.equal(e.requests, PER_ENDPOINT, e.endpoint);
}

/** The random ids and clocks of each endpoint were seen differing between two baseline responses, and cancelled. */
function assertNoiseCancelled(report: CompareReport): void {
  const noise = (endpoint: string) => report.endpoints.find((e) => e.endpoint === endpoint)!.noise.map((n) => n.field);
  for (const field of ['body.requestId', 'body.createdAt'])
    assert.ok(noise('GET /users/:id').includes(field), `users noise: ${noise('GET /users/:id')}`);
  for (const field of ['body.servedAt', 'body.trace'])
    assert.ok(noise('GET /items/:id').includes(field), `items noise: ${noise('GET /items/:id')}`);
  for (const e of report.endpoints) for (const d of e.differences) assert.ok(!d.field.startsWith('header.'), `${e.endpoint} ${d.field}`);
}

test(
  'a candidate with regressions injected: exactly those are reported, at their rates, with a latency regression on the slowed endpoint only',
  T,
  async (t) => {
    const dir = tempDir(t);
    const baseline = await startService(t, 'baseline');
    const candidate = await startService(t, 'candidate');
    const traffic = join(dir, 'traffic.gor');
    writeGor(traffic, recordedTraffic(PER_ENDPOINT, false));
    const files = reportFiles(dir, 'live');
    const run = join(dir, 'run.rpr');
    const noise = join(dir, 'noise.json');

    const result = await compare([
      '--input-file',
      traffic,
      '--baseline',
      baseline.url,
      '--candidate',
      candidate.url,
      ...reportFlags(files),
      '--save-run',
      run,
      '--save-noise',
      noise,
    ]);

    assert.equal(result.code, 5, `a failed verdict exits 5\n${result.stderr}`);
    const report = readReport(files.json);
    assert.equal(report.verdict, 'fail');
    assert.equal(report.requests, PER_ENDPOINT * ENDPOINTS.length);
    assertExactlyInjected(report);
    assertNoiseCancelled(report);
    assert.deepEqual(
      report.endpoints.filter((e) => e.latency.regression).map((e) => e.endpoint),
      [SLOWER_ENDPOINT],
    );
    assert.deepEqual(report.failedThresholds, []);

    // Safe methods go to each side twice (noise on the baseline, equal load on both), POST once.
    const expectedPerSide = 4 * PER_ENDPOINT * 2 + PER_ENDPOINT;
    assert.equal(baseline.requests(), expectedPerSide);
    assert.equal(candidate.requests(), expectedPerSide);

    const junit = readJunit(files.junit);
    assert.deepEqual(junit.cases.map((c) => c.name).sort(), ENDPOINTS);
    assert.deepEqual(
      junit.cases
        .filter((c) => c.failure)
        .map((c) => c.name)
        .sort(),
      [...Object.keys(INJECTED), SLOWER_ENDPOINT].sort(),
    );
    assert.match(junit.cases.find((c) => c.name === 'GET /items/:id')!.failure!, /body\.item\.currency missing/);

    const markdown = readFileSync(files.markdown, 'utf8');
    assert.match(markdown, /^## reprise compare: ❌ fail/);
    assert.match(markdown, /\| `body\.email` \| changed \| 20\.0% \|/);
    assert.match(result.stderr, /\[compare\] FAIL: 300 requests/);
    assert.match(result.stderr, /FAIL GET \/users\/:id[\s\S]*body\.email changed in 20\.0% of requests/);

    const html = readFileSync(files.html, 'utf8');
    assert.doesNotMatch(html, /\b(src|href)="(https?:)?\/\//, 'the page loads nothing from the network');
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);

    const profile = parseNoiseProfile(readFileSync(noise, 'utf8'), noise);
    assert.ok(profile.endpoints.find((e) => e.endpoint === 'GET /users/:id')!.fields.some((f) => f.field === 'body.requestId'));

    await t.test('reprise report rebuilds the same report from the saved run, without replaying', async () => {
      const again = reportFiles(dir, 'offline');
      const before = baseline.requests() + candidate.requests();
      const offline = await runCli(['report', run, ...reportFlags(again)]);
      assert.equal(offline.code, 5, offline.stderr);
      assert.deepEqual(readReport(again.json), report);
      assert.equal(readFileSync(again.junit, 'utf8'), readFileSync(files.junit, 'utf8'));
      assert.equal(baseline.requests() + candidate.requests(), before, 'nothing was replayed');
    });

    await t.test('thresholds replace the default rule: global, per endpoint, and with a saved noise profile', async () => {
      const out = join(dir, 'threshold.json');
      const lenient = await runCli(['report', run, '--report-json', out, '--fail-on', 'diff_rate>50%', '--fail-on', 'p50_delta>500%']);
      assert.equal(lenient.code, 0, lenient.stderr);
      assert.equal(readReport(out).verdict, 'pass');

      const scoped = 'status_mismatch_rate{endpoint="GET /orders/:id"}>5%';
      const strict = await runCli([
        'report',
        run,
        '--report-json',
        out,
        '--fail-on',
        'diff_rate>50%',
        '--fail-on',
        scoped,
        '--noise',
        noise,
      ]);
      assert.equal(strict.code, 5, strict.stderr);
      const strictReport = readReport(out);
      assert.deepEqual(strictReport.failedThresholds, [scoped]);
      assert.equal(strictReport.settings.noiseProfile, noise);
      assert.deepEqual(reportedDifferences(strictReport), injectedDifferences, 'the saved profile cancels the same noise');

      // Without the default list, random headers still come out as noise; a clock header is kept
      // ignored: it changes so rarely within one exchange that a few seconds' rollovers look like a signal.
      const ignoring = await runCli([
        'report',
        run,
        '--report-json',
        out,
        '--ignore-defaults=false',
        '--ignore',
        'body.email',
        '--ignore',
        'header.date',
      ]);
      assert.equal(ignoring.code, 5, ignoring.stderr);
      const ignoringReport = readReport(out);
      assert.deepEqual(
        reportedDifferences(ignoringReport).filter((d) => d.startsWith('GET /users/:id')),
        [],
        '--ignore body.email',
      );
      const usersNoise = ignoringReport.endpoints.find((e) => e.endpoint === 'GET /users/:id')!.noise.map((n) => n.field);
      assert.ok(usersNoise.includes('header.x-request-id'), `volatile headers, compared, come out as noise: ${usersNoise}`);

      const bad = await runCli(['report', run, '--fail-on', 'latency>1%']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /fail-on.*unknown metric "latency"/);
    });

    await t.test('latency thresholds: the slowed endpoint trips p99_delta; the run as a whole is slower at p99, not at p50', async () => {
      const out = join(dir, 'latency.json');
      const scoped = 'p99_delta{endpoint="GET /search"}>10%';
      const perEndpoint = await runCli(['report', run, '--report-json', out, '--fail-on', scoped]);
      assert.equal(perEndpoint.code, 5, perEndpoint.stderr);
      assert.deepEqual(readReport(out).failedThresholds, [scoped]);
      assert.match(perEndpoint.stderr, /FAIL GET \/search[^\n]*\n\s+threshold p99_delta\{endpoint="GET \/search"\}>10%/);

      // A fifth of the candidate's requests (GET /search) take 40 ms more: that is the run's tail,
      // while its median stays among the unchanged endpoints' few milliseconds.
      const global = await runCli([
        'report',
        run,
        '--report-json',
        out,
        '--fail-on',
        'p50_delta>50%',
        '--fail-on',
        'p50_delta>20ms',
        '--fail-on',
        'p99_delta>0%',
        '--fail-on',
        'p99_delta>0ms',
      ]);
      assert.equal(global.code, 5, global.stderr);
      const globalReport = readReport(out);
      assert.deepEqual(globalReport.failedThresholds, ['p99_delta>0%', 'p99_delta>0ms'], JSON.stringify(globalReport.totals));
      assert.match(global.stderr, /FAIL threshold p99_delta>0%/);
    });

    await t.test('an endpoint --fail-on that matches no endpoint is a warning, even with --quiet, and does not pass silently', async () => {
      const out = join(dir, 'typo.json');
      const typo = 'diff_rate{endpoint="GET /user/:id"}>1%';
      const result = await runCli(['report', run, '--quiet', '--report-json', out, '--fail-on', typo]);
      assert.equal(result.code, 0, result.stderr);
      const warning = `--fail-on ${typo} matched no endpoint: none of the run's 5 endpoints is "GET /user/:id", so it cannot fail`;
      assert.deepEqual(readReport(out).warnings, [warning]);
      assert.ok(result.stderr.includes(`  WARN ${warning}\n`), result.stderr);
    });
  },
);

test('a candidate identical to the baseline passes with zero differences and no latency regression', T, async (t) => {
  const dir = tempDir(t);
  const baseline = await startService(t, 'baseline');
  const twin = await startService(t, 'baseline');
  const traffic = join(dir, 'traffic.gor');
  writeGor(traffic, recordedTraffic(PER_ENDPOINT, false));
  const files = reportFiles(dir, 'same');

  const result = await compare(['--input-file', traffic, '--baseline', baseline.url, '--candidate', twin.url, ...reportFlags(files)]);

  assert.equal(result.code, 0, result.stderr);
  const report = readReport(files.json);
  assert.equal(report.verdict, 'pass');
  assert.deepEqual(reportedDifferences(report), []);
  assert.deepEqual(
    report.endpoints.filter((e) => e.latency.regression).map((e) => e.endpoint),
    [],
  );
  assert.ok(report.endpoints.every((e) => e.noise.length > 0 || e.endpoint === 'POST /events' || e.endpoint === 'GET /orders/:id'));
  assert.equal(readJunit(files.junit).failures, 0);
  assert.match(readFileSync(files.markdown, 'utf8'), /^## reprise compare: ✅ pass/);
});

test('without --baseline the recorded responses are the baseline and the candidate gets safe requests twice', T, async (t) => {
  const dir = tempDir(t);
  const candidate = await startService(t, 'candidate');
  const traffic = join(dir, 'recorded.gor');
  writeGor(traffic, recordedTraffic(PER_ENDPOINT, true));
  const files = reportFiles(dir, 'recorded');

  const result = await compare(['--input-file', traffic, '--input-file-no-wait', '--candidate', candidate.url, ...reportFlags(files)]);

  assert.equal(result.code, 5, result.stderr);
  const report = readReport(files.json);
  assert.equal(report.settings.run.mode, 'recorded-baseline');
  assert.equal(report.settings.run.sentTwice, 'GET, HEAD, OPTIONS');
  assertExactlyInjected(report);
  assert.equal(candidate.requests(), 4 * PER_ENDPOINT * 2 + PER_ENDPOINT);
  assert.deepEqual(
    report.endpoints.filter((e) => e.latency.regression).map((e) => e.endpoint),
    [],
    'recorded latencies are not compared',
  );
});

test('filters apply before the comparison, and a candidate that is down is counted as errors', T, async (t) => {
  const dir = tempDir(t);
  const baseline = await startService(t, 'baseline');
  const traffic = join(dir, 'traffic.gor');
  writeGor(traffic, recordedTraffic(10, false));
  const files = reportFiles(dir, 'down');
  const down = `http://127.0.0.1:${await closedPortOf(t)}`;

  const result = await compare([
    '--input-file',
    traffic,
    '--input-file-no-wait',
    '--http-disallow-url',
    '^/(search|events)',
    '--baseline',
    baseline.url,
    '--candidate',
    down,
    '--report-json',
    files.json,
    '--fail-on',
    'error_rate>10%',
  ]);

  assert.equal(result.code, 5, result.stderr);
  const report = readReport(files.json);
  assert.deepEqual(report.endpoints.map((e) => e.endpoint).sort(), ['GET /items/:id', 'GET /orders/:id', 'GET /users/:id']);
  assert.equal(report.totals.errorRate, 1);
  assert.deepEqual(report.failedThresholds, ['error_rate>10%']);
  assert.equal(baseline.requests(), 3 * 10 * 2);
});

test('without --fail-on, a candidate that is down fails the verdict through its error rate, and every report says why', T, async (t) => {
  const dir = tempDir(t);
  const baseline = await startService(t, 'baseline');
  const traffic = join(dir, 'traffic.gor');
  writeGor(traffic, recordedTraffic(10, false));
  const files = reportFiles(dir, 'down-default');
  const down = `http://127.0.0.1:${await closedPortOf(t)}`;

  const result = await compare([
    '--input-file',
    traffic,
    '--input-file-no-wait',
    '--baseline',
    baseline.url,
    '--candidate',
    down,
    ...reportFlags(files),
  ]);

  assert.equal(result.code, 5, `a down candidate fails the default verdict\n${result.stderr}`);
  const report = readReport(files.json);
  assert.equal(report.verdict, 'fail');
  assert.deepEqual(report.failedThresholds, []);
  assert.deepEqual(report.endpoints.map((e) => e.endpoint).sort(), ENDPOINTS);
  for (const e of report.endpoints) {
    assert.equal(e.errorRate, 1, e.endpoint);
    assert.equal(e.baselineErrorRate, 0, e.endpoint);
    assert.equal(e.errorRegression, true, e.endpoint);
    assert.deepEqual(e.differences, [], `${e.endpoint}: nothing was compared`);
  }
  assert.match(result.stderr, /FAIL GET \/users\/:id[^\n]*\n\s+candidate errors on 100\.0% of requests \(baseline 0%\)/);
  const junit = readJunit(files.junit);
  assert.equal(junit.failures, ENDPOINTS.length);
  assert.match(readFileSync(files.markdown, 'utf8'), /^## reprise compare: ❌ fail/);
});

test(
  'a middleware script runs before the comparison: endpoints are named and joined from the requests it rewrote, dropped ones are not counted',
  T,
  async (t) => {
    const dir = tempDir(t);
    const baseline = await startService(t, 'baseline');
    const candidate = await startService(t, 'candidate');
    // Recorded under an old prefix the services do not know (they answer 404 to it).
    const legacy = recordedTraffic(20, false).map((m) => ({
      ...m,
      payload: Buffer.from(
        Buffer.from(m.payload)
          .toString('latin1')
          .replace(/^(\S+) \//, '$1 /legacy/'),
        'latin1',
      ),
    }));
    const traffic = join(dir, 'legacy.gor');
    writeGor(traffic, legacy);
    const script = join(dir, 'rewrite.js');
    writeFileSync(
      script,
      `export function request(req) {\n  if (req.method === 'POST') return null;\n  req.path = req.path.replace(/^\\/legacy/, '');\n  return req;\n}\n`,
    );
    const files = reportFiles(dir, 'rewritten');
    const run = join(dir, 'rewritten.rpr');

    const result = await compare([
      '--input-file',
      traffic,
      '--input-file-no-wait',
      '--middleware-script',
      script,
      '--baseline',
      baseline.url,
      '--candidate',
      candidate.url,
      '--report-json',
      files.json,
      '--save-run',
      run,
    ]);

    assert.equal(result.code, 5, result.stderr);
    const report = readReport(files.json);
    const safe = ENDPOINTS.filter((e) => e !== 'POST /events');
    assert.deepEqual(report.endpoints.map((e) => e.endpoint).sort(), safe, 'named after the rewritten paths');
    assert.equal(report.requests, 4 * 20, 'the dropped POSTs are not exchanges');
    for (const e of report.endpoints) {
      assert.equal(e.requests, 20, e.endpoint);
      assert.equal(e.compared, 20, `${e.endpoint}: every request joined with its responses`);
      assert.equal(e.errorRate, 0, e.endpoint);
      assert.equal(
        e.statusMismatchRate,
        e.endpoint === 'GET /orders/:id' ? 0.1 : 0,
        `${e.endpoint}: the services answered the rewritten paths`,
      );
    }
    assert.deepEqual(reportedDifferences(report), injectedDifferences);
    assert.equal(baseline.requests(), 4 * 20 * 2);
    assert.equal(candidate.requests(), 4 * 20 * 2);

    const offline = join(dir, 'offline.json');
    const again = await runCli(['report', run, '--report-json', offline]);
    assert.equal(again.code, 5, again.stderr);
    assert.deepEqual(readReport(offline), report, 'the run file holds the rewritten requests');
  },
);

test('--allow-side-effects sends every method twice to each side: POST noise is learnt, not borrowed', T, async (t) => {
  const dir = tempDir(t);
  const baseline = await startService(t, 'baseline');
  const candidate = await startService(t, 'candidate');
  const traffic = join(dir, 'traffic.gor');
  writeGor(traffic, recordedTraffic(10, false));
  const files = reportFiles(dir, 'side-effects');

  const result = await compare([
    '--input-file',
    traffic,
    '--input-file-no-wait',
    '--allow-side-effects',
    '--baseline',
    baseline.url,
    '--candidate',
    candidate.url,
    '--report-json',
    files.json,
  ]);

  assert.equal(result.code, 5, result.stderr);
  assert.equal(baseline.requests(), 5 * 10 * 2, 'the POSTs too went to the baseline twice');
  assert.equal(candidate.requests(), 5 * 10 * 2);
  const report = readReport(files.json);
  assert.equal(report.settings.run.sentTwice, 'every method (--allow-side-effects)', 'the report says POSTs were repeated');
  const events = report.endpoints.find((e) => e.endpoint === 'POST /events')!;
  assert.equal(events.noiseSamples, 10);
  assert.deepEqual(events.differences, []);
});

test('usage: --candidate is required, bad flags exit 2, a missing run file exits 4, --help documents exit code 5', T, async () => {
  const missing = await runCli(['compare', '--input-file', 'x.gor']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--candidate is required/);
  const typo = await runCli(['compare', '--input-file', 'x.gor', '--candidate', 'http://127.0.0.1:1', '--report-htm', 'r.html']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /did you mean --report-html/);
  const badTarget = await runCli(['compare', '--input-file', 'x.gor', '--candidate', 'ftp://new']);
  assert.equal(badTarget.code, 2);
  assert.match(badTarget.stderr, /--candidate: "ftp:\/\/new" is neither http:\/\/ nor https:\/\//);
  const noRun = await runCli(['report', '/nonexistent/run.rpr']);
  assert.equal(noRun.code, 4, noRun.stderr);
  const help = await runCli(['compare', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /5 the verdict failed/);
  for (const flag of [
    '--baseline',
    '--candidate',
    '--report-html',
    '--save-run',
    '--fail-on',
    '--allow-side-effects',
    '--input-file',
    '--http-disallow-url',
  ]) {
    assert.ok(help.stdout.includes(flag), `compare --help lists ${flag}`);
  }
  const reportHelp = await runCli(['help', 'report']);
  assert.match(reportHelp.stdout, /--noise[\s\S]*5 the verdict failed/);
});

async function closedPortOf(t: { after(fn: () => Promise<void>): void }): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  void t;
  return port;
}
