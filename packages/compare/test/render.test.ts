import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Analyzer } from '../src/analyzer.js';
import type { CompareReport } from '../src/report.js';
import { renderHtml, renderJunit, renderMarkdown, renderTerminal, sideBySide } from '../src/render/index.js';
import { ms, percent, signedPercent } from '../src/render/format.js';
import { escapeHtml } from '../src/render/html-escape.js';
import { exchange } from './helpers.js';

/** A real analysis: `GET /users/:id` changes `email` in 1 of 4 requests (values with markup), `GET /a|b` is clean. */
function sampleReport(failOn: string[] = []): CompareReport {
  const analyzer = new Analyzer();
  for (let i = 0; i < 40; i++) {
    const user = (email: string) => ({ body: { id: i, email, token: `t${Math.random()}` } });
    const changed = i % 4 === 0 ? '</script><script>alert(1)</script> | & "x"' : `u${i}@example.com`;
    analyzer.add(exchange('GET', `/users/${i}`, [user(`u${i}@example.com`), user(`u${i}@example.com`)], [user(changed)]));
    analyzer.add(exchange('GET', '/a|b<c>', [{ body: 'same' }, { body: 'same' }], [{ body: 'same' }]));
  }
  return analyzer.result({ failOn, run: { mode: 'live-baseline', baseline: 'http://old', candidate: 'http://new' } });
}

test('number formats: percentages keep small rates readable, deltas carry a sign, milliseconds suit their size', () => {
  assert.deepEqual([percent(0), percent(0.2), percent(1), percent(0.00031), percent(0.05)], ['0%', '20.0%', '100.0%', '0.031%', '5%']);
  assert.deepEqual([signedPercent(0.12), signedPercent(-0.031)], ['+12.0%', '-3.1%']);
  assert.deepEqual([ms(0.423), ms(12.34), ms(1204.4)], ['0.42 ms', '12.3 ms', '1,204 ms']);
});

test('side by side: JSON is pretty-printed and lines are aligned, changed lines paired, extra lines on one side', () => {
  const rows = sideBySide('{"a":1,"b":2,"c":3}', '{"a":1,"b":5,"c":3,"d":4}');
  assert.deepEqual(rows, [
    { left: '{', right: '{', change: 'same' },
    { left: '  "a": 1,', right: '  "a": 1,', change: 'same' },
    { left: '  "b": 2,', right: '  "b": 5,', change: 'changed' },
    { left: '  "c": 3', right: '  "c": 3,', change: 'changed' },
    { left: null, right: '  "d": 4', change: 'added' },
    { left: '}', right: '}', change: 'same' },
  ]);
  assert.deepEqual(sideBySide('EUR', null), [{ left: 'EUR', right: null, change: 'removed' }]);
  assert.ok(sideBySide('x\n'.repeat(500), 'y', 10).length <= 12, 'long values are cut');
});

test('the terminal summary names the verdict, each failing endpoint and why', () => {
  const text = renderTerminal(sampleReport());
  assert.match(text, /^\[compare\] FAIL: 80 requests, 2 endpoints/);
  assert.match(text, /FAIL GET \/users\/:id .*\n\s+body\.email changed in 25\.0% of requests \(noise 0%\)/);
  assert.match(text, /ok {3}GET \/a\|b<c>/);
});

test('a --fail-on expression that matched no endpoint is a warning in the terminal summary, the Markdown and the HTML', () => {
  const report = sampleReport(['diff_rate{endpoint="GET /user/:id"}>1%']);
  assert.equal(report.verdict, 'pass');
  const warning = '--fail-on diff_rate{endpoint="GET /user/:id"}>1% matched no endpoint';
  assert.match(
    renderTerminal(report),
    new RegExp(`\\n {2}WARN ${escapeRegExp(warning)}: none of the run's 2 endpoints is "GET /user/:id", so it cannot fail\\n$`),
  );
  assert.ok(renderMarkdown(report).includes(`\n⚠️ ${warning.replace(/_/g, '\\_')}`), renderMarkdown(report));
  assert.ok(renderHtml(report).includes(`<p class="warning"><b>Warning:</b> ${escapeHtml(warning)}`));
  assert.doesNotMatch(renderTerminal(sampleReport()), /WARN/);
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('Markdown: one row per endpoint, the differences with an example, table cells escaped', () => {
  const text = renderMarkdown(sampleReport());
  assert.match(text, /^## reprise compare: ❌ fail/);
  assert.match(text, /\| ❌ \| `GET \/users\/:id` \| 40 \| 1 \|/);
  assert.match(text, /\| ✅ \| `GET \/a\\\|b<c>` \| 40 \| 0 \|/);
  const row = text.split('\n').find((l) => l.startsWith('| `body.email`'))!;
  assert.match(row, /\| changed \| 25\.0% \| 0% \| `u0@example\.com` → `<\/script><script>alert\(1\)<\/script> \\\| & "x"` \|$/);
});

test('JUnit: well-formed, one case per endpoint, a failure for the failing one, names and messages escaped', () => {
  const xml = renderJunit(sampleReport());
  assert.equal(XMLValidator.validate(xml), true);
  const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml).testsuites.testsuite;
  assert.equal(suite.tests, '2');
  assert.equal(suite.failures, '1');
  const cases = suite.testcase as Array<Record<string, string & Record<string, string>>>;
  assert.deepEqual(
    cases.map((c) => c.name),
    ['GET /a|b<c>', 'GET /users/:id'],
  );
  assert.match(cases[1]!.failure['#text'], /body\.email changed in 25\.0%/);
  assert.equal(cases[0]!.failure, undefined);
});

test('JUnit with --fail-on: endpoint thresholds fail their endpoint, global ones a "thresholds" case', () => {
  const scoped = 'diff_rate{endpoint="GET /users/:id"}>10%';
  const xml = renderJunit(sampleReport([scoped, 'diff_rate>5%', 'error_rate>1%']));
  assert.equal(XMLValidator.validate(xml), true);
  const cases = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml).testsuites.testsuite.testcase as Array<
    Record<string, string & Record<string, string>>
  >;
  assert.deepEqual(
    cases.map((c) => [c.name, c.failure !== undefined]),
    [
      ['GET /a|b<c>', false],
      ['GET /users/:id', true],
      ['thresholds', true],
    ],
  );
  assert.match(cases[1]!.failure.message, /threshold diff_rate\{endpoint=&quot;GET|threshold diff_rate\{endpoint="GET/);
  assert.match(cases[2]!.failure['#text'], /^diff_rate>5%$/);
});

test('HTML: self-contained (no request possible), a chart and a table per endpoint, values escaped', () => {
  const html = renderHtml(sampleReport());
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  assert.doesNotMatch(html, /\s(src|href)="(?!#)/, 'no external resource, only in-page links');
  assert.equal([...html.matchAll(/<svg class="latency-chart"/g)].length, 2);
  assert.equal([...html.matchAll(/<script>/g)].length, 1, "only the page's own script");
  assert.ok(html.includes('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('<code>GET /a|b&lt;c&gt;</code>'));
  assert.match(html, /<td class="changed-left">u0@example\.com<\/td><td class="changed-right">&lt;\/script&gt;/);
});
