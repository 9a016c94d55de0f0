import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Message } from '@reprise/core';
import { validatedOptions } from '@reprise/core/testing';
import { ElasticsearchOutput, type OutputDependencies } from '../src/elasticsearch-output.js';
import { FakeElasticsearch, type FakeElasticsearchOptions } from '../../../test/support/fake-elasticsearch-server.js';
import plugins, { outputHttpElasticsearch } from '../src/index.js';
import { eventually, newId, recordingContext, requestMessage, responseMessage, settingsFor, type RecordingContext } from './context.js';

const T0 = Date.UTC(2026, 10, 26, 3, 0, 0);

async function startFake(t: TestContext, options: FakeElasticsearchOptions = {}): Promise<FakeElasticsearch> {
  const fake = await FakeElasticsearch.start(options);
  t.after(() => fake.close());
  return fake;
}

function startOutput(
  t: TestContext,
  address: string,
  options: Record<string, unknown> = {},
  deps: OutputDependencies = {},
): { output: ElasticsearchOutput; ctx: RecordingContext } {
  const ctx = recordingContext();
  // short intervals so the tests run quickly; the defaults are exercised by the options test
  const settings = settingsFor({ flushInterval: '50ms', retryBackoff: '10ms', joinWindow: '300ms', ...options }, ctx.component);
  const output = new ElasticsearchOutput(address, settings, ctx, { env: {}, ...deps });
  t.after(() => output.close());
  return { output, ctx };
}

function exchange(path: string, status = 200, extraHead = ''): Message[] {
  const id = newId();
  return [
    requestMessage(id, `GET ${path} HTTP/1.1\nHost: app.test${extraHead}`, { timestampMs: T0 }),
    responseMessage(id, 'response', `HTTP/1.1 ${status} X`, { timestampMs: T0 + 4 }),
  ];
}

const count = (ctx: RecordingContext, name: string) => ctx.counters.get(name) ?? 0;

test('documents are indexed after the index template is created with explicit mappings', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t);
  const { output, ctx } = startOutput(t, `${fake.url}/gor`);
  await output.write([...exchange('/a?x=1'), ...exchange('/b', 404)]);
  await output.flush();
  assert.equal(fake.documents.length, 2);
  assert.deepEqual(
    fake.documents.map((d) => d.index),
    ['gor', 'gor'],
  );
  const a = fake.documents.find((d) => d.document['Req_Path'] === '/a')!.document;
  assert.equal(a['Req_URL'], '/a?x=1');
  assert.equal(a['Req_Query'], 'x=1');
  assert.equal(a['Resp_Status-Code'], '200');
  assert.equal(a['RTT'], 4);
  assert.equal(a['Timestamp'], '2026-11-26T03:00:00.000Z');
  const b = fake.documents.find((d) => d.document['Req_Path'] === '/b')!.document;
  assert.equal(b['Resp_Status-Code'], '404');

  const template = fake.templates.get('reprise-gor') as {
    index_patterns: string[];
    template: { mappings: { properties: Record<string, { type: string }> } };
  };
  assert.ok(template, 'the template was created');
  assert.deepEqual(template.index_patterns, ['gor']);
  assert.equal(template.template.mappings.properties['Req_Method']!.type, 'keyword');
  const firstBulk = fake.requests.findIndex((r) => r.path.endsWith('_bulk'));
  const templatePut = fake.requests.findIndex((r) => r.method === 'PUT' && r.path === '/_index_template/reprise-gor');
  assert.ok(templatePut >= 0 && templatePut < firstBulk, 'the template exists before the first document');
  assert.equal(count(ctx, 'es-indexed'), 2);
  assert.equal(count(ctx, 'failed'), 0);
});

test('an existing index template is left as it is', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t);
  fake.templates.set('reprise-gor', { mine: true });
  const { output } = startOutput(t, `${fake.url}/gor`);
  await output.write(exchange('/'));
  await output.flush();
  assert.deepEqual(fake.templates.get('reprise-gor'), { mine: true });
  assert.equal(fake.requests.filter((r) => r.method === 'PUT').length, 0);
  assert.equal(fake.documents.length, 1);
});

