/**
 * Turns decoded TCP segments into messages: one connection per 4-tuple, its direction decided once
 * (connection-direction.ts), each direction reassembled and framed (HTTP/1, or bursts with
 * --input-raw-protocol binary), requests paired with responses in order, idle connections expired.
 * Ids keep GoReplay's layout (packages/core/src/session-key.ts): the connection's client port,
 * server port and client address, then the acknowledgement number of the request's first segment.
 * Pure logic: segments and times in, core Messages out, so it runs the same on files and live.
 */
import { connectionIdOf, findHeadEnd, messageIdOf, type Message, type WireProtocol } from '@reprise/core';
import { BinaryFramer } from './binary-framer.js';
import type { Counters } from './capture-counters.js';
import { clientSideByPort, clientSideOf } from './connection-direction.js';
import { copyBytes } from './copy-bytes.js';
import { HttpFramer, type FramedMessage, type FramerEvents } from './http-framer.js';
import { H2Recorder, type UpgradeRequest } from './h2/h2-recorder.js';
import { ProtocolRouter } from './h2/protocol-router.js';
import { TCP_FIN, TCP_RST, TCP_SYN, TCP_ACK, formatAddress, type TcpSegment } from './packet-decoder.js';
import { seqDiff, TcpReassembler } from './tcp-reassembler.js';

export interface TrackerOptions {
  /** Server ports: traffic to them is requests, from them responses. Empty: any port (see connection-direction.ts). */
  ports: ReadonlySet<number>;
  trackResponse: boolean;
  /** When set, this header with the client's address is added to each request. */
  realipHeader: string;
  /** How long an unfinished message (or held out-of-order data) may wait for its next packet. */
  expireMs: number;
  /** True when the capture reuses its packet buffer (cap): payloads are copied before they are kept. */
  isBufferReused?: boolean;
  /** http (default): HTTP/1 messages; binary: each side's bursts of bytes, any protocol. */
  protocol?: 'http' | 'binary';
  /** Hand over messages still unfinished when their connection ends or expires (they are counted too). */
  allowIncomplete?: boolean;
}

/** Segments of a connection whose direction nothing has told yet (no SYN, port or HTTP start line seen). */
const MAX_UNDECIDED_SEGMENTS = 32;
/** How long an HTTP/2 connection may go quiet (gRPC channels idle for minutes) before it is dropped. */
const H2_IDLE_MS = 10 * 60_000;

interface RequestSlot {
  id: string;
  method: string;
  endSeconds: number;
  endNanoseconds: number;
}

interface HeldSegment {
  segment: TcpSegment;
  seconds: number;
  nanoseconds: number;
}

/** A connection seen before its direction is known: its segments wait, in capture order. */
interface Undecided {
  held: HeldSegment[];
  lastSeenMs: number;
}

type StreamFramer = HttpFramer | BinaryFramer;

class Connection {
  readonly requestStream: TcpReassembler;
  readonly responseStream: TcpReassembler;
  readonly requestFramer: StreamFramer;
  readonly responseFramer: StreamFramer;
  /** The first 16 hex digits of every id on this connection. */
  readonly connectionId: string;
  /** HTTP: sends the reassembled bytes to the HTTP/1 framers or, for HTTP/2, to an H2Recorder. */
  readonly router: ProtocolRouter | undefined;
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
  /** The acknowledgement number of the client's latest segment, and of the one that began the current request. */
  clientAck = 0;
  requestAck = 0;
  /** The sequence number of the server's latest segment, and of the one that began the current response. */
  serverSeq = 0;
  responseSeq = 0;
  /** The last id suffix given on this connection (ids stay unique when acks repeat); -1 before the first. */
  lastSuffix = -1;

