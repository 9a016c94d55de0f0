// Property: however an HTTP exchange is cut into segments, reordered, duplicated, and wherever
// its sequence numbers start (wrap-around included), the same messages come out, paired.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { makeTracker, text, TCP_ACK, TCP_SYN } from './tracker-segments.js';

const token = fc.stringMatching(/^[a-z0-9]{1,12}$/);
const bodyArb = fc.string({ unit: 'binary-ascii', maxLength: 3000 });

const requestArb = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
    path: token,
    header: token,
    body: bodyArb,
    isChunked: fc.boolean(),
  })
  .map(({ method, path, header, body, isChunked }) => {
    const head = `${method} /${path} HTTP/1.1\r\nHost: example\r\nX-Value: ${header}\r\n`;
    if (method === 'GET' || method === 'DELETE') return head + '\r\n';
    return head + frameBody(body, isChunked);
  });

const responseArb = fc
  .record({ status: fc.constantFrom(200, 201, 404, 500), body: bodyArb, isChunked: fc.boolean() })
  .map(({ status, body, isChunked }) => `HTTP/1.1 ${status} X\r\nContent-Type: text/plain\r\n` + frameBody(body, isChunked));

function frameBody(body: string, isChunked: boolean): string {
  if (!isChunked) return `Content-Length: ${body.length}\r\n\r\n${body}`;
  let out = 'Transfer-Encoding: chunked\r\n\r\n';
  for (let i = 0; i < body.length; i += 700) {
    const part = body.slice(i, i + 700);
    out += `${part.length.toString(16)}\r\n${part}\r\n`;
  }
  return out + '0\r\n\r\n';
}

interface Segment {
  seq: number;
  bytes: string;
}

/** Cuts `stream` at the given fractions of its length into segments starting at `isn + 1`. */
function cut(stream: string, isn: number, cuts: number[], offset: number): Segment[] {
  const points = [...new Set(cuts.map((f) => Math.floor(f * stream.length)))]
    .filter((p) => p > 0 && p < stream.length)
    .sort((a, b) => a - b);
  const bounds = [0, ...points, stream.length];
  const out: Segment[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    out.push({ seq: (isn + 1 + offset + bounds[i]!) >>> 0, bytes: stream.slice(bounds[i], bounds[i + 1]) });
  }
  return out;
}

/** Reorders neighbours (a bounded shuffle, as on a network) and duplicates some segments. */
function disorder(segments: Segment[], swaps: number[], duplicates: number[]): Segment[] {
  const out = [...segments];
  for (const s of swaps) {
    const i = s % out.length;
    const j = Math.min(out.length - 1, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  for (const d of duplicates) out.splice(d % (out.length + 1), 0, out[d % out.length]!);
  return out;
}

const exchangeArb = fc.record({
  pairs: fc.array(fc.tuple(requestArb, responseArb), { minLength: 1, maxLength: 6 }),
  clientIsn: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0xffffff00, max: 0xffffffff })),
  serverIsn: fc.integer({ min: 0, max: 0xffffffff }),
  cuts: fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }), { minLength: 12, maxLength: 12 }),
  swaps: fc.array(fc.nat(), { maxLength: 6 }),
  duplicates: fc.array(fc.nat(), { maxLength: 3 }),
  isPipelined: fc.boolean(),
});

test('random segmentations and reorderings of random HTTP exchanges reassemble to the same messages', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(exchangeArb, ({ pairs, clientIsn, serverIsn, cuts, swaps, duplicates, isPipelined }) => {
      const { feed, messages, counters, tracker } = makeTracker(true);
      feed('request', clientIsn, '', TCP_SYN);
      feed('response', serverIsn, '', TCP_SYN | TCP_ACK);
      let clientOffset = 0;
      let serverOffset = 0;
      const requestSegments: Segment[][] = [];
      const responseSegments: Segment[][] = [];
      pairs.forEach(([request, response], i) => {
        requestSegments.push(disorder(cut(request, clientIsn, cuts[(2 * i) % 12]!, clientOffset), swaps, duplicates));
        responseSegments.push(disorder(cut(response, serverIsn, cuts[(2 * i + 1) % 12]!, serverOffset), swaps, duplicates));
        clientOffset += request.length;
        serverOffset += response.length;
      });
      const send = (direction: 'request' | 'response', segments: Segment[]) => {
        for (const s of segments) feed(direction, s.seq, Buffer.from(s.bytes, 'latin1'));
      };
      if (isPipelined) {
        for (const r of requestSegments) send('request', r);
        for (const r of responseSegments) send('response', r);
      } else {
        pairs.forEach((_, i) => {
          send('request', requestSegments[i]!);
          send('response', responseSegments[i]!);
        });
      }
      tracker.finishAll();
      const requests = messages.filter((m) => m.kind === 'request');
      const responses = messages.filter((m) => m.kind === 'response');
      assert.deepEqual(
        requests.map(text),
        pairs.map(([q]) => q),
      );
      assert.deepEqual(
        responses.map(text),
        pairs.map(([, r]) => r),
      );
      assert.deepEqual(
        responses.map((m) => m.id),
        requests.map((m) => m.id),
      );
      assert.equal(counters.gaps + counters.incomplete + counters.unpaired + counters['non-http'], 0);
    }),
    { numRuns: 300 },
  );
});
