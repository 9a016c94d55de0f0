import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRecordingContext, validatedOptions } from '@reprise/core/testing';
import { outputJsonl } from '../index.js';

// A plugin is tested by driving its component with a context, as the pipeline does: core's
// recording context counts, logs and collects what the component emits.
const context = () => createRecordingContext('output-jsonl');

const bytes = (text) => new TextEncoder().encode(text);

test('writes a line per pair and the unanswered requests at flush', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jsonl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'pairs.jsonl');
  const ctx = context();
  const output = await outputJsonl.create(path, validatedOptions(outputJsonl), ctx);
  const id1 = '1'.repeat(24);
  const id2 = '2'.repeat(24);
  await output.write([
    { kind: 'request', id: id1, timestamp: 1n, latency: 0n, payload: bytes('GET /a HTTP/1.1\r\nHost: h\r\n\r\n') },
    { kind: 'request', id: id2, timestamp: 2n, latency: 0n, payload: bytes('GET /b HTTP/1.1\r\nHost: h\r\n\r\n') },
    { kind: 'response', id: id1, timestamp: 3n, latency: 1_000_000n, payload: bytes('HTTP/1.1 200 OK\r\n\r\n') },
  ]);
  await output.flush();
  const lines = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.request.url),
    ['/a', '/b'],
  );
  assert.equal(lines[0].response.status, 200);
  assert.equal(lines[1].response, null);
  assert.equal(ctx.counters.get('lines'), 2);
});

test('a file that cannot be written is counted as failed, not thrown', async () => {
  const ctx = context();
  const output = await outputJsonl.create('/nonexistent-dir/x.jsonl', validatedOptions(outputJsonl, { pairTimeoutMs: 0 }), ctx);
  await output.write([{ kind: 'request', id: '3'.repeat(24), timestamp: 1n, latency: 0n, payload: bytes('GET / HTTP/1.1\r\n\r\n') }]);
  await output.flush();
  assert.equal(ctx.counters.get('failed'), 1);
  assert.match(ctx.logs[0].message, /cannot append/);
});
