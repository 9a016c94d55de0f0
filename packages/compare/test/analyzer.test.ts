import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { RepriseError } from '@reprise/core';
import { Analyzer } from '../src/analyzer.js';
import { mulberry32 } from '../src/latency/reservoir.js';
import { compareReportSchema, type CompareReport, type EndpointReport } from '../src/report.js';
import { exchange, type ResponseSpec } from './helpers.js';

/** The tests' randomness is seeded, so every run sees the same traffic. */
const seeded = mulberry32;

const validateReport = new Ajv({ strict: true }).compile(compareReportSchema);

function endpoint(report: CompareReport, name: string): EndpointReport {
  const e = report.endpoints.find((x) => x.endpoint === name);
  assert.ok(e, `endpoint ${name} in ${report.endpoints.map((x) => x.endpoint).join(', ')}`);
  return e;
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * A service answering with real noise: a random request id in the body and headers, a clock
 * field, arrays shuffled on every response, volatile headers. `change` alters the candidate.
 */
function noisyResponse(
  random: () => number,
  userId: number,
  change: { email?: boolean; dropPhone?: boolean; status?: number; latencyMs?: number } = {},
): ResponseSpec {
  const friends = shuffled(
    [
      { id: 1, n: 'a' },
      { id: 2, n: 'b' },
      { id: 3, n: 'c' },
    ],
    random,
  );
  return {
    status: change.status ?? 200,
    latencyMs: (change.latencyMs ?? 5) + random() * 2,
    headers: { Date: `t${random()}`, 'X-Request-Id': String(random()), ETag: `"${random()}"`, 'Cache-Control': 'no-cache' },
    gzip: random() < 0.5,
    chunked: random() < 0.5,
    body: {
      requestId: random().toString(36).slice(2),
      servedAt: Date.now() + random(),
      user: {
        id: userId,
        email: change.email ? `new-${userId}@example.com` : `u${userId}@example.com`,
        ...(change.dropPhone ? {} : { phone: '555' }),
        roles: shuffled(['admin', 'dev', 'ops'], random),
        friends,
      },
    },
  };
}

test('injected regressions are named with their rates and nothing else: noise is cancelled with no configuration', () => {
  const random = seeded(7);
  const analyzer = new Analyzer();
  const n = 400;
  for (let i = 0; i < n; i++) {
    const id = 1000 + i;
    // /users/:id: 10% of emails changed, phone removed everywhere, 5% status 500.
    analyzer.add(
      exchange(
        'GET',
        `/users/${id}?v=${i}`,
        [noisyResponse(random, id), noisyResponse(random, id)],
        [noisyResponse(random, id, { email: i % 10 === 3, dropPhone: true, status: i % 20 === 7 ? 500 : 200 })],
      ),
    );
    // /teams/:id: same behaviour, 4 ms slower.
    analyzer.add(
      exchange(
        'GET',
        `/teams/${id}`,
        [noisyResponse(random, id), noisyResponse(random, id)],
        [noisyResponse(random, id, { latencyMs: 9 })],
      ),
    );
  }
  const report = analyzer.result();
  assert.ok(validateReport(report), JSON.stringify(validateReport.errors));
  assert.equal(report.requests, 2 * n);
  assert.equal(report.verdict, 'fail');

  const users = endpoint(report, 'GET /users/:id');
  assert.deepEqual(
    users.differences.map((d) => `${d.field} ${d.kind} ${d.rate}`),
    ['body.user.phone missing 1', 'body.user.email changed 0.1', 'status changed 0.05'],
  );
  for (const d of users.differences) {
    assert.equal(d.noiseRate, 0);
    assert.equal(d.examples.length, 5, 'examples are capped at 5');
  }
  const email = users.differences.find((d) => d.field === 'body.user.email')!;
  assert.deepEqual(email.examples[0], { id: email.examples[0]!.id, baseline: 'u1003@example.com', candidate: 'new-1003@example.com' });
  assert.equal(users.statusMismatchRate, 0.05);
  assert.equal(users.diffRate, 1, 'every request lost the phone');
  const cancelled = users.noise.map((d) => d.field);
  for (const f of ['body.requestId', 'body.servedAt', 'body.user.friends[].id', 'body.user.friends[].n'])
    assert.ok(cancelled.includes(f), `${f} is noise: ${cancelled.join()}`);
  assert.deepEqual(
    [...new Set(cancelled.filter((f) => f.startsWith('header.') || f === 'body.user.roles[]'))],
    ['header.content-encoding'],
    'volatile headers are ignored, scalar arrays compare as sets; gzip on some responses only is noise',
  );
  assert.equal(users.latency.regression, false);

  const teams = endpoint(report, 'GET /teams/:id');
  assert.deepEqual(teams.differences, []);
  assert.equal(teams.diffRate, 0);
  assert.equal(teams.latency.regression, true);
  assert.ok(teams.latency.pValue < 1e-6);
  assert.ok(teams.latency.p50DeltaMs > 3 && teams.latency.p50DeltaMs < 5, String(teams.latency.p50DeltaMs));
  assert.ok(Math.abs(teams.latency.p50Delta - teams.latency.p50DeltaMs / teams.latency.baseline.p50) < 1e-9);
  assert.equal(teams.latency.baseline.count, 2 * n, 'both baseline replays are latency samples');
  assert.equal(teams.latency.candidate.count, n);
});

test('a candidate identical to the baseline passes with zero differences', () => {
  const random = seeded(11);
  const analyzer = new Analyzer();
  for (let i = 0; i < 300; i++) {
    const id = i % 37;
    analyzer.add(exchange('GET', `/users/${id}`, [noisyResponse(random, id), noisyResponse(random, id)], [noisyResponse(random, id)]));
    analyzer.add(exchange('GET', '/health', [{ body: 'ok' }, { body: 'ok' }], [{ body: 'ok' }]));
  }
  const report = analyzer.result();
  assert.equal(report.verdict, 'pass');
  assert.deepEqual(
    report.endpoints.map((e) => [e.endpoint, e.differences.length, e.latency.regression]),
    [
      ['GET /health', 0, false],
      ['GET /users/:id', 0, false],
    ],
  );
  assert.equal(report.totals.diffRate, 0);
});

/** n exchanges of GET /x where the raw pair differs in `raw` of them and the noise pair in `noise`. */
function counted(n: number, raw: number, noise: number): Analyzer {
  const analyzer = new Analyzer();
  for (let i = 0; i < n; i++) {
    analyzer.add(exchange('GET', '/x', [{ body: { v: 1 } }, { body: { v: i < noise ? 2 : 1 } }], [{ body: { v: i >= n - raw ? 3 : 1 } }]));
  }
  return analyzer;
}

function reported(analyzer: Analyzer, options = {}): string[] {
  return analyzer.result(options).endpoints[0]!.differences.map((d) => `${d.field} ${d.rate} ${d.noiseRate}`);
}

test('noise rule: reported only when raw > noise × 1.2 (relative margin)', () => {
  assert.deepEqual(reported(counted(1000, 120, 100)), [], 'raw 12% vs noise 10%: exactly 20% more is not more than 20%');
  assert.deepEqual(reported(counted(1000, 121, 100)), ['body.v 0.121 0.1']);
  assert.deepEqual(reported(counted(1000, 150, 100), { relativeMargin: 0.6 }), [], 'the margin is an option');
  assert.equal(counted(1000, 121, 100).result().endpoints[0]!.noise.length, 0);
  assert.deepEqual(
    counted(1000, 120, 100)
      .result()
      .endpoints[0]!.noise.map((d) => `${d.field} ${d.kind} ${d.count}`),
    ['body.v changed 120'],
    'cancelled fields are listed as noise',
  );
});

test('noise rule: and raw − noise > 0.03% of the endpoint’s requests (absolute margin)', () => {
  assert.deepEqual(reported(counted(10_000, 3, 0)), [], '3 in 10,000 is 0.03%: not above the margin');
  assert.deepEqual(reported(counted(10_000, 4, 0)), ['body.v 0.0004 0']);
  assert.deepEqual(reported(counted(1000, 10, 0), { absoluteMargin: 0.01 }), []);
  assert.deepEqual(reported(counted(1000, 11, 0), { absoluteMargin: 0.01 }), ['body.v 0.011 0']);
});

test('with the recorded original as baseline, noise comes from the candidate replayed twice; its latency is not compared', () => {
  const analyzer = new Analyzer();
  for (let i = 0; i < 100; i++) {
    const e = exchange('GET', `/items/${i}`, [], [{ body: { t: i, stable: 1 } }, { body: { t: -i - 1, stable: 1 } }]);
    e.original = exchange('GET', '/', [{ kind: 'response', body: { t: 0.5, stable: i < 30 ? 2 : 1 } }], []).baseline[0]!;
    e.baseline = [e.original];
    analyzer.add(e);
  }
  const e = analyzer.result().endpoints[0]!;
  assert.equal(e.noiseSamples, 100);
  assert.deepEqual(
    e.differences.map((d) => `${d.field} ${d.rate}`),
    ['body.stable 0.3'],
  );
  assert.deepEqual(
    e.noise.map((d) => d.field),
    ['body.t'],
  );
  assert.equal(e.latency.baseline.count, 0);
  assert.equal(e.latency.regression, false);
});

test('an endpoint without noise pairs borrows the noise of the same field elsewhere', () => {
  const analyzer = new Analyzer();
  for (let i = 0; i < 50; i++) {
    analyzer.add(exchange('GET', `/a/${i}`, [{ body: { id: `g${i}a` } }, { body: { id: `g${i}b` } }], [{ body: { id: `g${i}c` } }]));
    analyzer.add(exchange('POST', '/a', [{ body: { id: `p${i}a`, ok: true } }], [{ body: { id: `p${i}c`, ok: i > 9 } }]));
  }
  const post = endpoint(analyzer.result(), 'POST /a');
  assert.equal(post.noiseSamples, 0);
  assert.deepEqual(
    post.differences.map((d) => `${d.field} ${d.rate} ${d.noiseRate}`),
    ['body.ok 0.2 0'],
  );
  assert.deepEqual(
    post.noise.map((d) => `${d.field} ${d.noiseRate}`),
    ['body.id 1'],
  );
});

test('candidate failures count in error_rate and the failing side’s latency errors', () => {
  const analyzer = new Analyzer();
  for (let i = 0; i < 10; i++) {
    const e = exchange('GET', '/x', [{ body: 'a' }], i < 2 ? [] : [{ body: 'a' }]);
    if (i < 2) e.errors = [{ target: 'candidate', reason: 'timeout' }];
    analyzer.add(e);
  }
  const report = analyzer.result();
  const e = report.endpoints[0]!;
  assert.equal(e.requests, 10);
  assert.equal(e.compared, 8);
  assert.equal(e.errorRate, 0.2);
  assert.equal(e.latency.candidate.errors, 2);
  assert.equal(report.totals.errorRate, 0.2);
  assert.equal(e.baselineErrorRate, 0);
  assert.equal(e.errorRegression, true);
  assert.equal(report.verdict, 'fail', 'more candidate errors than the baseline fail the default verdict');
  const gated = analyzer.result({ failOn: ['error_rate>10%'] });
  assert.equal(gated.verdict, 'fail');
  assert.deepEqual(gated.failedThresholds, ['error_rate>10%']);
  assert.equal(analyzer.result({ failOn: ['error_rate>30%'] }).verdict, 'pass', '--fail-on replaces the error rule too');
});

/** 1,000 identical exchanges of GET /users/:id with the first `baselineErrors` / `candidateErrors` unanswered. */
function withErrors(baselineErrors: number, candidateErrors: number): Analyzer {
  const analyzer = new Analyzer();
  for (let i = 0; i < 1000; i++) {
    const baselineFailed = i < baselineErrors;
    // Candidate failures on other exchanges than the baseline's, so both rates are what they say.
    const candidateFailed = i >= 1000 - candidateErrors;
    const e = exchange(
      'GET',
      `/users/${i}`,
      baselineFailed ? [] : [{ body: { ok: true } }],
      candidateFailed ? [] : [{ body: { ok: true } }],
    );
    e.errors = [
      ...(baselineFailed ? [{ target: 'baseline' as const, reason: 'timeout' }] : []),
      ...(candidateFailed ? [{ target: 'candidate' as const, reason: 'ECONNRESET' }] : []),
    ];
    analyzer.add(e);
  }
  return analyzer;
}

test('the default verdict fails when the candidate errs more than the baseline by both margins (the worked example of docs/REGRESSION.md)', () => {
  const worse = withErrors(2, 3).result();
  const e = worse.endpoints[0]!;
  assert.equal(e.endpoint, 'GET /users/:id');
  assert.equal(e.baselineErrorRate, 0.002);
  assert.equal(e.errorRate, 0.003);
  assert.equal(e.errorRegression, true);
  assert.equal(worse.verdict, 'fail');
  assert.deepEqual(e.differences, [], 'the failure comes from the errors alone');
  assert.ok(validateReport(worse), JSON.stringify(validateReport.errors));

  const same = withErrors(2, 2).result();
  assert.equal(same.endpoints[0]!.errorRegression, false);
  assert.equal(same.verdict, 'pass');
  const fewer = withErrors(5, 1).result();
  assert.equal(fewer.endpoints[0]!.errorRegression, false, 'a candidate that errs less passes');
  assert.equal(fewer.verdict, 'pass');
  // Within the relative margin: 1.1% against 1% is below 1% × 1.2.
  const close = withErrors(10, 11).result();
  assert.equal(close.endpoints[0]!.errorRegression, false, '1.1% vs 1% is within 20%');
  assert.equal(close.verdict, 'pass');
  assert.equal(withErrors(0, 1000).result().verdict, 'fail', 'a candidate that answers nothing fails');
});

test('--fail-on replaces the default verdict; endpoint-scoped expressions read that endpoint', () => {
  const analyzer = counted(1000, 50, 0); // a reported difference on 5% of GET /x
  assert.equal(analyzer.result().verdict, 'fail');
  const lenient = analyzer.result({ failOn: ['diff_rate>10%'] });
  assert.equal(lenient.verdict, 'pass');
  assert.deepEqual(lenient.failedThresholds, []);
  const strict = analyzer.result({
    failOn: ['diff_rate>1%', 'diff_rate{endpoint="GET /x"}>=0.05', 'diff_rate{endpoint="GET /y"}>0%', 'p99_delta>10%'],
  });
  assert.equal(strict.verdict, 'fail');
  assert.deepEqual(strict.failedThresholds, ['diff_rate>1%', 'diff_rate{endpoint="GET /x"}>=0.05']);
  assert.deepEqual(strict.settings.failOn.length, 4);
  assert.equal(analyzer.result({ failOn: ['status_mismatch_rate>0'] }).verdict, 'pass');
});

/** n exchanges of GET /x, identical but for the latencies (milliseconds) of each side's one response. */
function timed(n: number, baselineMs: (i: number) => number, candidateMs: (i: number) => number): Analyzer {
  const analyzer = new Analyzer();
  for (let i = 0; i < n; i++) {
    analyzer.add(exchange('GET', '/x', [{ body: 'a', latencyMs: baselineMs(i) }], [{ body: 'a', latencyMs: candidateMs(i) }]));
  }
  return analyzer;
}

test('p50_delta and p99_delta read their own percentile, globally and per endpoint: a slower tail trips only p99', () => {
  // 5.0–14.9 ms on both sides; on the candidate, one request in 50 takes 100 ms more.
  const base = (i: number) => 5 + (i % 100) / 10;
  const analyzer = timed(1000, base, (i) => base(i) + (i % 50 === 7 ? 100 : 0));
  const expressions = ['p50_delta', 'p99_delta'].flatMap((metric) =>
    ['', '{endpoint="GET /x"}'].flatMap((scope) => [`${metric}${scope}>10%`, `${metric}${scope}>20ms`]),
  );
  const report = analyzer.result({ failOn: expressions });
  const l = report.endpoints[0]!.latency;
  assert.ok(l.p99Delta > 5 && l.p50Delta < 0.05, `p50 ${l.p50Delta}, p99 ${l.p99Delta}`);
  assert.equal(report.totals.p99Delta, l.p99Delta, 'one endpoint: the totals are its deltas');
  assert.equal(report.totals.p50DeltaMs, l.p50DeltaMs);
  assert.equal(report.verdict, 'fail');
  // Broke when a p50 metric was read as the p99 one (or the other way round) in the totals or an endpoint's metrics.
  assert.deepEqual(report.failedThresholds, [
    'p99_delta>10%',
    'p99_delta>20ms',
    'p99_delta{endpoint="GET /x"}>10%',
    'p99_delta{endpoint="GET /x"}>20ms',
  ]);
});

test('a latency regression needs a significant shift and both minimum effect sizes (10% and 1 ms on the p50)', () => {
  const jitter = (i: number) => (i % 20) * 0.05; // 0–0.95 ms, the same on both sides
  const run = (baseMs: number, shiftMs: number) =>
    timed(
      1000,
      (i) => baseMs + jitter(i),
      (i) => baseMs + shiftMs + jitter(i),
    ).result().endpoints[0]!.latency;

  const tiny = run(11, 0.45); // +4%, +0.45 ms
  assert.ok(tiny.pValue < 1e-6, `a consistent shift is significant: p = ${tiny.pValue}`);
  assert.equal(tiny.regression, false, 'too small on both counts');

  const relativeOnly = run(2, 0.6); // about +26%, but +0.6 ms
  assert.ok(relativeOnly.pValue < 1e-6 && relativeOnly.p50Delta > 0.2, `p = ${relativeOnly.pValue}, ${relativeOnly.p50Delta}`);
  // Broke when the absolute minimum (1 ms) was not checked.
  assert.equal(relativeOnly.regression, false, 'below 1 ms');

  const absoluteOnly = run(50, 2); // +2 ms, but +4%
  assert.ok(absoluteOnly.pValue < 1e-6 && absoluteOnly.p50DeltaMs > 1.5, `p = ${absoluteOnly.pValue}, ${absoluteOnly.p50DeltaMs}`);
  // Broke when the relative minimum (10%) was not checked.
  assert.equal(absoluteOnly.regression, false, 'below 10%');

  const large = run(11, 3); // +26%, +3 ms
  assert.ok(large.pValue < 1e-6);
  assert.equal(large.regression, true);
  assert.equal(
    timed(
      1000,
      (i) => 11 + jitter(i),
      (i) => 11 + jitter(i),
    ).result().endpoints[0]!.latency.regression,
    false,
  );
  const lenient = timed(
    1000,
    (i) => 11 + jitter(i),
    (i) => 11.45 + jitter(i),
  ).result({
    latency: { minRelativeDelta: 0.03, minAbsoluteDeltaMs: 0.4 },
  });
  assert.equal(lenient.endpoints[0]!.latency.regression, true, 'the minimums are settings');
});

test('an endpoint expression naming no endpoint of the run is a warning in the report, not a silent pass', () => {
  const analyzer = counted(100, 50, 0); // GET /x differs in half its requests
  const typo = 'diff_rate{endpoint="GET /X"}>1%';
  const report = analyzer.result({ failOn: [typo, 'p99_delta>50%'] });
  assert.ok(validateReport(report), JSON.stringify(validateReport.errors));
  assert.equal(report.verdict, 'pass', 'the expression still decides nothing');
  // Broke: the misspelt endpoint passed without a word.
  assert.deepEqual(report.warnings, [
    `--fail-on ${typo} matched no endpoint: none of the run's 1 endpoints is "GET /X", so it cannot fail`,
  ]);
  assert.deepEqual(analyzer.result({ failOn: ['diff_rate{endpoint="GET /x"}>1%', 'diff_rate>1%'] }).warnings, []);
  assert.deepEqual(analyzer.result().warnings, []);
});

test('an endpoint named by a pattern with the method * can be selected by --fail-on', () => {
  const analyzer = new Analyzer({ endpoints: ['* /static/*'] });
  for (let i = 0; i < 10; i++) {
    analyzer.add(exchange(i % 2 ? 'GET' : 'HEAD', `/static/${i}.css`, [{ body: 'a' }], [{ body: i < 3 ? 'b' : 'a' }]));
  }
  const scoped = 'diff_rate{endpoint="* /static/*"}>20%';
  const report = analyzer.result({ failOn: [scoped] });
  assert.deepEqual(
    report.endpoints.map((e) => `${e.endpoint} ${e.diffRate}`),
    ['* /static/* 0.3'],
  );
  assert.deepEqual(report.failedThresholds, [scoped]);
  assert.deepEqual(report.warnings, []);
  assert.ok(validateReport(report), JSON.stringify(validateReport.errors));
});

test('memory is per endpoint and field: examples stay capped however many exchanges differ', () => {
  const analyzer = counted(5000, 5000, 0);
  const state = [...analyzer.endpoints.values()][0]!;
  assert.equal(state.fields.size, 1);
  assert.equal([...state.fields.values()][0]!.examples.length, 5);
  assert.equal(state.signatures.size, 1);
});

test('endpoints beyond the cap are pooled per method', () => {
  const analyzer = new Analyzer({ maxEndpoints: 2 });
  for (const path of ['/a', '/b', '/c', '/d']) analyzer.add(exchange('GET', path, [{ body: '1' }], [{ body: '1' }]));
  assert.deepEqual([...analyzer.endpoints.keys()], ['GET /a', 'GET /b', 'GET /(other)']);
  assert.equal(analyzer.endpoints.get('GET /(other)')!.requests, 2);
});

test('plugin comparators come before the built-ins', async () => {
  const { defineComparator } = await import('../src/comparator.js');
  const csv = defineComparator<string[]>({
    name: 'csv-columns',
    matches: (type) => type === 'text/csv',
    parse: (body) => Buffer.from(body).toString().split(','),
    compare: (a, b, emit) => {
      for (const [i, v] of a.entries()) if (v !== b[i]) emit(`col${i}`, 'changed', v, b[i]);
    },
  });
  const analyzer = new Analyzer({ comparators: [csv] });
  analyzer.add(
    exchange(
      'GET',
      '/r',
      [{ body: 'a,b,c', headers: { 'Content-Type': 'text/csv' } }],
      [{ body: 'a,x,c', headers: { 'Content-Type': 'text/csv' } }],
    ),
  );
  assert.deepEqual(
    analyzer.result().endpoints[0]!.differences.map((d) => `${d.field} ${d.examples[0]!.baseline}→${d.examples[0]!.candidate}`),
    ['body.col1 b→x'],
  );

  const broken = defineComparator<string>({
    name: 'broken',
    matches: () => true,
    compare: () => {
      throw new Error('boom');
    },
  });
  assert.throws(
    () => new Analyzer({ comparators: [broken] }).add(exchange('GET', '/r', [{ body: 'a' }], [{ body: 'b' }])),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_PLUGIN_FAILED' && e.message === 'comparator broken, during compare: boom',
  );
});

test('identical bodies are never parsed; a differing body is parsed once however many comparisons it is in', async () => {
  const { defineComparator } = await import('../src/comparator.js');
  const parsed: string[] = [];
  const lines = defineComparator<string[]>({
    name: 'lines',
    matches: (type) => type === 'text/x-lines',
    parse: (body) => {
      const text = Buffer.from(body).toString();
      parsed.push(text);
      return text.split('\n');
    },
    compare: (a, b, emit) => {
      for (const [i, v] of a.entries()) if (v !== b[i]) emit(`line${i}`, 'changed', v, b[i]);
    },
  });
  const analyzer = new Analyzer({ comparators: [lines] });
  const spec = (body: string) => ({ body, headers: { 'Content-Type': 'text/x-lines' } });
  // Baseline twice (noise pair) and the candidate, all the same bytes (one gzipped, one chunked).
  analyzer.add(exchange('GET', '/same', [spec('a\nb'), { ...spec('a\nb'), gzip: true }], [{ ...spec('a\nb'), chunked: true }]));
  assert.deepEqual(parsed, [], 'no parse when every body is the same');
  // The baseline's first body is in both comparisons (noise and raw): parsed once.
  analyzer.add(exchange('GET', '/differs', [spec('a\nb'), spec('a\nc')], [spec('x\nb')]));
  assert.deepEqual(parsed.sort(), ['a\nb', 'a\nc', 'x\nb']);
  const e = analyzer.result().endpoints.find((x) => x.endpoint === 'GET /differs')!;
  assert.deepEqual(
    e.differences.map((d) => d.field),
    ['body.line0'],
  );
  const learnt = analyzer.noiseProfile().endpoints.find((x) => x.endpoint === 'GET /differs')!;
  assert.deepEqual(
    learnt.fields.map((f) => `${f.field} ${f.rate}`),
    ['body.line1 1'],
  );
});

test('comparators from a plugin entry are checked and named when broken', async () => {
  const { comparatorsFromExports } = await import('../src/plugin-comparators.js');
  const { defineComparator } = await import('../src/comparator.js');
  const good = defineComparator({ name: 'xml', matches: () => false, compare: () => {} });
  assert.deepEqual(comparatorsFromExports([good, { kind: 'input', name: 'x' }], ['xml'], 'reprise-plugin-xml'), [good]);
  assert.deepEqual(comparatorsFromExports(good, ['xml'], 'p'), [good], 'a single default export');
  assert.throws(
    () => comparatorsFromExports([], ['xml'], 'reprise-plugin-xml'),
    /reprise-plugin-xml: the manifest declares comparator "xml" but the entry does not export it/,
  );
  assert.throws(
    () => comparatorsFromExports([{ ...good, compare: 1 }], ['xml'], 'p'),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_PLUGIN_MANIFEST' && /no compare\(\) function/.test(e.message),
  );
});