  constructor(
    readonly tracker: HttpTracker,
    readonly clientAddress: number | string,
    readonly clientPort: number,
    readonly serverPort: number,
  ) {
    this.connectionId = connectionIdOf(clientPort, serverPort, clientAddress);
    const requestEvents: FramerEvents = {
      message: (m) => tracker.onRequest(this, m),
      lost: (reason) => tracker.onLost(this, reason, 'request'),
      notHttp: () => {
        this.isNotHttp = true;
        tracker.counters['non-http']++;
      },
      started: () => (this.requestAck = this.clientAck),
    };
    const responseEvents: FramerEvents = {
      message: (m) => tracker.onResponse(this, m),
      lost: (reason) => tracker.onLost(this, reason, 'response'),
      notHttp: () => tracker.counters['non-http']++,
      requestMethod: () => this.methods[0],
      started: () => (this.responseSeq = this.serverSeq),
      switched: (rest, s, ns) => this.router?.afterSwitch(rest, s, ns),
    };
    const options = tracker.options;
    if (options.protocol === 'binary') {
      this.requestFramer = new BinaryFramer(requestEvents);
      this.responseFramer = new BinaryFramer(responseEvents);
    } else {
      const framerOptions = { allowIncomplete: options.allowIncomplete ?? false };
      this.requestFramer = new HttpFramer('request', requestEvents, framerOptions);
      this.responseFramer = new HttpFramer('response', responseEvents, framerOptions);
    }
    const client = framerSink(this.requestFramer, tracker.counters);
    const server = framerSink(this.responseFramer, tracker.counters);
    // binary keeps every protocol as bursts, HTTP/2 included.
    this.router =
      options.protocol === 'binary'
        ? undefined
        : new ProtocolRouter({ client, server }, (upgrade) => tracker.newH2Recorder(this, upgrade), tracker.counters);
    const isReused = options.isBufferReused ?? true;
    this.requestStream = new TcpReassembler(this.router?.client ?? client, undefined, isReused);
    this.responseStream = new TcpReassembler(this.router?.server ?? server, undefined, isReused);
  }

  get isFinished(): boolean {
    return this.requestStream.isEnded && (this.responseStream.isEnded || !this.tracker.options.trackResponse);
  }

  /** The next id: the request's ack, or one past the last id when acks repeat (pipelining, one-way bursts). */
  nextId(ack: number): string {
    const suffix = this.lastSuffix === -1 || seqDiff(ack, this.lastSuffix) > 0 ? ack : (this.lastSuffix + 1) >>> 0;
    this.lastSuffix = suffix;
    return messageIdOf(this.connectionId, suffix);
  }
}

function framerSink(framer: StreamFramer, counters: Counters) {
  return {
    data: (bytes: Uint8Array, s: number, ns: number) => framer.push(bytes, s, ns),
    gap: () => {
      counters.gaps++;
      framer.gap();
    },
    end: (s: number, ns: number) => framer.end(s, ns),
  };
}

/**
 * One key for both directions of a connection, made for every packet. IPv4 (addresses are numbers): six UTF-16
 * units, the addresses' halves and the ports, which V8 makes as one flat string that hashes fast; a decimal
 * template would be a rope of number conversions, flattened and hashed by every lookup.
 */
export function connectionKey(s: TcpSegment): string {
  const isSrcFirst = s.src < s.dst || (s.src === s.dst && s.srcPort < s.dstPort);
  if (typeof s.src === 'number' && typeof s.dst === 'number') {
    return isSrcFirst ? endpointsKey(s.src, s.srcPort, s.dst, s.dstPort) : endpointsKey(s.dst, s.dstPort, s.src, s.srcPort);
  }
  return isSrcFirst ? `${s.src}:${s.srcPort}>${s.dst}:${s.dstPort}` : `${s.dst}:${s.dstPort}>${s.src}:${s.srcPort}`;
}

function endpointsKey(a: number, aPort: number, b: number, bPort: number): string {
  return String.fromCharCode(a >>> 16, a & 0xffff, aPort, b >>> 16, b & 0xffff, bPort);
}

export class HttpTracker {
  private readonly connections = new Map<string, Connection>();
  private readonly undecided = new Map<string, Undecided>();
  private lastSweepMs = 0;
  private nowSeconds = 0;
  private nowNanoseconds = 0;
  private readonly realipPrefix: Uint8Array | undefined;
  private readonly isHttp: boolean;

  constructor(
    readonly options: TrackerOptions,
    readonly counters: Counters,
    private readonly emit: (message: Message) => void,
  ) {
    this.realipPrefix = options.realipHeader ? Buffer.from(`${options.realipHeader}: `, 'latin1') : undefined;
    this.isHttp = options.protocol !== 'binary';
  }

