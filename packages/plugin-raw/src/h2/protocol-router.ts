/**
 * Sends one TCP connection's reassembled bytes to the HTTP/1 framers or to an HTTP/2 recorder:
 * a client stream that starts with the HTTP/2 preface is h2 (prior knowledge); an HTTP/1.1 request
 * with `Upgrade: h2c` answered by `101` switches the connection to h2 (stream 1's response answers
 * that request); bytes that look like h2 frames but come without a preface are a connection joined
 * mid-stream, whose HPACK state is unknown: counted once (`h2-unknown-state`), nothing emitted.
 */
import type { Counters } from '../capture-counters.js';
import { looksLikeFrames, startsWithPreface } from './h2-frames.js';
import type { H2Recorder, UpgradeRequest } from './h2-recorder.js';

/** What a TCP reassembler feeds: one direction's bytes in order, holes, and the end. */
export interface StreamSink {
  data(bytes: Uint8Array, seconds: number, nanoseconds: number): void;
  gap(): void;
  end(seconds: number, nanoseconds: number): void;
}

type Mode = 'undecided' | 'http1' | 'h2' | 'h2-unknown-state';

/** How much the server may say before the client's first bytes tell the protocol (an h2 server's SETTINGS come first). */
const MAX_HELD_SERVER_BYTES = 64 * 1024;

interface HeldBytes {
  bytes: Uint8Array;
  seconds: number;
  nanoseconds: number;
}

export class ProtocolRouter {
  readonly client: StreamSink;
  readonly server: StreamSink;
  private mode: Mode = 'undecided';
  private recorder: H2Recorder | undefined;
  /** Client bytes so far when they are a prefix of the preface but shorter than it. */
  private held: Uint8Array | undefined;
  /** Server bytes that came while the protocol was undecided (the reassembler does not reuse them). */
  private heldServer: HeldBytes[] = [];
  private heldServerBytes = 0;
  private http1Server: StreamSink;
  /** An HTTP/1.1 request asked for h2c and its answer is not in yet. */
  private upgrade: UpgradeRequest | undefined;
  private isEnded = false;

  constructor(
    http1: { client: StreamSink; server: StreamSink },
    private readonly newRecorder: (upgrade?: UpgradeRequest) => H2Recorder,
    private readonly counters: Counters,
  ) {
    this.http1Server = http1.server;
    this.client = {
      data: (bytes, s, ns) => this.clientData(http1.client, bytes, s, ns),
      gap: () => this.gap(http1.client),
      end: (s, ns) => this.end(http1.client, s, ns),
    };
    this.server = {
      data: (bytes, s, ns) => this.serverData(http1.server, bytes, s, ns),
      gap: () => this.gap(http1.server),
      end: (s, ns) => this.end(http1.server, s, ns),
    };
  }

  get isH2(): boolean {
    return this.mode === 'h2' || this.mode === 'h2-unknown-state';
  }

  /** An HTTP/1 request was framed: one asking for `Upgrade: h2c` may switch the connection. */
  requestFramed(request: UpgradeRequest, asksForH2c: boolean): void {
    if (this.mode === 'http1' && asksForH2c) this.upgrade = request;
  }

  /**
   * A 101 response was framed: true when it accepts the pending h2c upgrade (the connection is h2
   * from here and the 101 is not recorded: stream 1's response answers the request).
   */
  switchingProtocols(): boolean {
    if (this.mode === 'h2' && this.recorder && this.upgrade === undefined) return true;
    if (this.upgrade === undefined) return false;
    this.startH2(this.upgrade);
    return true;
  }

  /** The server's bytes after a 101 head, in the segment that held it. */
  afterSwitch(rest: Uint8Array, seconds: number, nanoseconds: number): void {
    if (this.mode === 'h2' && rest.length > 0) this.recorder!.server(rest, seconds, nanoseconds);
  }

  private clientData(http1: StreamSink, bytes: Uint8Array, s: number, ns: number): void {
    switch (this.mode) {
      case 'h2':
        return this.recorder!.client(bytes, s, ns);
      case 'h2-unknown-state':
        return;
      case 'http1':
        // The client sends the preface once it has the 101; the response stream may not be tracked.
        if (this.upgrade && startsWithPreface(bytes) !== false) {
          this.startH2(this.upgrade);
          return this.recorder!.client(bytes, s, ns);
        }
        return http1.data(bytes, s, ns);
      case 'undecided': {
        const all = this.held ? Buffer.concat([this.held, bytes]) : bytes;
        this.held = undefined;
        const isPreface = startsWithPreface(all);
        if (isPreface === undefined) {
          this.held = all;
          return;
        }
        if (isPreface) {
          this.startH2(undefined);
          this.recorder!.client(all, s, ns);
        } else if (looksLikeFrames(all)) {
          this.unknownState();
        } else {
          this.mode = 'http1';
          http1.data(all, s, ns);
        }
        return this.releaseServer();
      }
    }
  }

  private serverData(http1: StreamSink, bytes: Uint8Array, s: number, ns: number): void {
    switch (this.mode) {
      case 'h2':
        return this.recorder!.server(bytes, s, ns);
      case 'h2-unknown-state':
        return;
      case 'undecided':
        // An h2 server may send its SETTINGS before the client's preface arrives: frames wait for the
        // client; anything else (an HTTP/1 response to a request from before the capture) goes on now.
        if (this.heldServer.length === 0 && !looksLikeFrames(bytes)) return http1.data(bytes, s, ns);
        this.heldServer.push({ bytes, seconds: s, nanoseconds: ns });
        this.heldServerBytes += bytes.length;
        if (this.heldServerBytes > MAX_HELD_SERVER_BYTES) this.decideByServer();
        return;
      case 'http1':
        return http1.data(bytes, s, ns);
    }
  }

  /** The client has not spoken for long: the server's bytes decide (frames here mean a connection joined late). */
  private decideByServer(): void {
    if (this.heldServer.some((h) => looksLikeFrames(h.bytes))) this.unknownState();
    else this.mode = 'http1';
    this.releaseServer();
  }

  /** Hands the held server bytes to whatever the connection turned out to be. */
  private releaseServer(): void {
    const held = this.heldServer;
    if (held.length === 0) return;
    this.heldServer = [];
    this.heldServerBytes = 0;
    for (const h of held) this.serverData(this.http1Server, h.bytes, h.seconds, h.nanoseconds);
  }

  private gap(http1: StreamSink): void {
    if (this.mode === 'h2') {
      // A frame or header block went missing: the HPACK tables can no longer be trusted.
      this.counters.gaps++;
      this.recorder = undefined;
      return this.unknownState();
    }
    if (this.mode === 'h2-unknown-state') {
      this.counters.gaps++;
      return;
    }
    http1.gap();
  }

  private end(http1: StreamSink, s: number, ns: number): void {
    if (this.mode === 'undecided' && this.heldServer.length > 0) this.decideByServer();
    if (this.mode === 'h2' && !this.isEnded) this.recorder!.end();
    this.isEnded = true;
    http1.end(s, ns);
  }

  private startH2(upgrade: UpgradeRequest | undefined): void {
    this.mode = 'h2';
    this.upgrade = undefined;
    this.recorder = this.newRecorder(upgrade);
  }

  private unknownState(): void {
    this.mode = 'h2-unknown-state';
    this.counters['h2-unknown-state']++;
  }
}
