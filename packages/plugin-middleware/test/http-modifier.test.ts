import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RepriseError } from '@reprise/core';
import { parseHttpRules, type HttpModifierOptions } from '../src/modifier-rules.js';
import { applyHttpRules } from '../src/http-modifier.js';
import { fnv1a32 } from '../src/fnv-hash.js';
import { http } from '../src/http-component.js';
import { recordingContext, request, response, text } from './context.js';

function run(options: HttpModifierOptions, raw: string): string | null {
  const result = applyHttpRules(parseHttpRules(options), Buffer.from(raw.replace(/\n/g, '\r\n')));
  return result.dropped ? null : Buffer.from(result.payload).toString().replace(/\r\n/g, '\n');
}

const GET = 'GET /api/users?id=7 HTTP/1.1\nHost: www.example.com\nUser-Agent: curl\n\n';

test('allow-url keeps only requests whose path and query match one of the patterns', { timeout: 5000 }, () => {
  assert.equal(run({ allowUrl: ['^/api/'] }, GET), GET);
  assert.equal(run({ allowUrl: ['^/static/'] }, GET), null);
  assert.equal(run({ allowUrl: ['^/static/', 'id=7$'] }, GET), GET);
});

test('disallow-url drops requests whose path matches any pattern', { timeout: 5000 }, () => {
  assert.equal(run({ disallowUrl: ['^/admin'] }, GET), GET);
  assert.equal(run({ disallowUrl: ['^/admin'] }, 'POST /admin/users HTTP/1.1\nHost: x\n\n'), null);
});

test('allow-header drops requests missing the header or with a value that does not match', { timeout: 5000 }, () => {
  const v1 = 'GET / HTTP/1.1\napi-version: v1.2\n\n';
  assert.equal(run({ allowHeader: ['api-version: ^v1'] }, v1), v1);
  assert.equal(run({ allowHeader: ['API-Version: ^v1'] }, v1), v1, 'header names are case-insensitive');
  assert.equal(run({ allowHeader: ['api-version: ^v2'] }, v1), null);
  assert.equal(run({ allowHeader: ['api-version: ^v1'] }, GET), null, 'a missing header does not pass an allow rule');
});

test('disallow-header drops requests whose header matches and lets through those without it', { timeout: 5000 }, () => {
  const replayed = 'GET / HTTP/1.1\nUser-Agent: Replayed by Gor\n\n';
  assert.equal(run({ disallowHeader: ['User-Agent: Replayed by Gor'] }, replayed), null);
  assert.equal(run({ disallowHeader: ['User-Agent: Replayed by Gor'] }, GET), GET);
  assert.equal(run({ disallowHeader: ['X-Missing: .*'] }, GET), GET);
});

test('allow-method keeps only the listed methods, whatever their case on the flag', { timeout: 5000 }, () => {
  assert.equal(run({ allowMethod: ['GET', 'options'] }, GET), GET);
  assert.equal(run({ allowMethod: ['post'] }, GET), null);
});

test('basic-auth-filter judges the decoded user:password and lets requests without Basic auth pass', { timeout: 5000 }, () => {
  const auth = (cred: string) => `GET / HTTP/1.1\nAuthorization: Basic ${Buffer.from(cred).toString('base64')}\n\n`;
  assert.notEqual(run({ basicAuthFilter: ['^customer[0-9]'] }, auth('customer3:secret')), null);
  assert.equal(run({ basicAuthFilter: ['^customer[0-9]'] }, auth('admin:secret')), null);
  assert.equal(run({ basicAuthFilter: ['^customer[0-9]'] }, GET), GET);
  const bearer = 'GET / HTTP/1.1\nAuthorization: Bearer abc\n\n';
  assert.equal(run({ basicAuthFilter: ['^customer[0-9]'] }, bearer), bearer);
});

test('the hash is FNV-1a 32, the one GoReplay limiters use', { timeout: 5000 }, () => {
  // Published FNV-1a test vectors.
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
});