  get connectionCount(): number {
    return this.connections.size + this.undecided.size;
  }

  /** One decoded segment captured at `seconds`/`nanoseconds`. */
  segment(s: TcpSegment, seconds: number, nanoseconds: number): void {
    this.nowSeconds = seconds;
    this.nowNanoseconds = nanoseconds;
    const nowMs = seconds * 1000 + nanoseconds / 1e6;
    const ports = this.options.ports;
    if (ports.size > 0 && !ports.has(s.dstPort) && !ports.has(s.srcPort)) return;
    const key = connectionKey(s);
    let c = this.connections.get(key);
    const isSyn = (s.flags & TCP_SYN) !== 0;
    if (
      c &&
      isSyn &&
      (s.flags & TCP_ACK) === 0 &&
      s.src === c.clientAddress &&
      s.srcPort === c.clientPort &&
      (c.requestStream.isEnded || c.isReset || (c.requestStream.expectedSeq !== -1 && c.requestStream.expectedSeq !== (s.seq + 1) >>> 0))
    ) {
      // A new connection on the same 4-tuple (port reuse): finish the old one first.
      this.finishConnection(key, c);
      c = undefined;
    }
    if (!c) {
      const waiting = this.undecided.get(key);
      const side = clientSideOf(s, ports, this.isHttp) ?? (this.isHttp ? undefined : clientSideByPort(s));
      if (side === undefined) {
        this.hold(key, waiting, s, seconds, nanoseconds, nowMs);
        return;
      }
      // Held segments came before any message start (else they would have told): mid-message bytes, dropped.
      if (waiting) this.undecided.delete(key);
      if (s.flags & TCP_RST) return;
      c = this.open(key, s, side);
      if (!isSyn && this.isHttp) {
        (c.requestFramer as HttpFramer).joinMidStream();
        (c.responseFramer as HttpFramer).joinMidStream();
      }
    }
    this.track(key, c, s, seconds, nanoseconds, nowMs);
    if (nowMs - this.lastSweepMs > 250) this.sweep(nowMs);
  }

  private open(key: string, s: TcpSegment, side: 'src' | 'dst'): Connection {
    const c = side === 'src' ? new Connection(this, s.src, s.srcPort, s.dstPort) : new Connection(this, s.dst, s.dstPort, s.srcPort);
    this.connections.set(key, c);
    return c;
  }

  /** Keeps a segment of an undecided connection (copied: the capture may reuse its buffer). */
  private hold(key: string, waiting: Undecided | undefined, s: TcpSegment, seconds: number, nanoseconds: number, nowMs: number): void {
    if (!waiting) {
      if (s.payload.length === 0) return; // a bare ACK, FIN or RST of a connection not seen: nothing to keep
      waiting = { held: [], lastSeenMs: nowMs };
      this.undecided.set(key, waiting);
    }
    waiting.lastSeenMs = nowMs;
    const payload = s.payload.length > 0 && (this.options.isBufferReused ?? true) ? copyBytes(s.payload) : s.payload;
    waiting.held.push({ segment: { ...s, payload }, seconds, nanoseconds });
    if (waiting.held.length >= MAX_UNDECIDED_SEGMENTS || s.flags & TCP_RST) this.decideByPort(key, waiting);
  }

  /** Nothing told the direction in time: the lower port is the server's, and the held segments go in. */
  private decideByPort(key: string, waiting: Undecided): void {
    this.open(key, waiting.held[0]!.segment, clientSideByPort(waiting.held[0]!.segment));
    this.undecided.delete(key);
    for (const h of waiting.held) {
      const c = this.connections.get(key);
      if (!c) return;
      this.track(key, c, h.segment, h.seconds, h.nanoseconds, h.seconds * 1000 + h.nanoseconds / 1e6);
    }
  }