test('a bulk request answered 429 is retried after a back-off and its documents indexed once', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t, { onBulk: (n) => (n === 0 ? { status: 429 } : undefined) });
  const { output, ctx } = startOutput(t, `${fake.url}/gor`);
  await output.write([...exchange('/1'), ...exchange('/2'), ...exchange('/3')]);
  await output.flush();
  assert.equal(fake.bulkRequestCount, 2);
  assert.equal(fake.documents.length, 3);
  assert.equal(count(ctx, 'es-retried'), 1);
  assert.equal(count(ctx, 'es-indexed'), 3);
  assert.equal(count(ctx, 'failed'), 0);
});

test('documents rejected one by one with 429 are retried by the bulk helper', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t, {
    onBulk: (n) =>
      n === 0
        ? {
            itemError: (doc) =>
              doc['Req_Path'] === '/busy'
                ? { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } }
                : undefined,
          }
        : undefined,
  });
  const { output, ctx } = startOutput(t, `${fake.url}/gor`);
  await output.write([...exchange('/ok'), ...exchange('/busy')]);
  await output.flush();
  assert.equal(fake.bulkRequestCount, 2);
  assert.deepEqual(fake.documents.map((d) => d.document['Req_Path']).sort(), ['/busy', '/ok']);
  assert.equal(count(ctx, 'failed'), 0);
  assert.equal(count(ctx, 'es-indexed'), 2);
});

test('documents Elasticsearch refuses are counted with their reason while the others are indexed', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t, {
    onBulk: () => ({
      itemError: (doc) =>
        doc['Req_Path'] === '/bad'
          ? { status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [RTT]' } }
          : undefined,
    }),
  });
  const { output, ctx } = startOutput(t, `${fake.url}/gor`);
  await output.write([...exchange('/good'), ...exchange('/bad'), ...exchange('/bad'), ...exchange('/fine')]);
  await output.flush();
  assert.deepEqual(fake.documents.map((d) => d.document['Req_Path']).sort(), ['/fine', '/good']);
  assert.equal(count(ctx, 'failed'), 2);
  assert.equal(count(ctx, 'es-rejected'), 2);
  assert.equal(count(ctx, 'es-failed:mapper_parsing_exception'), 2);
  assert.equal(count(ctx, 'es-indexed'), 2);
  const warnings = ctx.logs.filter((l) => l.level === 'warn' && l.message.includes('mapper_parsing_exception'));
  assert.ok(warnings.length >= 1, 'the reason is logged');
  assert.ok(warnings.some((w) => w.message.includes('failed to parse field [RTT]')));
});

test('Elasticsearch answering 500 for good has every document counted as unavailable after the retries', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t, { onBulk: () => ({ status: 500 }) });
  const { output, ctx } = startOutput(t, `${fake.url}/gor`, { retries: 2 });
  await output.write([...exchange('/1'), ...exchange('/2')]);
  await output.flush();
  assert.equal(fake.bulkRequestCount, 3, 'one request and two retries');
  assert.equal(count(ctx, 'failed'), 2);
  assert.equal(count(ctx, 'es-unavailable'), 2);
  assert.equal(count(ctx, 'es-retried'), 2);
  assert.equal(count(ctx, 'es-indexed'), 0);
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('Elasticsearch down never throws from write or flush: documents are counted and the stream goes on', { timeout: 30000 }, async (t) => {
  const port = await closedPort();
  const { output, ctx } = startOutput(t, `http://127.0.0.1:${port}/gor`, { retries: 1, queueLimit: 5, concurrency: 1 });
  let written = 0;
  for (let round = 0; round < 10; round++) {
    const batch: Message[] = [];
    for (let i = 0; i < 5; i++) batch.push(...exchange(`/${round}-${i}`));
    await output.write(batch);
    written += 5;
  }
  await output.flush();
  assert.equal(count(ctx, 'failed'), written, 'every document is accounted for');
  assert.equal(count(ctx, 'es-unavailable'), written);
  assert.equal(count(ctx, 'es-indexed'), 0);
  assert.ok(ctx.logs.some((l) => l.level === 'warn' && /unreachable/.test(l.message)));
  assert.ok(count(ctx, 'es-template-failed') >= 1);
});

