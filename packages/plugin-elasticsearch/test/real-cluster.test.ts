import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@elastic/elasticsearch';
import { ElasticsearchOutput } from '../src/elasticsearch-output.js';
import { resolveCredentials } from '../src/credentials.js';
import { parseIndexAddress } from '../src/index-address.js';
import { indexTemplateFor } from '../src/template.js';
import { newId, recordingContext, requestMessage, responseMessage, settingsFor } from './context.js';

// Runs only against a real cluster: REPRISE_ES_URL=http://localhost:9200 (credentials, if any, in
// REPRISE_ES_API_KEY or REPRISE_ES_USERNAME/REPRISE_ES_PASSWORD). It creates a uniquely named index
// and template and deletes both afterwards.
const esUrl = process.env['REPRISE_ES_URL'];

test('documents reach a real Elasticsearch 8 cluster with the template mappings', { timeout: 60000 }, async (t) => {
  if (!esUrl) {
    t.skip('REPRISE_ES_URL is not set: no Elasticsearch cluster to index into (see the package README)');
    return;
  }
  const index = `reprise-it-${newId().slice(-8)}`;
  const address = parseIndexAddress(`${esUrl.replace(/\/+$/, '')}/${index}`);
  const { credentials } = resolveCredentials({ env: process.env, address, component: 'output-elasticsearch' });
  const admin = new Client({ node: address.node, auth: credentials });
  const template = indexTemplateFor(index);
  t.after(async () => {
    await admin.indices.delete({ index }, { ignore: [404] });
    await admin.indices.deleteIndexTemplate({ name: template.name }, { ignore: [404] });
    await admin.close();
  });
  const ctx = recordingContext();
  const output = new ElasticsearchOutput(
    `${esUrl.replace(/\/+$/, '')}/${index}`,
    settingsFor({ flushInterval: '200ms' }, ctx.component),
    ctx,
  );
  t.after(() => output.close());
  const batch = [];
  for (let i = 0; i < 5; i++) {
    const id = newId();
    batch.push(
      requestMessage(id, `GET /item/${i}?q=${i} HTTP/1.1\nHost: shop\nAuthorization: Bearer secret-${i}`),
      responseMessage(id, 'response', `HTTP/1.1 ${i === 4 ? 500 : 200} X`, { latencyMs: 3 }),
      responseMessage(id, 'replayed-response', 'HTTP/1.1 200 OK', { latencyMs: 2 }),
    );
  }
  await output.write(batch);
  await output.flush();
  assert.equal(ctx.counters.get('failed') ?? 0, 0, JSON.stringify(ctx.logs));
  assert.equal(ctx.counters.get('es-indexed'), 5);
  await admin.indices.refresh({ index });
  const mismatches = await admin.count({ index, query: { term: { Status_Mismatch: true } } });
  assert.equal(mismatches.count, 1);
  const mapping = await admin.indices.getMapping({ index });
  const properties = mapping[index]!.mappings.properties!;
  assert.equal(properties['Resp_Status-Code']!.type, 'keyword');
  assert.equal(properties['Timestamp']!.type, 'date');
  const hits = await admin.search<Record<string, unknown>>({ index, size: 5 });
  for (const hit of hits.hits.hits) assert.equal(hit._source!['Req_Authorization'], 'Bearer [redacted]');
});
