// The defaults and limits packages/compare/README.md states, checked against the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { Analyzer } from '../src/analyzer.js';
import { DEFAULT_IGNORED_FIELDS } from '../src/ignore-list.js';
import { viewResponse } from '../src/response-view.js';
import { exchange, response } from './helpers.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

test('the README lists exactly the default ignore list', () => {
  const section = /<!-- ignored-fields:start -->([\s\S]*?)<!-- ignored-fields:end -->/.exec(readme)?.[1] ?? '';
  assert.deepEqual(
    [...section.matchAll(/`([^`]+)`/g)].map((m) => m[1]),
    [...DEFAULT_IGNORED_FIELDS],
  );
});

test('default margins, latency test settings and reservoir size are the documented ones', () => {
  const analyzer = new Analyzer();
  analyzer.add(exchange('GET', '/a', [{ body: '1' }], [{ body: '1' }]));
  const { settings } = analyzer.result();
  assert.equal(settings.relativeMargin, 0.2);
  assert.equal(settings.absoluteMargin, 0.0003);
  assert.deepEqual(settings.latency, { alpha: 0.01, minRelativeDelta: 0.1, minAbsoluteDeltaMs: 1 });
  assert.deepEqual(settings.ignore, [...DEFAULT_IGNORED_FIELDS]);
  assert.equal(analyzer.endpoints.get('GET /a')!.latency.baseline.reservoir.capacity, 2000);
});

test('at most 500 endpoints are tracked, later ones pooled per method', () => {
  const analyzer = new Analyzer();
  for (let i = 0; i < 502; i++) analyzer.add(exchange('GET', `/page-${i}`, [{ body: '1' }], [{ body: '1' }]));
  assert.equal(analyzer.endpoints.size, 501);
  assert.equal(analyzer.endpoints.get('GET /(other)')!.requests, 2);
});

test('at most 2,000 fields per endpoint, further ones counted under body.(other)', () => {
  const analyzer = new Analyzer();
  const a = Object.fromEntries(Array.from({ length: 2100 }, (_, i) => [`k${i}`, 1]));
  const b = Object.fromEntries(Array.from({ length: 2100 }, (_, i) => [`k${i}`, 2]));
  analyzer.add(exchange('GET', '/wide', [{ body: a }], [{ body: b }]));
  const state = analyzer.endpoints.get('GET /wide')!;
  assert.equal(state.fields.size, 2001);
  assert.equal(state.fields.get('body.(other)\u0000changed')!.raw, 1, 'counted once per exchange');
});

test('beyond 1,000 distinct sets of differing fields, exchanges are pooled and still counted in diff_rate', () => {
  const analyzer = new Analyzer();
  const n = 1100;
  for (let i = 0; i < n; i++)
    analyzer.add(exchange('GET', '/sets', [{ body: { [`f${i}`]: 1, same: 1 } }], [{ body: { [`f${i}`]: 2, same: 1 } }]));
  const state = analyzer.endpoints.get('GET /sets')!;
  assert.equal(state.signatures.size, 1000);
  assert.equal(state.pooledSignatures.count, 100);
  assert.equal(analyzer.result().endpoints[0]!.diffRate, 1);
});

test('a JSON-typed baseline that is not JSON is compared as text; raw deflate bodies are decoded', () => {
  const analyzer = new Analyzer();
  analyzer.add(
    exchange(
      'GET',
      '/t',
      [{ body: 'not json', headers: { 'Content-Type': 'application/json' } }],
      [{ body: 'not json!', headers: { 'Content-Type': 'application/json' } }],
    ),
  );
  assert.deepEqual(
    analyzer.result().endpoints[0]!.differences.map((d) => `${d.field} ${d.kind} ${d.examples[0]!.candidate}`),
    ['body changed not json!'],
  );
  const raw = response({ body: deflateRawSync(Buffer.from('{"a":1}')), headers: { 'Content-Encoding': 'deflate' } });
  assert.equal(viewResponse(raw).body.toString(), '{"a":1}');
});