  private track(key: string, c: Connection, s: TcpSegment, seconds: number, nanoseconds: number, nowMs: number): void {
    this.nowSeconds = seconds;
    this.nowNanoseconds = nanoseconds;
    const isRequest = s.srcPort === c.clientPort && s.src === c.clientAddress;
    const hasAck = (s.flags & TCP_ACK) !== 0;
    if (!isRequest && !this.options.trackResponse) return;
    c.lastSeenMs = nowMs;
    const stream = isRequest ? c.requestStream : c.responseStream;
    if (s.flags & TCP_SYN) stream.syn(s.seq);
    // What this side acknowledges tells whether a hole in the other side's stream is for good.
    if (hasAck) (isRequest ? c.responseStream : c.requestStream).acknowledged(s.ack, nowMs);
    if (s.payload.length > 0) {
      if (isRequest) c.clientAck = hasAck ? s.ack : 0;
      else c.serverSeq = s.seq;
      if (!this.isHttp) this.cutBursts(c, isRequest, c.clientAck);
    }
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
  }

  /**
   * binary: data from one side ends the other side's burst; a client segment acknowledging new
   * server bytes ends the client's own burst too (GoReplay's cut, which works without responses).
   * Called before the segment's bytes reach the reassembler.
   */
  private cutBursts(c: Connection, isRequest: boolean, ack: number): void {
    const request = c.requestFramer as BinaryFramer;
    const response = c.responseFramer as BinaryFramer;
    // A burst with a hole still open waits: the hole either fills or drops the burst.
    if (isRequest) {
      if (!c.responseStream.hasPending) response.flush();
      if (request.hasData && ack !== c.requestAck && !c.requestStream.hasPending) request.flush();
    } else if (!c.requestStream.hasPending) {
      request.flush();
    }
  }

  /**
   * Expires what has waited longer than `expireMs`: held out-of-order data becomes a gap, and
   * connections with no packet for that long are closed (their unfinished messages are counted).
   */
  sweep(nowMs: number): void {
    this.lastSweepMs = nowMs;
    const expireMs = this.options.expireMs;
    for (const [key, waiting] of this.undecided) {
      if (nowMs - waiting.lastSeenMs > expireMs) this.decideByPort(key, waiting);
    }
    for (const [key, c] of this.connections) {
      // An idle HTTP/2 connection is kept far longer: its HPACK state cannot be rebuilt once dropped.
      if (nowMs - c.lastSeenMs > (c.router?.isH2 ? Math.max(expireMs, H2_IDLE_MS) : expireMs)) {
        this.finishConnection(key, c);
        continue;
      }
      if (c.requestStream.hasPending) c.requestStream.expirePending(nowMs, expireMs);
      if (c.responseStream.hasPending) c.responseStream.expirePending(nowMs, expireMs);
    }
  }

  /** Whether any connection is tracked (or held undecided). */
  get holdsConnections(): boolean {
    return this.connections.size > 0 || this.undecided.size > 0;
  }

  /** End of input: close every connection so complete messages come out and the rest is counted. */
  finishAll(): void {
    for (const [key, waiting] of this.undecided) this.decideByPort(key, waiting);
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
    const id = c.nextId(c.requestAck);
    if (this.isHttp && this.options.trackResponse) {
      c.slots.push({ id, method: m.method, endSeconds: m.endSeconds, endNanoseconds: m.endNanoseconds });
      c.methods.push(m.method);
    } else if (!this.isHttp) {
      c.slots.length = 0;
      c.slots.push({ id, method: '', endSeconds: m.endSeconds, endNanoseconds: m.endNanoseconds });
    }
    this.counters.requests++;
    c.router?.requestFramed({ id, endSeconds: m.endSeconds, endNanoseconds: m.endNanoseconds }, m.asksForH2c);
    const payload = this.realipPrefix && this.isHttp ? this.withRealip(m.payload, formatAddress(c.clientAddress)) : m.payload;
    this.emit({ kind: 'request', id, timestamp: toNanoseconds(m.startSeconds, m.startNanoseconds), latency: 0n, payload });
  }

