// Scenario "elasticsearch": documents per second that output-elasticsearch indexes into a loopback
// server answering like Elasticsearch 8 (test/support/fake-elasticsearch-server.ts, loaded with tsx),
// with the bulk helper's default settings (flushBytes 5 MB, concurrency 5, flushInterval 30 s).
// The server runs in a worker thread, so it has the second core and does not share the output's event loop.
//
//   node bench/elasticsearch.js            prints the markdown section
//   node bench/run.js elasticsearch        writes it into docs/BENCHMARKS.md
//
// Environment: BENCH_ES_DOCUMENTS (default 200000).
import { once } from 'node:events';
import { browserGet } from './lib/browser-request.js';
import { resolve, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { machineLines } from './lib/machine.js';

const root = resolve(import.meta.dirname, '..');

/** Starts the loopback Elasticsearch in a worker; resolves with its URL and a stop function. */
async function startLoopbackElasticsearch() {
  const serverModule = pathToFileURL(join(root, 'test/support/fake-elasticsearch-server.ts')).href;
  const worker = new Worker(
    `
    const { parentPort } = require('node:worker_threads');
    import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(serverModule)}, ${JSON.stringify(import.meta.url)})).then(async ({ FakeElasticsearch }) => {
      const fake = await FakeElasticsearch.start({ keepDocuments: false });
      parentPort.postMessage({ url: fake.url });
      parentPort.on('message', async (m) => {
        if (m === 'count') parentPort.postMessage({ indexed: fake.indexedCount, bulkRequests: fake.bulkRequestCount });
        if (m === 'stop') { await fake.close(); parentPort.postMessage({ stopped: true }); }
      });
    });
    `,
    { eval: true },
  );
  const [{ url }] = await once(worker, 'message');
  const ask = async (m) => {
    worker.postMessage(m);
    const [reply] = await once(worker, 'message');
    return reply;
  };
  return {
    url,
    count: () => ask('count'),
    stop: async () => {
      await ask('stop');
      await worker.terminate();
    },
  };
}

/** `count` exchanges: a browser-like GET and its original response, as input-raw with track-response gives them. */
function makeExchanges(count) {
  const baseMs = Date.now();
  const messages = [];
  for (let i = 0; i < count; i++) {
    const id = i.toString(16).padStart(24, '0');
    const timestamp = BigInt(baseMs + Math.floor(i / 100)) * 1_000_000n;
    messages.push(
      {
        kind: 'request',
        id,
        timestamp,
        latency: 0n,
        payload: browserGet(i),
      },
      {
        kind: 'response',
        id,
        timestamp: timestamp + 2_000_000n,
        latency: 2_000_000n,
        payload: Buffer.from(
          `HTTP/1.1 ${i % 50 === 0 ? 404 : 200} OK\r\nContent-Type: text/html\r\nContent-Length: 4\r\nCache-Control: no-cache\r\n\r\npong`,
          'latin1',
        ),
      },
    );
  }
  return messages;
}

const scenario = {
  name: 'elasticsearch',
  title: 'Index requests with their responses into a loopback Elasticsearch 8 (output-elasticsearch, bulk helper defaults)',
  async run() {
    const count = Number(process.env.BENCH_ES_DOCUMENTS ?? 200_000);
    const { outputElasticsearch } = await import(pathToFileURL(join(root, 'packages/plugin-elasticsearch/dist/index.js')).href);
    const { validateOptions } = await import(pathToFileURL(join(root, 'packages/core/dist/index.js')).href);
    const es = await startLoopbackElasticsearch();
    const counters = {};
    const ctx = {
      component: 'output-elasticsearch',
      instance: 'output-elasticsearch bench',
      logger: { debug() {}, info() {}, warn: (m) => console.error(`warn: ${m}`), error: (m) => console.error(`error: ${m}`) },
      stats: {
        add(name, n = 1) {
          counters[name] = (counters[name] ?? 0) + n;
        },
      },
      signal: new AbortController().signal,
      emit() {},
    };
    try {
      const messages = makeExchanges(count);
      // the bulk helper's own defaults; the output's other options keep their defaults
      const options = validateOptions(outputElasticsearch, { flushBytes: '5mb', concurrency: 5, flushInterval: '30s' });
      const output = await outputElasticsearch.create(`${es.url}/gor`, options, ctx);
      const batchSize = 256;
      const started = process.hrtime.bigint();
      const cpuBefore = process.cpuUsage();
      for (let i = 0; i < messages.length; i += batchSize) {
        await output.write(messages.slice(i, i + batchSize));
      }
      await output.flush();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = process.cpuUsage(cpuBefore);
      await output.close();
      const server = await es.count();
      const indexed = counters['es-indexed'] ?? 0;
      const rate = indexed / seconds;
      return [
        `${count.toLocaleString('en-US')} requests, each joined with its original response (a browser-like GET, about 330 bytes), written in batches of ${batchSize} straight into the output; the loopback server runs in a worker thread and answers every document indexed.`,
        '',
        '| measure | value |',
        '| --- | ---: |',
        `| documents indexed | ${indexed.toLocaleString('en-US')} (server counted ${server.indexed.toLocaleString('en-US')}, in ${server.bulkRequests} bulk requests) |`,
        `| time, first write to flush | ${seconds.toFixed(2)} s |`,
        `| **documents per second** | **${Math.round(rate).toLocaleString('en-US')}** |`,
        `| main thread CPU | ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s |`,
        '',
        `- settings: flushBytes 5mb, concurrency 5, flushInterval 30s (the bulk helper's defaults); retries 3; queue limit 10,000 documents.`,
        counters['es-join-evicted']
          ? '- responses `auto` (default): the first 50,000 requests waited for a replayed response until the join learnt that none comes (`es-join-evicted`), then each request was indexed as soon as its original response arrived.'
          : '- responses `auto` (default): fewer requests than the join holds (50,000), so every request waited for a replayed response until the flush.',
        `- counters: ${JSON.stringify(counters)}`,
        ...machineLines(),
      ].join('\n');
    } finally {
      await es.stop();
    }
  },
};
export default scenario;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`## ${scenario.title}\n\n${await scenario.run()}`);
}