test('indexing resumes when Elasticsearch comes back', { timeout: 30000 }, async (t) => {
  let isDown = true;
  const fake = await startFake(t, { onBulk: () => (isDown ? { status: 503 } : undefined) });
  const { output, ctx } = startOutput(t, `${fake.url}/gor`, { retries: 0 });
  await output.write(exchange('/while-down'));
  await eventually(() => count(ctx, 'es-unavailable') === 1, 5000, 'the first document to fail');
  isDown = false;
  await output.write(exchange('/after'));
  await output.flush();
  assert.deepEqual(
    fake.documents.map((d) => d.document['Req_Path']),
    ['/after'],
  );
  assert.equal(count(ctx, 'failed'), 1);
  assert.ok(ctx.logs.some((l) => l.message.includes('answers again')));
});

test('a request whose response never comes is indexed alone once the join window has passed', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t);
  const { output, ctx } = startOutput(t, `${fake.url}/gor`, { joinWindow: '200ms', flushInterval: '50ms' });
  const id = newId();
  await output.write([requestMessage(id, 'GET /lonely HTTP/1.1\nHost: a')]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(fake.documents.length, 0, 'it waits for its response first');
  // no further write and no flush: the output's own timer releases it
  await eventually(() => fake.documents.length === 1, 5000, 'the lone request to be indexed');
  const doc = fake.documents[0]!.document;
  assert.equal(doc['Req_Path'], '/lonely');
  assert.equal(doc['Resp_Status-Code'], undefined);
  await output.flush();
  assert.equal(count(ctx, 'es-indexed'), 1);
});

test('responses that never meet their request are counted, not indexed', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t);
  const { output, ctx } = startOutput(t, `${fake.url}/gor`);
  await output.write([responseMessage(newId(), 'replayed-response', 'HTTP/1.1 200 OK')]);
  await output.flush();
  assert.equal(fake.documents.length, 0);
  assert.equal(count(ctx, 'es-orphan-responses'), 1);
  assert.equal(count(ctx, 'failed'), 0);
});

test('sensitive headers are redacted in what Elasticsearch receives, and bodies are left out', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t);
  const { output } = startOutput(t, `${fake.url}/gor`);
  const id = newId();
  await output.write([
    requestMessage(id, 'POST /login HTTP/1.1\nHost: a\nAuthorization: Basic dXNlcjpwYXNz\nCookie: sid=s3cr3t', {
      body: 'password=hunter2',
    }),
    responseMessage(id, 'response', 'HTTP/1.1 200 OK\nSet-Cookie: sid=n3w; HttpOnly', { body: 'welcome' }),
  ]);
  await output.flush();
  const raw = fake.bulkRequests.map((r) => r.body).join('');
  for (const secret of ['dXNlcjpwYXNz', 's3cr3t', 'n3w', 'hunter2', 'welcome']) assert.ok(!raw.includes(secret), secret);
  assert.equal(fake.documents[0]!.document['Req_Authorization'], 'Basic [redacted]');
});

test('bodies are indexed up to the size cap when asked', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t);
  const { output } = startOutput(t, `${fake.url}/gor`, { includeBodies: true, bodyLimit: '8' });
  const id = newId();
  await output.write([
    requestMessage(id, 'POST /x HTTP/1.1\nHost: a', { body: '0123456789' }),
    responseMessage(id, 'response', 'HTTP/1.1 200 OK', { body: 'short' }),
  ]);
  await output.flush();
  const doc = fake.documents[0]!.document;
  assert.equal(doc['Req_Body'], '01234567');
  assert.equal(doc['Req_Body-Truncated'], true);
  assert.equal(doc['Resp_Body'], 'short');
});