test('header-limiter keeps the same share of users consistently, by hashing the header value', { timeout: 5000 }, () => {
  let kept = 0;
  for (let user = 0; user < 2000; user++) {
    const raw = `GET / HTTP/1.1\nX-User-Id: user-${user}\n\n`;
    const first = run({ headerLimiter: ['X-User-Id: 10%'] }, raw);
    assert.equal(run({ headerLimiter: ['X-User-Id: 10%'] }, raw), first, 'the same value gets the same decision');
    assert.equal(first !== null, fnv1a32(`user-${user}`) % 100 < 10);
    if (first !== null) kept++;
  }
  assert.ok(kept > 120 && kept < 280, `about 10% of 2000 users kept, got ${kept}`);
  assert.equal(run({ headerLimiter: ['X-User-Id: 10%'] }, GET), GET, 'requests without the header pass');
  assert.equal(run({ headerLimiter: ['X-User-Id: 0%'] }, 'GET / HTTP/1.1\nX-User-Id: 1\n\n'), null);
  assert.notEqual(run({ headerLimiter: ['X-User-Id: 100%'] }, 'GET / HTTP/1.1\nX-User-Id: 1\n\n'), null);
});

test('param-limiter samples by the hash of a query parameter value', { timeout: 5000 }, () => {
  for (const user of ['1', '2', '3', '42', 'abc', 'zz9']) {
    const raw = `GET /p?a=b&user_id=${user} HTTP/1.1\n\n`;
    assert.equal(run({ paramLimiter: ['user_id: 50%'] }, raw) !== null, fnv1a32(user) % 100 < 50);
  }
  assert.equal(run({ paramLimiter: ['user_id: 0%'] }, GET), GET, 'requests without the parameter pass');
});

test('rewrite-url applies the first matching rule with capture groups, in GoReplay and JavaScript syntax', { timeout: 5000 }, () => {
  assert.equal(
    run({ rewriteUrl: ['/v1/(.*):/v2/$1'] }, 'GET /v1/user/1?x=2 HTTP/1.1\nHost: a\n\n'),
    'GET /v2/user/1?x=2 HTTP/1.1\nHost: a\n\n',
  );
  // biome-ignore lint/suspicious/noTemplateCurlyInString: GoReplay's rewrite syntax ${1}, not a JavaScript template
  assert.equal(run({ rewriteUrl: ['^/old/(\\w+):/new/${1}/x'] }, 'GET /old/abc HTTP/1.1\n\n'), 'GET /new/abc/x HTTP/1.1\n\n');
  assert.equal(run({ rewriteUrl: ['^/a:/b', '^/a:/c'] }, 'GET /a HTTP/1.1\n\n'), 'GET /b HTTP/1.1\n\n', 'only the first matching rule');
  assert.equal(run({ rewriteUrl: ['^/zzz:/b'] }, GET), GET);
});

test('rewrite-header rewrites a header value with groups and leaves other requests alone', { timeout: 5000 }, () => {
  assert.equal(
    run({ rewriteHeader: ['Host: (.*).example.com,$1.beta.example.com'] }, GET),
    'GET /api/users?id=7 HTTP/1.1\nHost: www.beta.example.com\nUser-Agent: curl\n\n',
  );
  assert.equal(run({ rewriteHeader: ['X-None: (.*),$1'] }, GET), GET);
});

test('set-header replaces the first value in place or appends the header', { timeout: 5000 }, () => {
  assert.equal(run({ setHeader: ['User-Agent: Gor'] }, GET), 'GET /api/users?id=7 HTTP/1.1\nHost: www.example.com\nUser-Agent: Gor\n\n');
  assert.equal(
    run({ setHeader: ['X-Env: staging'] }, 'POST /x HTTP/1.1\nContent-Length: 2\n\nhi'),
    'POST /x HTTP/1.1\nContent-Length: 2\nX-Env: staging\n\nhi',
  );
});

test('the head ends at its first blank line, whatever line ends it uses: an edit never lands in the body', { timeout: 5000 }, () => {
  const edit = (raw: string) =>
    Buffer.from(applyHttpRules(parseHttpRules({ setHeader: ['X-Env: staging'] }), Buffer.from(raw, 'latin1')).payload!).toString('latin1');
  // A bare-LF head whose body holds a CRLF blank line.
  assert.equal(
    edit('POST /a HTTP/1.1\nContent-Length: 6\n\na\r\n\r\nb'),
    'POST /a HTTP/1.1\nContent-Length: 6\nX-Env: staging\r\n\na\r\n\r\nb',
  );
  // Bare-LF header lines ended by a CRLF blank line.
  assert.equal(edit('POST /a HTTP/1.1\nHost: x\n\r\nbody'), 'POST /a HTTP/1.1\nHost: x\nX-Env: staging\r\n\r\nbody');
});

