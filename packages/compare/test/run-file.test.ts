import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RepriseError } from '@reprise/core';
import { Analyzer } from '../src/analyzer.js';
import type { Exchange } from '../src/exchange.js';
import { RunDecoder, RunFileWriter, encodeExchange, encodeRunHeader, openRunFile, type RunDecoded } from '../src/run-file.js';
import { exchange, response } from './helpers.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-run-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Exchanges of every shape: two baselines, the original as baseline, failures, bodies that look like the format. */
function sampleExchanges(): Exchange[] {
  const out: Exchange[] = [];
  for (let i = 0; i < 60; i++) {
    const body = { i, note: i % 7 === 0 ? '\nX {"id":"fake"}\n🐵🙈🙉\n' : 'n', price: i % 5 === 0 ? 2 : 1 };
    if (i % 3 === 0) {
      const e = exchange(
        'GET',
        `/items/${i}`,
        [],
        [
          { body: { ...body, price: 1 }, gzip: true },
          { body, chunked: true },
        ],
      );
      e.original = response({ kind: 'response', body }, e.id);
      e.baseline = [e.original];
      out.push(e);
    } else {
      const e = exchange(
        'POST',
        `/orders/${i}`,
        [{ body }, { body, latencyMs: 3 }],
        i % 10 === 1 ? [] : [{ body: { ...body, price: 1 }, latencyMs: 2 }],
      );
      for (const m of [...e.baseline, ...e.candidate]) m.meta = { target: `http://127.0.0.1:${8000 + (m === e.candidate[0] ? 1 : 0)}` };
      if (i % 10 === 1) e.errors = [{ target: 'candidate', reason: 'ECONNREFUSED' }];
      out.push(e);
    }
  }
  return out;
}

async function readAll(path: string) {
  const run = await openRunFile(path);
  const exchanges: Exchange[] = [];
  for await (const e of run.exchanges) exchanges.push(e);
  return { header: run.header, exchanges, problems: run.problems };
}

function plain(e: Exchange) {
  const m = (x: { kind: string; id: string; timestamp: bigint; latency: bigint; payload: Uint8Array; meta?: object }) => ({
    ...x,
    payload: Buffer.from(x.payload).toString('latin1'),
  });
  return { ...e, request: m(e.request), original: e.original && m(e.original), baseline: e.baseline.map(m), candidate: e.candidate.map(m) };
}

test('a run file round-trips every exchange, and the report rebuilt from it equals the live one', async (t) => {
  const path = join(tempDir(t), 'run.rpr');
  const exchanges = sampleExchanges();
  const settings = { candidate: 'http://127.0.0.1:8001', baseline: 'http://127.0.0.1:8000' };
  const writer = await RunFileWriter.create(path, settings);
  const live = new Analyzer();
  for (const e of exchanges) {
    live.add(e);
    await writer.write(e);
  }
  await writer.close();
  assert.equal(writer.exchanges, exchanges.length);

  const read = await readAll(path);
  assert.deepEqual(read.problems, []);
  assert.deepEqual(read.header.settings, settings);
  assert.equal(read.header.version, 1);
  assert.deepEqual(read.exchanges.map(plain), exchanges.map(plain));
  const recorded = read.exchanges[0]!;
  assert.equal(recorded.baseline[0], recorded.original, 'the original as baseline is stored once and restored as the same message');

  const offline = new Analyzer();
  for (const e of read.exchanges) offline.add(e);
  const options = { failOn: ['diff_rate>1%'], run: read.header.settings };
  assert.deepEqual(offline.result(options), live.result(options));
  assert.ok(
    live.result().endpoints.some((e) => e.differences.length > 0),
    'the sample has differences to compare',
  );
});

