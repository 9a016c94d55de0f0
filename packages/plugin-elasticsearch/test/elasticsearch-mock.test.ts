import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { BaseConnection } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import { ElasticsearchOutput } from '../src/elasticsearch-output.js';
import { newId, recordingContext, requestMessage, responseMessage, settingsFor } from './context.js';

// The official mock replaces the client's connection: these tests check what the client is asked to
// send (paths, bodies) and how the output reads the client's answers, with no socket at all.

// biome-ignore lint/suspicious/noExplicitAny: bulk lines are JSON the tests read field by field
type BulkLine = Record<string, any>;
type MockParams = { body?: unknown };
// The mock is a CommonJS class (module.exports = Mocker) whose types declare an ES default export.
const Mock = createRequire(import.meta.url)('@elastic/elasticsearch-mock') as new () => MockClient;
interface MockClient {
  add(pattern: { method: string; path: string }, resolver: (params: MockParams) => unknown): MockClient;
  getConnection(): typeof BaseConnection;
}

function notFound(): errors.ResponseError {
  return new errors.ResponseError({
    body: { error: 'not found' },
    statusCode: 404,
    headers: {},
    warnings: null,
    meta: {} as never,
  });
}

function setup(t: { after(fn: () => unknown): void }, options = {}) {
  const mock = new Mock();
  const ctx = recordingContext();
  const settings = settingsFor({ flushInterval: '50ms', retryBackoff: '5ms', joinWindow: '200ms', ...options }, ctx.component);
  // The mock's connection keeps BaseConnection's close(), which throws "should be implemented"; the real one closes its pool.
  const Connection = class extends mock.getConnection() {
    override async close(): Promise<void> {}
  };
  const output = new ElasticsearchOutput('http://localhost:9200/gor', settings, ctx, { Connection, env: {} });
  t.after(() => output.close());
  return { mock, ctx, output };
}

test('with the official mock: the template is put when HEAD says missing, then documents go through _bulk', {
  timeout: 20000,
}, async (t) => {
  const { mock, ctx, output } = setup(t);
  const putBodies: unknown[] = [];
  const bulkLines: BulkLine[] = [];
  mock.add({ method: 'HEAD', path: '/_index_template/reprise-gor' }, () => notFound());
  mock.add({ method: 'PUT', path: '/_index_template/reprise-gor' }, (params: MockParams) => {
    putBodies.push(params.body);
    return { acknowledged: true };
  });
  mock.add({ method: 'POST', path: '/_bulk' }, (params: MockParams) => {
    const lines = params.body as BulkLine[];
    bulkLines.push(...lines);
    const items = [];
    for (let i = 0; i < lines.length; i += 2) items.push({ index: { _index: lines[i]!.index._index, status: 201, result: 'created' } });
    return { took: 1, errors: false, items };
  });
  const id = newId();
  await output.write([
    requestMessage(id, 'DELETE /items/7 HTTP/1.1\nHost: api'),
    responseMessage(id, 'response', 'HTTP/1.1 204 No Content'),
  ]);
  await output.flush();
  assert.equal(putBodies.length, 1);
  assert.deepEqual((putBodies[0] as { index_patterns: string[] }).index_patterns, ['gor']);
  assert.equal(bulkLines.length, 2);
  assert.deepEqual(bulkLines[0], { index: { _index: 'gor' } });
  assert.equal(bulkLines[1]!['Req_Method'], 'DELETE');
  assert.equal(bulkLines[1]!['Resp_Status-Code'], '204');
  assert.equal(ctx.counters.get('es-indexed'), 1);
});

test('with the official mock: a connection error on _bulk is retried, then counted, never thrown', { timeout: 20000 }, async (t) => {
  const { mock, ctx, output } = setup(t, { retries: 2 });
  let attempts = 0;
  mock.add({ method: 'HEAD', path: '/_index_template/reprise-gor' }, () => '');
  mock.add({ method: 'POST', path: '/_bulk' }, () => {
    attempts++;
    return new errors.ConnectionError('connect ECONNREFUSED');
  });
  const id = newId();
  await output.write([requestMessage(id, 'GET / HTTP/1.1\nHost: a'), responseMessage(id, 'response', 'HTTP/1.1 200 OK')]);
  await output.flush();
  assert.equal(attempts, 3);
  assert.equal(ctx.counters.get('failed'), 1);
  assert.equal(ctx.counters.get('es-unavailable'), 1);
  assert.ok(ctx.logs.some((l) => l.message.includes('ECONNREFUSED')));
});

test('with the official mock: per-item errors are told apart from indexed documents', { timeout: 20000 }, async (t) => {
  const { mock, ctx, output } = setup(t);
  mock.add({ method: 'HEAD', path: '/_index_template/reprise-gor' }, () => '');
  mock.add({ method: 'POST', path: '/_bulk' }, (params: MockParams) => {
    const lines = params.body as BulkLine[];
    const items = [];
    for (let i = 0; i < lines.length; i += 2) {
      items.push(
        lines[i + 1]!['Req_Path'] === '/broken'
          ? { index: { status: 400, error: { type: 'document_parsing_exception', reason: 'bad value' } } }
          : { index: { status: 201, result: 'created' } },
      );
    }
    return { took: 1, errors: true, items };
  });
  const a = newId();
  const b = newId();
  await output.write([
    requestMessage(a, 'GET /broken HTTP/1.1'),
    responseMessage(a, 'response', 'HTTP/1.1 200 OK'),
    requestMessage(b, 'GET /fine HTTP/1.1'),
    responseMessage(b, 'response', 'HTTP/1.1 200 OK'),
  ]);
  await output.flush();
  assert.equal(ctx.counters.get('es-indexed'), 1);
  assert.equal(ctx.counters.get('failed'), 1);
  assert.equal(ctx.counters.get('es-failed:document_parsing_exception'), 1);
});
