// The middleware-script component as the pipeline drives it: its defaults, counters and warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '@reprise/core';
import { middlewareScript, type MiddlewareScriptOptions } from '../src/script-component.js';
import { recordingContext, request, text, type RecordingContext } from './context.js';

const dir = mkdtempSync(join(tmpdir(), 'reprise-component-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function script(code: string): string {
  const file = join(dir, `component-${++n}.js`);
  writeFileSync(file, code);
  return file;
}

/** The options as the pipeline hands them over: every default from the schema, then the given ones. */
function options(given: Partial<MiddlewareScriptOptions> = {}): MiddlewareScriptOptions {
  const defaults = Object.fromEntries(Object.entries(middlewareScript.options.properties).map(([k, v]) => [k, v.default]));
  return { ...defaults, ...given } as MiddlewareScriptOptions;
}

async function withInstance(
  file: string,
  given: Partial<MiddlewareScriptOptions>,
  fn: (process: (batch: Message[]) => Promise<string[]>, ctx: RecordingContext) => Promise<void>,
  ctx = recordingContext('middleware-script'),
): Promise<void> {
  const instance = await middlewareScript.create(file, options(given), ctx);
  try {
    await fn(async (batch) => ((await instance.process(batch)) as Message[]).map(text), ctx);
  } finally {
    await instance.close?.();
  }
}

test('fail closed by default: a script that throws before its /admin check does not let /admin through', { timeout: 10000 }, async () => {
  assert.equal(middlewareScript.options.properties.onError!.default, 'drop');
  const file = script(`export function request(req) {
    const user = JSON.parse(req.headers.get('x-user')).name;   // throws on a request without the header
    if (req.path.startsWith('/admin')) return null;
    req.headers.set('x-seen-by', user);
    return req;
  }`);
  await withInstance(file, {}, async (process, ctx) => {
    const out = await process([
      request('GET /admin/users HTTP/1.1\nHost: x\n\n'),
      request('GET /public HTTP/1.1\nX-User: {"name":"ann"}\n\n'),
      request('GET /admin/users HTTP/1.1\nX-User: {"name":"bob"}\n\n'),
    ]);
    assert.deepEqual(out, ['GET /public HTTP/1.1\nX-User: {"name":"ann"}\nx-seen-by: ann\n\n']);
    assert.equal(ctx.counters.get('dropped-by-script-error'), 1);
    assert.equal(ctx.counters.get('dropped-by-script'), 1, 'the /admin request the script returned null for');
    assert.equal(ctx.counters.get('script-errors'), 1);
  });
  // `pass` stays available, for scripts that only decorate.
  await withInstance(file, { onError: 'pass' }, async (process, ctx) => {
    const out = await process([request('GET /admin/users HTTP/1.1\nHost: x\n\n')]);
    assert.deepEqual(out, ['GET /admin/users HTTP/1.1\nHost: x\n\n']);
    assert.equal(ctx.counters.get('dropped-by-script-error'), undefined);
  });
});

test('a timed-out request hook drops its message by default and the rebuild is a warning that module state was reset', {
  timeout: 20000,
}, async () => {
  const file = script(`export function request(req) {
    store.set('k', 1);
    if (req.path === '/loop') for (;;) {}
    return req;
  }`);
  await withInstance(file, { timeout: '50ms' }, async (process, ctx) => {
    const out = await process([request('GET /a HTTP/1.1\n\n'), request('GET /loop HTTP/1.1\n\n'), request('GET /b HTTP/1.1\n\n')]);
    assert.deepEqual(out, ['GET /a HTTP/1.1\n\n', 'GET /b HTTP/1.1\n\n']);
    assert.equal(ctx.counters.get('script-timeouts'), 1);
    assert.equal(ctx.counters.get('dropped-by-script-error'), 1);
    assert.equal(ctx.counters.get('script-restarts'), 1);
    const warnings = ctx.logs.filter((l) => l.level === 'warn').map((l) => l.message);
    assert.ok(
      warnings.some(
        (w) =>
          w ===
          `${file}: the isolate was rebuilt after a timeout or an exhausted heap: module state (top-level variables) was reset; store kept (1 keys)`,
      ),
      JSON.stringify(warnings),
    );
  });
});

test('messages a script drops on purpose are counted as dropped-by-script, amplified ones are not', { timeout: 10000 }, async () => {
  const file = script(`export function request(req) {
    if (req.path === '/drop') return null;
    if (req.path === '/none') return [];
    if (req.path === '/twice') return [req, req.clone()];
    return req;
  }`);
  await withInstance(file, {}, async (process, ctx) => {
    const out = await process(['/drop', '/keep', '/none', '/twice', '/drop'].map((p) => request(`GET ${p} HTTP/1.1\n\n`)));
    assert.equal(out.length, 3);
    assert.equal(ctx.counters.get('dropped-by-script'), 3);
    assert.equal(ctx.counters.get('failed'), undefined);
  });
});

test('replayedResponse without a response-tracking output is a warning at create; with one, none', { timeout: 10000 }, async () => {
  const file = script(`export function replayedResponse(res) { return res; }`);
  const warningsWith = async (outputsTrackResponses: boolean | undefined) => {
    const ctx = recordingContext('middleware-script', { outputsTrackResponses });
    await withInstance(file, {}, async () => {}, ctx);
    return ctx.logs.filter((l) => l.level === 'warn').map((l) => l.message);
  };
  assert.deepEqual(await warningsWith(false), [
    `${file} exports replayedResponse, but no output tracks responses (add --output-http-track-response): it will run only on replayed responses read from the input`,
  ]);
  assert.deepEqual(await warningsWith(true), []);
  const requestOnly = script(`export function request(req) { return req; }`);
  const ctx = recordingContext('middleware-script', { outputsTrackResponses: false });
  await withInstance(requestOnly, {}, async () => {}, ctx);
  assert.deepEqual(
    ctx.logs.filter((l) => l.level === 'warn'),
    [],
    'a script without replayedResponse needs no tracking',
  );
});