test('set-param replaces a query parameter or adds it', { timeout: 5000 }, () => {
  assert.equal(run({ setParam: ['id=9'] }, GET), GET.replace('id=7', 'id=9'));
  assert.equal(run({ setParam: ['api_key=k'] }, 'GET /x HTTP/1.1\n\n'), 'GET /x?api_key=k HTTP/1.1\n\n');
  assert.equal(run({ setParam: ['api_key=k'] }, GET), GET.replace('id=7', 'id=7&api_key=k'));
});

test('malformed flag values are configuration errors that name the option', { timeout: 5000 }, () => {
  for (const [option, value] of [
    ['rewriteUrl', 'nocolon'],
    ['headerLimiter', 'X-Id: ten'],
    ['setParam', 'noequals'],
    ['allowUrl', '(unclosed'],
    ['setHeader', 'NoColon'],
  ] as const) {
    assert.throws(
      () => parseHttpRules({ [option]: [value] }),
      (e: unknown) => e instanceof RepriseError && e.code === 'RPR_CONFIG_INVALID' && e.option === option,
    );
  }
});

test('the http component filters requests, drops the responses of dropped requests and counts why', { timeout: 5000 }, async () => {
  const ctx = recordingContext('http');
  const instance = await http.create(undefined, { disallowUrl: ['^/admin'], setHeader: ['X-Env: staging'] }, ctx);
  const admin = request('GET /admin HTTP/1.1\nHost: a\n\n');
  const ok = request('GET /ok HTTP/1.1\nHost: a\n\n');
  const out = await instance.process([
    admin,
    ok,
    response('response', admin.id, 'HTTP/1.1 200 OK\n\n'),
    response('response', ok.id, 'HTTP/1.1 200 OK\n\n'),
  ]);
  assert.deepEqual(
    out.map((m) => [m.kind, m.id]),
    [
      ['request', ok.id],
      ['response', ok.id],
    ],
  );
  assert.equal(text(out[0]!), 'GET /ok HTTP/1.1\nHost: a\nX-Env: staging\n\n');
  assert.equal(ctx.counters.get('filtered-url'), 1);
  const later = await instance.process([response('response', admin.id, 'HTTP/1.1 200 OK\n\n')]);
  assert.equal(later.length, 1, 'the id is forgotten once its original response went by');
});

test('the http component leaves non-request payloads and responses untouched', { timeout: 5000 }, async () => {
  const ctx = recordingContext('http');
  const instance = await http.create(undefined, { setHeader: ['X-Env: staging'] }, ctx);
  const res = response('response', 'f'.repeat(24), 'HTTP/1.1 200 OK\nContent-Length: 0\n\n');
  const out = await instance.process([res]);
  assert.equal(out[0], res);
});

test('edits keep the rest of the request byte for byte, including a body and a head cut short', { timeout: 5000 }, () => {
  const body = Buffer.from([0, 255, 13, 10, 13, 10, 128]);
  const payload = Buffer.concat([Buffer.from('POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n'), body]);
  const result = applyHttpRules(parseHttpRules({ setHeader: ['X-Env: stäging', 'Host: b'], rewriteUrl: ['/v1/:/v2/'] }), payload);
  assert.deepEqual(
    Buffer.from(result.payload!),
    Buffer.concat([Buffer.from('POST /v2/x HTTP/1.1\r\nHost: b\r\nContent-Length: 7\r\nX-Env: stäging\r\n\r\n', 'utf8'), body]),
  );
  assert.equal(run({ setHeader: ['X-Env: staging'] }, 'GET /cut HTTP/1.1\nHost: a'), 'GET /cut HTTP/1.1\nHost: a\nX-Env: staging\n\n');
  assert.equal(run({ setHeader: ['X-Env: staging'] }, 'GET /none HTTP/1.1\n\n'), 'GET /none HTTP/1.1\nX-Env: staging\n\n');
});