test('a truncated last exchange is reported as a problem, and every exchange before it is read', async (t) => {
  const path = join(tempDir(t), 'cut.rpr');
  const exchanges = sampleExchanges().slice(0, 5);
  writeFileSync(path, Buffer.concat([encodeRunHeader({ version: 1, createdAt: 'now', settings: {} }), ...exchanges.map(encodeExchange)]));
  const whole = readFileSync(path);
  for (const cut of [whole.length - 1, whole.length - 30, whole.length - encodeExchange(exchanges[4]!).length + 10]) {
    writeFileSync(path, whole.subarray(0, cut));
    const read = await readAll(path);
    assert.equal(read.exchanges.length, 4, `cut at ${cut}`);
    assert.equal(read.problems.length, 1);
    assert.match(read.problems[0]!.reason, /truncated last exchange/);
  }
});

test('a corrupt exchange in the middle is skipped and reported; the ones around it are read', () => {
  const exchanges = sampleExchanges().slice(0, 3);
  const blocks = exchanges.map(encodeExchange);
  const broken = Buffer.from(blocks[1]!);
  broken.write('Y', 0); // the block's descriptor line no longer starts with "X "
  const bytes = Buffer.concat([encodeRunHeader({ version: 1, createdAt: 'now', settings: {} }), blocks[0]!, broken, blocks[2]!]);
  const decoder = new RunDecoder('mem.rpr');
  const out: RunDecoded[] = [];
  // Fed in 7-byte chunks: every boundary case of the line and block framing.
  for (let i = 0; i < bytes.length; i += 7) decoder.push(bytes.subarray(i, i + 7), out);
  decoder.end(out);
  assert.deepEqual(
    out.map((d) => d.type),
    ['header', 'exchange', 'problem', 'exchange'],
  );
  assert.deepEqual(
    out.filter((d) => d.type === 'exchange').map((d) => d.exchange.id),
    [exchanges[0]!.id, exchanges[2]!.id],
  );
});

test('a missing file, a file of another format and a future version are clear errors naming the file', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(
    openRunFile(join(dir, 'nope.rpr')),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_INPUT_NOT_FOUND' && e.message.includes('nope.rpr'),
  );
  writeFileSync(join(dir, 'a.gor'), '1 0123456789abcdef01234567 1 0\nGET / HTTP/1.1\r\n\r\n\n🐵🙈🙉\n');
  await assert.rejects(
    openRunFile(join(dir, 'a.gor')),
    (e: unknown) =>
      e instanceof RepriseError && e.code === 'RPR_GOR_CORRUPT' && /not a reprise run file/.test(e.message) && e.message.includes('a.gor'),
  );
  writeFileSync(join(dir, 'v9.rpr'), 'reprise-run 9 {}\n');
  await assert.rejects(openRunFile(join(dir, 'v9.rpr')), /run file version 9 is not supported/);
  writeFileSync(join(dir, 'empty.rpr'), '');
  await assert.rejects(openRunFile(join(dir, 'empty.rpr')), (e: unknown) => e instanceof RepriseError && e.code === 'RPR_GOR_CORRUPT');
});

test('the writer reports a path it cannot write, naming the option and the file', async (t) => {
  const path = join(tempDir(t), 'missing-dir', 'run.rpr');
  await assert.rejects(
    RunFileWriter.create(path, {}),
    (e: unknown) => e instanceof RepriseError && e.option === 'save-run' && e.message.includes(path),
  );
});

test('an exchange larger than the read chunks is read whole', async (t) => {
  const path = join(tempDir(t), 'big.rpr');
  const big = 'x'.repeat(3 * 1024 * 1024);
  const e = exchange('GET', '/big', [{ body: big }], [{ body: `${big}y`, chunked: true }]);
  const writer = await RunFileWriter.create(path, {});
  await writer.write(e);
  await writer.write(sampleExchanges()[1]!);
  await writer.close();
  const read = await readAll(path);
  assert.deepEqual(read.problems, []);
  assert.deepEqual(read.exchanges.map(plain)[0], plain(e));
  assert.equal(read.exchanges.length, 2);
});