  onResponse(c: Connection, m: FramedMessage): void {
    // Interim responses (100 Continue) answer nothing on their own: the final response does.
    if (m.status >= 100 && m.status < 200 && m.status !== 101) return;
    if (m.status === 101 && c.router?.switchingProtocols()) {
      // h2c: the upgrade request is answered by stream 1's response, recorded under its id.
      c.slots.shift();
      c.methods.shift();
      return;
    }
    let slot = c.slots.shift();
    c.methods.shift();
    if (!slot && !this.isHttp) {
      // binary: the server spoke first (a greeting): its burst gets an id of its own.
      slot = { id: c.nextId(c.responseSeq), method: '', endSeconds: m.startSeconds, endNanoseconds: m.startNanoseconds };
    }
    if (!slot) {
      if (!c.isNotHttp) this.counters.unpaired++;
      return;
    }
    const latencyNs = (m.startSeconds - slot.endSeconds) * 1_000_000_000 + (m.startNanoseconds - slot.endNanoseconds);
    this.counters.responses++;
    this.emit({
      kind: 'response',
      id: slot.id,
      timestamp: toNanoseconds(m.startSeconds, m.startNanoseconds),
      latency: latencyNs > 0 ? BigInt(latencyNs) : 0n,
      payload: m.payload,
    });
  }

  /** The HTTP/2 side of a connection that switched (preface or h2c upgrade): ids are the connection's, then the stream id. */
  newH2Recorder(c: Connection, upgrade: UpgradeRequest | undefined): H2Recorder {
    const address = formatAddress(c.clientAddress);
    return new H2Recorder(
      {
        protocol: c.http2,
        trackResponse: this.options.trackResponse,
        idOf: (streamId) => messageIdOf(c.connectionId, streamId),
        requestPayload: this.realipPrefix ? (payload) => this.withRealip(payload, address) : undefined,
        upgrade,
      },
      this.counters,
      this.emit,
    );
  }

  /**
   * Bytes of one connection that another program already reassembled and decrypted (the tshark
   * engine): they skip the TCP reassembler and go straight to the connection's protocol router.
   * `ack` (client) or `seq` (server) is the segment's raw TCP number, for GoReplay's ids.
   */
  streamBytes(
    stream: DecryptedStream,
    isClient: boolean,
    tcpNumber: number,
    bytes: Uint8Array,
    seconds: number,
    nanoseconds: number,
  ): void {
    this.nowSeconds = seconds;
    this.nowNanoseconds = nanoseconds;
    const nowMs = seconds * 1000 + nanoseconds / 1e6;
    let c = this.connections.get(stream.key);
    if (!c) {
      c = new Connection(this, stream.clientAddress, stream.clientPort, stream.serverPort);
      c.http2 = stream.http2;
      this.connections.set(stream.key, c);
    }
    c.lastSeenMs = nowMs;
    if (isClient) {
      c.clientAck = tcpNumber;
      c.router!.client.data(bytes, seconds, nanoseconds);
    } else if (this.options.trackResponse) {
      c.serverSeq = tcpNumber;
      c.router!.server.data(bytes, seconds, nanoseconds);
    }
    if (nowMs - this.lastSweepMs > 250) this.sweep(nowMs);
  }

  /** The connection of `streamBytes` closed (FIN or RST). */
  streamEnd(key: string): void {
    const c = this.connections.get(key);
    if (c) this.finishConnection(key, c);
  }

  onLost(c: Connection, reason: 'gap' | 'incomplete', role: 'request' | 'response'): void {
    // A message broken by a hole is already counted with the hole (`gaps`).
    if (reason === 'incomplete') this.counters.incomplete++;
    // A request kept as it is (allowIncomplete) still pairs with its response.
    const isKept = reason === 'incomplete' && this.options.allowIncomplete;
    if (role === 'request' && !isKept) {
      // Pairing by order is broken from here: responses already in flight cannot be matched.
      c.slots.length = 0;
      c.methods.length = 0;
    }
  }

  /** Adds (or replaces) the real-IP header right after the request line. */
  private withRealip(payload: Uint8Array, address: string): Uint8Array {
    const lineEnd = payload.indexOf(10) + 1;
    const name = this.options.realipHeader.toLowerCase();
    const end = findHeadEnd(payload);
    const headEnd = end < 0 ? payload.length : end;
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

/** A connection whose bytes come reassembled and decrypted (see `streamBytes`). */
export interface DecryptedStream {
  key: string;
  clientAddress: string;
  clientPort: number;
  serverPort: number;
  /** What HTTP/2 on it is called (h2 over TLS). */
  http2: WireProtocol;
}

export function toNanoseconds(seconds: number, nanoseconds: number): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds);
}