test('credentials from the environment are sent and never logged', { timeout: 20000 }, async (t) => {
  const apiKey = 'c2VjcmV0LWtleQ==';
  const fake = await startFake(t, { requiredAuthorization: `ApiKey ${apiKey}` });
  const { output, ctx } = startOutput(t, `${fake.url}/gor`, {}, { env: { REPRISE_ES_API_KEY: apiKey } });
  await output.write(exchange('/with-key'));
  await output.flush();
  assert.equal(fake.documents.length, 1);
  assert.ok(ctx.logs.some((l) => l.message.includes('credentials: from environment')));
  assert.ok(ctx.logs.every((l) => !l.message.includes(apiKey)));
});

test('wrong credentials are counted as rejected with the reason, without retries', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t, { requiredAuthorization: 'ApiKey right' });
  const { output, ctx } = startOutput(
    t,
    `${fake.url}/gor`,
    {},
    { env: { REPRISE_ES_USERNAME: 'elastic', REPRISE_ES_PASSWORD: 'wrong-password' } },
  );
  await output.write(exchange('/denied'));
  await output.flush();
  assert.equal(count(ctx, 'failed'), 1);
  assert.equal(count(ctx, 'es-rejected'), 1);
  assert.equal(count(ctx, 'es-retried'), 0);
  assert.equal(fake.bulkRequests.length, 1, 'a 401 is final');
  assert.ok(ctx.logs.some((l) => l.message.includes('401')));
  assert.ok(ctx.logs.every((l) => !l.message.includes('wrong-password')));
});

test('a dated index pattern puts each request in the index of its own day', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t);
  const { output } = startOutput(t, `${fake.url}/gor`, { indexPattern: 'gor-%Y-%m-%d' });
  const day1 = newId();
  const day2 = newId();
  await output.write([
    requestMessage(day1, 'GET /1 HTTP/1.1', { timestampMs: Date.UTC(2026, 10, 25, 23, 59) }),
    requestMessage(day2, 'GET /2 HTTP/1.1', { timestampMs: Date.UTC(2026, 10, 26, 0, 1) }),
  ]);
  await output.flush();
  assert.deepEqual(fake.documents.map((d) => d.index).sort(), ['gor-2026-11-25', 'gor-2026-11-26']);
  assert.deepEqual((fake.templates.get('reprise-gor') as { index_patterns: string[] }).index_patterns, ['gor-*']);
});

test('a full queue holds write back until Elasticsearch has taken documents', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t, { bulkDelayMs: 150 });
  const { output, ctx } = startOutput(t, `${fake.url}/gor`, {
    queueLimit: 4,
    concurrency: 1,
    flushBytes: '200',
    flushInterval: '20ms',
    responses: 'original',
  });
  const batch: Message[] = [];
  for (let i = 0; i < 8; i++) batch.push(...exchange(`/${i}`));
  let isWritten = false;
  const written = Promise.resolve(output.write(batch)).then(() => {
    isWritten = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(isWritten, false, 'write waits while the queue is full and Elasticsearch is slow');
  await written;
  await output.flush();
  assert.equal(fake.documents.length, 8);
  assert.equal(count(ctx, 'failed'), 0);
});

