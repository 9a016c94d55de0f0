/**
 * Turns decoded TCP segments into HTTP messages: one connection per 4-tuple, each direction
 * reassembled and framed, requests paired with responses in order, idle connections expired.
 * Pure logic: segments and times in, core Messages out, so it runs the same on files and live.
 */
import type { Message, WireProtocol } from '@reprise/core';
import type { Counters } from './capture-counters.js';
import { HttpFramer, type FramedMessage } from './http-framer.js';
import { H2Recorder, type UpgradeRequest } from './h2/h2-recorder.js';
import { ProtocolRouter } from './h2/protocol-router.js';
import { MessageIdSource } from './message-id.js';
import { TCP_FIN, TCP_RST, TCP_SYN, TCP_ACK, formatAddress, type TcpSegment } from './packet-decoder.js';
import { TcpReassembler } from './tcp-reassembler.js';

export interface TrackerOptions {
  /** Server ports: traffic to them is requests, from them responses. Empty: any port (the lower port is the server). */
  ports: ReadonlySet<number>;
  trackResponse: boolean;
  /** When set, this header with the client's address is added to each request. */
  realipHeader: string;
  /** How long an unfinished message (or held out-of-order data) may wait for its next packet. */
  expireMs: number;
  /** True when the capture reuses its packet buffer (cap): payloads are copied before they are kept. */
  isBufferReused?: boolean;
}

/** How long an HTTP/2 connection may go quiet (gRPC channels idle for minutes) before it is dropped. */
const H2_IDLE_MS = 10 * 60_000;

interface RequestSlot {
  id: string;
  method: string;
  endSeconds: number;
  endNanoseconds: number;
}

class Connection {
  readonly requestStream: TcpReassembler;
  readonly responseStream: TcpReassembler;
  readonly requestFramer: HttpFramer;
  readonly responseFramer: HttpFramer;
  /** Sends the reassembled bytes to the HTTP/1 framers or, for HTTP/2, to an H2Recorder. */
  readonly router: ProtocolRouter;
  /** What HTTP/2 on this connection is called: h2 when it came out of TLS. */
  http2: WireProtocol = 'h2c';
  /** Requests waiting for their response, oldest first (pipelining keeps them in order). */
  readonly slots: RequestSlot[] = [];
  /** Methods of the requests not yet answered, oldest first, for the response framer (HEAD has no body). */
  readonly methods: string[] = [];
  lastSeenMs = 0;
  isReset = false;
  /** The client's bytes are not HTTP: the server's answers (a 400…) pair with nothing and are no loss. */
  isNotHttp = false;

  constructor(
    readonly tracker: HttpTracker,
    readonly clientAddress: number | string,
  ) {
    this.requestFramer = new HttpFramer('request', {
      message: (m) => tracker.onRequest(this, m),
      lost: (reason) => tracker.onLost(this, reason, 'request'),
      notHttp: () => {
        this.isNotHttp = true;
        tracker.counters['non-http']++;
      },
    });
    this.responseFramer = new HttpFramer('response', {
      message: (m) => tracker.onResponse(this, m),
      lost: (reason) => tracker.onLost(this, reason, 'response'),
      notHttp: () => tracker.counters['non-http']++,
      requestMethod: () => this.methods[0],
      switched: (rest, s, ns) => this.router.afterSwitch(rest, s, ns),
    });
    this.router = new ProtocolRouter(
      { client: framerSink(this.requestFramer, tracker.counters), server: framerSink(this.responseFramer, tracker.counters) },
      (upgrade) => tracker.newH2Recorder(this, upgrade),
      tracker.counters,
    );
    const isReused = tracker.options.isBufferReused ?? true;
    this.requestStream = new TcpReassembler(this.router.client, undefined, isReused);
    this.responseStream = new TcpReassembler(this.router.server, undefined, isReused);
  }

  get isFinished(): boolean {
    return this.requestStream.isEnded && (this.responseStream.isEnded || !this.tracker.options.trackResponse);
  }
}

function framerSink(framer: HttpFramer, counters: Counters) {
  return {
    data: (bytes: Uint8Array, s: number, ns: number) => framer.push(bytes, s, ns),
    gap: () => {
      counters.gaps++;
      framer.gap();
    },
    end: (s: number, ns: number) => framer.end(s, ns),
  };
}

export class HttpTracker {
  private readonly connections = new Map<string, Connection>();
  private readonly ids = new MessageIdSource();
  private lastSweepMs = 0;
  private nowSeconds = 0;
  private nowNanoseconds = 0;
  private readonly realipPrefix: Uint8Array | undefined;

