// input-raw reading capture files through the component, as `--input-raw ./capture.pcap` does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RepriseError, validateOptions, type Message } from '@reprise/core';
import { inputRaw, type InputRawOptions } from '../src/input-raw.js';
import { LINKTYPE } from '../src/link-types.js';
import { ethernet, ipv4Packet, pcapFile, pcapngFile, type CapturedFrame } from './craft.js';
import { makeContext, text } from './helpers.js';

// Defaults filled the way reprise fills them, so a new option never needs adding here.
const options = validateOptions(inputRaw, {
  snaplen: '256kb',
  bufferSize: '16mb',
  promisc: false,
  trackResponse: true,
  expire: '2s',
  engine: 'tcpdump',
});
const fixture = fileURLToPath(new URL('./fixtures/lo-ethernet.pcap', import.meta.url));

async function readAll(value: string, opts: Partial<InputRawOptions> = {}) {
  const ctx = makeContext();
  const instance = await inputRaw.create(value, { ...options, ...opts }, ctx);
  assert.notEqual(instance.isLive, true, 'a file is not a live source');
  const messages: Message[] = [];
  for await (const batch of instance.read()) messages.push(...batch);
  return { messages, ctx };
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-raw-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('reads every message of a pcap file, up to the last one, and counts what it saw', { timeout: 10_000 }, async () => {
  const { messages, ctx } = await readAll(fixture);
  assert.equal(messages.filter((m) => m.kind === 'request').length, 12);
  assert.equal(messages.filter((m) => m.kind === 'response').length, 12);
  assert.equal(text(messages.at(-1)!).split('\r\n')[0], 'HTTP/1.1 200 OK');
  assert.equal(ctx.counters.get('packets'), 56);
  assert.equal(ctx.counters.get('requests'), 12);
  assert.equal(ctx.counters.get('non-http'), 1);
  assert.equal(ctx.counters.get('failed') ?? 0, 0);
});

test('FILE:PORT and --input-raw-engine pcap_file read the file too', { timeout: 10_000 }, async () => {
  const withPort = await readAll(`${fixture}:18081`, { trackResponse: false });
  assert.equal(withPort.messages.length, 12);
  const otherPort = await readAll(`${fixture}:9999`, { trackResponse: false });
  assert.equal(otherPort.messages.length, 0);
});

test('a body over 1 MB cut into full-size segments, some reordered, comes out whole', { timeout: 20_000 }, async (t) => {
  const dir = tempDir(t);
  const body = Buffer.alloc(1_200_000);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 255;
  const request = Buffer.concat([Buffer.from(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  const frames: CapturedFrame[] = [];
  const isn = 0xfff00000; // wraps past 2^32 inside the body
  let ns = 0;
  const frame = (seq: number, payload: Uint8Array | string, flags?: number) => {
    ns += 1000;
    frames.push({
      seconds: 1_700_000_000,
      nanoseconds: ns,
      frame: ethernet(ipv4Packet({ srcPort: 50000, dstPort: 80, seq, payload, flags })),
    });
  };
  frame(isn, '', 0x02);
  const segments: Array<[number, Uint8Array]> = [];
  for (let at = 0; at < request.length; at += 65483) segments.push([isn + 1 + at, request.subarray(at, at + 65483)]);
  // swap a few neighbours and repeat one, as a network would
  [segments[3], segments[4]] = [segments[4]!, segments[3]!];
  segments.splice(10, 0, segments[9]!);
  for (const [seq, payload] of segments) frame(seq, payload);
  const file = join(dir, 'big.pcap');
  writeFileSync(file, pcapFile(frames, LINKTYPE.ETHERNET, { nano: true }));
  const { messages, ctx } = await readAll(`${file}:80`);
  assert.equal(messages.length, 1);
  assert.ok(Buffer.from(messages[0]!.payload).equals(request));
  assert.equal(messages[0]!.timestamp, 1_700_000_000_000_000_000n + 2000n);
  assert.equal(ctx.counters.get('retransmissions'), 1);
});

test('reads pcapng files', { timeout: 10_000 }, async (t) => {
  const dir = tempDir(t);
  const req = 'GET /ng HTTP/1.1\r\nHost: x\r\n\r\n';
  const file = join(dir, 'f.pcapng');
  writeFileSync(
    file,
    pcapngFile(
      [{ seconds: 1_700_000_000, nanoseconds: 5, frame: ethernet(ipv4Packet({ srcPort: 40000, dstPort: 80, seq: 1, payload: req })) }],
      LINKTYPE.ETHERNET,
      9,
    ),
  );
  const { messages } = await readAll(file);
  assert.deepEqual(messages.map(text), [req]);
  assert.equal(messages[0]!.timestamp, 1_700_000_000_000_000_005n);
});

test('a truncated capture gives what it holds and says it was cut', { timeout: 10_000 }, async (t) => {
  const dir = tempDir(t);
  const bytes = readFileSync(fixture);
  const file = join(dir, 'cut.pcap');
  writeFileSync(file, bytes.subarray(0, bytes.length - 10));
  const { messages, ctx } = await readAll(file);
  assert.equal(messages.filter((m) => m.kind === 'request').length, 12);
  assert.ok(ctx.logs.some((l) => /truncated capture/.test(l.message)));
});

test('a file that is not a capture, and a missing file, are clear errors', { timeout: 10_000 }, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'these are not packets, just some words in a file');
  await assert.rejects(
    readAll(file),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_CONFIG_INVALID' && /not a pcap/.test(e.message),
  );
  await assert.rejects(
    readAll(join(dir, 'missing'), { engine: 'pcap_file' }),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_INPUT_NOT_FOUND',
  );
  await assert.rejects(
    readAll(join(dir, 'missing.pcapng')),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_INPUT_NOT_FOUND' && /missing\.pcapng/.test(e.message),
  );
});