test('output-http-elasticsearch indexes replayed responses and ignores original ones', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t);
  const ctx = recordingContext('output-http-elasticsearch');
  const output = await outputHttpElasticsearch.create(
    fake.url.replace('http://', '') + '/gor',
    validatedOptions(outputHttpElasticsearch, { joinWindow: '300ms', flushInterval: '50ms' }),
    ctx,
  );
  t.after(() => output.close?.());
  const id = newId();
  await output.write([
    requestMessage(id, 'GET /r HTTP/1.1\nHost: a'),
    responseMessage(id, 'response', 'HTTP/1.1 200 OK'),
    responseMessage(id, 'replayed-response', 'HTTP/1.1 500 Oops', { latencyMs: 2 }),
  ]);
  await output.flush?.();
  assert.equal(fake.documents.length, 1);
  const doc = fake.documents[0]!.document;
  assert.equal(doc['Resp_Status-Code'], '500');
  assert.equal(doc['Resp_Source'], 'replayed');
  assert.equal(doc['Orig_Status-Code'], undefined);
  assert.equal(doc['Status_Mismatch'], undefined);
});

test('the package exports both components with documented options', { timeout: 5000 }, () => {
  assert.deepEqual(
    plugins.map((p) => p.name),
    ['output-elasticsearch', 'output-http-elasticsearch'],
  );
  for (const definition of plugins) {
    assert.equal(definition.kind, 'output');
    for (const [name, option] of Object.entries(definition.options.properties)) {
      assert.ok(option.description.length > 10, `${definition.name} ${name} has a description`);
      assert.ok(Array.isArray(option.examples) && option.examples.length > 0, `${definition.name} ${name} has examples`);
      assert.match(name, /^[a-z][a-zA-Z]*$/, 'option names are camelCase');
    }
  }
  assert.ok('responses' in plugins[0]!.options.properties);
  assert.ok(!('responses' in plugins[1]!.options.properties));
});

test('close without flush and a second close are safe', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t);
  const { output, ctx } = startOutput(t, `${fake.url}/gor`, { flushInterval: '10s' });
  await output.write(exchange('/x'));
  await output.close();
  await output.close();
  // what was not sent is counted, never silently lost
  assert.equal(count(ctx, 'es-indexed') + count(ctx, 'failed'), 1);
});

test('output-http-elasticsearch says once when no replayed response ever arrives', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t);
  const ctx = recordingContext('output-http-elasticsearch');
  const output = await outputHttpElasticsearch.create(
    `${fake.url}/gor`,
    validatedOptions(outputHttpElasticsearch, { joinWindow: '100ms', flushInterval: '50ms' }),
    ctx,
  );
  t.after(() => output.close?.());
  await output.write([...exchange('/1'), ...exchange('/2')]);
  await output.flush?.();
  assert.equal(fake.documents.length, 2);
  const hints = ctx.logs.filter((l) => l.message.includes('--output-http-track-response'));
  assert.equal(hints.length, 1);
});

test('a template the cluster refuses is not asked for again on every bulk request', { timeout: 20000 }, async (t) => {
  const fake = await startFake(t, { requiredAuthorization: 'ApiKey k' });
  const { output, ctx } = startOutput(t, `${fake.url}/gor`, {}, { env: { REPRISE_ES_API_KEY: 'wrong' } });
  await output.write(exchange('/a'));
  await output.flush();
  await output.write(exchange('/b'));
  await output.flush();
  const templateRequests = fake.requests.filter((r) => r.path.startsWith('/_index_template'));
  assert.equal(templateRequests.length, 1);
  assert.equal(count(ctx, 'es-template-failed'), 1);
  assert.equal(count(ctx, 'failed'), 2);
});

test('an Elasticsearch that never answers times out: write is not held back for good and documents are counted', {
  timeout: 30000,
}, async (t) => {
  const fake = await startFake(t, { bulkDelayMs: 60_000 });
  const { output, ctx } = startOutput(t, `${fake.url}/gor`, {
    timeout: '200ms',
    retries: 1,
    queueLimit: 2,
    concurrency: 1,
    responses: 'original',
  });
  for (let i = 0; i < 6; i++) await output.write(exchange(`/${i}`));
  await output.flush();
  assert.equal(count(ctx, 'failed'), 6);
  assert.equal(count(ctx, 'es-unavailable'), 6);
  assert.ok(ctx.logs.some((l) => /TimeoutError/.test(l.message)));
});