  constructor(
    readonly options: TrackerOptions,
    readonly counters: Counters,
    private readonly emit: (message: Message) => void,
  ) {
    this.realipPrefix = options.realipHeader ? Buffer.from(`${options.realipHeader}: `, 'latin1') : undefined;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** One decoded segment captured at `seconds`/`nanoseconds`. */
  segment(s: TcpSegment, seconds: number, nanoseconds: number): void {
    this.nowSeconds = seconds;
    this.nowNanoseconds = nanoseconds;
    const nowMs = seconds * 1000 + nanoseconds / 1e6;
    const ports = this.options.ports;
    let isRequest: boolean;
    if (ports.size === 0) {
      isRequest = s.flags & TCP_SYN ? (s.flags & TCP_ACK) === 0 : s.dstPort < s.srcPort;
    } else if (ports.has(s.dstPort)) {
      isRequest = true;
    } else if (ports.has(s.srcPort)) {
      isRequest = false;
    } else {
      return;
    }
    if (!isRequest && !this.options.trackResponse) return;
    const key = isRequest
      ? `${s.src}:${s.srcPort}>${s.dst}:${s.dstPort}`
      : `${s.dst}:${s.dstPort}>${s.src}:${s.srcPort}`;
    let c = this.connections.get(key);
    const isSyn = (s.flags & TCP_SYN) !== 0;
    if (c && isSyn && isRequest && (s.flags & TCP_ACK) === 0 && (c.requestStream.isEnded || c.isReset || (c.requestStream.expectedSeq !== -1 && c.requestStream.expectedSeq !== ((s.seq + 1) >>> 0)))) {
      // A new connection on the same 4-tuple (port reuse): finish the old one first.
      this.finishConnection(key, c);
      c = undefined;
    }
    if (!c) {
      if (s.flags & TCP_RST) return;
      c = new Connection(this, isRequest ? s.src : s.dst);
      this.connections.set(key, c);
    }
    c.lastSeenMs = nowMs;
    const stream = isRequest ? c.requestStream : c.responseStream;
    if (isSyn) stream.syn(s.seq);
    // What this side acknowledges tells whether a hole in the other side's stream is for good.
    if (s.flags & TCP_ACK) (isRequest ? c.responseStream : c.requestStream).acknowledged(s.ack, nowMs);
    if (s.flags & TCP_RST) {
      // Data before the reset still counts; everything unfinished is lost.
      if (s.payload.length > 0) stream.segment(s.seq, s.payload, false, seconds, nanoseconds, nowMs, s.missingBytes);
      c.isReset = true;
      this.finishConnection(key, c);
      return;
    }
    if (s.payload.length > 0 || s.flags & TCP_FIN) {
      stream.segment(s.seq, s.payload, (s.flags & TCP_FIN) !== 0, seconds, nanoseconds, nowMs, s.missingBytes);
      if (s.missingBytes > 0) this.counters.truncated++;
      if (c.isFinished) this.finishConnection(key, c);
    }
    if (nowMs - this.lastSweepMs > 250) this.sweep(nowMs);
  }

  /**
   * Bytes of one connection that another program already reassembled and decrypted (the tshark
   * engine): they skip the TCP reassembler and go straight to the connection's protocol router.
   */
  streamBytes(stream: DecryptedStream, isClient: boolean, bytes: Uint8Array, seconds: number, nanoseconds: number): void {
    this.nowSeconds = seconds;
    this.nowNanoseconds = nanoseconds;
    const nowMs = seconds * 1000 + nanoseconds / 1e6;
    let c = this.connections.get(stream.key);
    if (!c) {
      c = new Connection(this, stream.clientAddress);
      c.http2 = stream.http2;
      this.connections.set(stream.key, c);
    }
    c.lastSeenMs = nowMs;
    if (isClient) c.router.client.data(bytes, seconds, nanoseconds);
    else if (this.options.trackResponse) c.router.server.data(bytes, seconds, nanoseconds);
    if (nowMs - this.lastSweepMs > 250) this.sweep(nowMs);
  }

  /** The connection of `streamBytes` closed (FIN or RST). */
  streamEnd(key: string): void {
    const c = this.connections.get(key);
    if (c) this.finishConnection(key, c);
  }

  /**
   * Expires what has waited longer than `expireMs`: held out-of-order data becomes a gap, and
   * connections with no packet for that long are closed (their unfinished messages are counted).
   */
  sweep(nowMs: number): void {
    this.lastSweepMs = nowMs;
    const expireMs = this.options.expireMs;
    for (const [key, c] of this.connections) {
      // An idle HTTP/2 connection is kept far longer: its HPACK state cannot be rebuilt once dropped.
      if (nowMs - c.lastSeenMs > (c.router.isH2 ? Math.max(expireMs, H2_IDLE_MS) : expireMs)) {
        this.finishConnection(key, c);
        continue;
      }
      if (c.requestStream.hasPending) c.requestStream.expirePending(nowMs, expireMs);
      if (c.responseStream.hasPending) c.responseStream.expirePending(nowMs, expireMs);
    }
  }

  /** End of input: close every connection so complete messages come out and the rest is counted. */
  finishAll(): void {
    for (const [key, c] of this.connections) this.finishConnection(key, c);
  }

  private finishConnection(key: string, c: Connection): void {
    this.connections.delete(key);
    c.requestStream.close(this.nowSeconds, this.nowNanoseconds);
    c.responseStream.close(this.nowSeconds, this.nowNanoseconds);
    this.counters.retransmissions += c.requestStream.retransmissions + c.responseStream.retransmissions;
    c.requestStream.retransmissions = 0;
    c.responseStream.retransmissions = 0;
  }

  onRequest(c: Connection, m: FramedMessage): void {
    const id = this.ids.next();
    if (this.options.trackResponse) {
      c.slots.push({ id, method: m.method, endSeconds: m.endSeconds, endNanoseconds: m.endNanoseconds });
      c.methods.push(m.method);
    }
    this.counters.requests++;
    c.router.requestFramed({ id, endSeconds: m.endSeconds, endNanoseconds: m.endNanoseconds }, m.payload);
    const payload = this.realipPrefix ? this.withRealip(m.payload, formatAddress(c.clientAddress)) : m.payload;
    this.emit({ kind: 'request', id, timestamp: toNanoseconds(m.startSeconds, m.startNanoseconds), latency: 0n, payload });
  }

  onResponse(c: Connection, m: FramedMessage): void {
    // Interim responses (100 Continue) answer nothing on their own: the final response does.
    if (m.status >= 100 && m.status < 200 && m.status !== 101) return;
    if (m.status === 101 && c.router.switchingProtocols()) {
      // h2c: the upgrade request is answered by stream 1's response, recorded under its id.
      c.slots.shift();
      c.methods.shift();
      return;
    }
    const slot = c.slots.shift();
    c.methods.shift();
    if (!slot) {
      if (!c.isNotHttp) this.counters.unpaired++;
      return;
    }
    const latencyNs =
      (m.startSeconds - slot.endSeconds) * 1_000_000_000 + (m.startNanoseconds - slot.endNanoseconds);
    this.counters.responses++;
    this.emit({
      kind: 'response',
      id: slot.id,
      timestamp: toNanoseconds(m.startSeconds, m.startNanoseconds),
      latency: latencyNs > 0 ? BigInt(latencyNs) : 0n,
      payload: m.payload,
    });
  }

  /** The HTTP/2 side of a connection that switched (preface or h2c upgrade). */
  newH2Recorder(c: Connection, upgrade: UpgradeRequest | undefined): H2Recorder {
    const address = formatAddress(c.clientAddress);
    return new H2Recorder(
      {
        protocol: c.http2,
        trackResponse: this.options.trackResponse,
        idOf: () => this.ids.next(),
        requestPayload: this.realipPrefix ? (payload) => this.withRealip(payload, address) : undefined,
        upgrade,
      },
      this.counters,
      this.emit,
    );
  }

  onLost(c: Connection, reason: 'gap' | 'incomplete', role: 'request' | 'response'): void {
    // A message broken by a hole is already counted with the hole (`gaps`).
    if (reason === 'incomplete') this.counters.incomplete++;
    if (role === 'request') {
      // Pairing by order is broken from here: responses already in flight cannot be matched.
      c.slots.length = 0;
      c.methods.length = 0;
    }
  }

  /** Adds (or replaces) the real-IP header right after the request line. */
  private withRealip(payload: Uint8Array, address: string): Uint8Array {
    const lineEnd = payload.indexOf(10) + 1;
    const name = this.options.realipHeader.toLowerCase();
    const headEnd = findHeadEnd(payload);
    const head = Buffer.from(payload.buffer, payload.byteOffset, headEnd).toString('latin1');
    const kept = head
      .slice(lineEnd)
      .split('\n')
      .filter((line) => line.slice(0, line.indexOf(':')).trim().toLowerCase() !== name || line.indexOf(':') < 0)
      .join('\n');
    const prefix = this.realipPrefix!;
    const rebuilt = Buffer.concat([
      payload.subarray(0, lineEnd),
      prefix,
      Buffer.from(`${address}\r\n`, 'latin1'),
      Buffer.from(kept, 'latin1'),
      payload.subarray(headEnd),
    ]);
    return new Uint8Array(rebuilt.buffer, rebuilt.byteOffset, rebuilt.byteLength);
  }
}

function findHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] !== 10) continue;
    if (bytes[i + 1] === 10) return i + 2;
    if (bytes[i + 1] === 13 && bytes[i + 2] === 10) return i + 3;
  }
  return bytes.length;
}

/** A connection whose bytes come reassembled and decrypted (see `streamBytes`). */
export interface DecryptedStream {
  key: string;
  clientAddress: string;
  /** What HTTP/2 on it is called (h2 over TLS). */
  http2: WireProtocol;
}

export function toNanoseconds(seconds: number, nanoseconds: number): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds);
}
