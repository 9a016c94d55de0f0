/**
 * Turns one HTTP/2 connection's H2Session events into core Messages: a request and its response
 * share an id made from the connection and the stream id, both carry the wire protocol (`h2c`, `h2`),
 * and what the session could not decode is counted. Pure logic, like the session.
 */
import type { Message, WireProtocol } from '@reprise/core';
import type { Counters } from '../capture-counters.js';
import { H2Session, type H2Time } from './h2-session.js';

/** The HTTP/1.1 request that asked for `Upgrade: h2c`: stream 1's response answers it. */
export interface UpgradeRequest {
  id: string;
  endSeconds: number;
  endNanoseconds: number;
}

export interface H2RecorderOptions {
  protocol: WireProtocol;
  trackResponse: boolean;
  /** The id of a stream's exchange on this connection. */
  idOf(streamId: number): string;
  /** Lets the tracker add what it adds to every request (the real-IP header). */
  requestPayload?(payload: Uint8Array): Uint8Array;
  upgrade?: UpgradeRequest;
}

interface Awaiting {
  id: string;
  end: H2Time;
}

export class H2Recorder {
  private readonly session: H2Session;
  /** Requests waiting for their response, by stream id. */
  private readonly awaiting = new Map<number, Awaiting>();

  constructor(
    private readonly options: H2RecorderOptions,
    private readonly counters: Counters,
    private readonly emit: (message: Message) => void,
  ) {
    const upgrade = options.upgrade;
    if (upgrade && options.trackResponse) {
      this.awaiting.set(1, { id: upgrade.id, end: { seconds: upgrade.endSeconds, nanoseconds: upgrade.endNanoseconds } });
    }
    this.session = new H2Session(
      {
        request: (streamId, payload, start, end) => this.request(streamId, payload, start, end),
        response: (streamId, payload, start) => this.response(streamId, payload, start),
        aborted: (streamId) => {
          this.awaiting.delete(streamId);
          counters['h2-rst-stream']++;
        },
        undecodable: () => {
          this.awaiting.clear();
          counters['h2-unknown-state']++;
        },
      },
      { isUpgrade: upgrade !== undefined, isRequestOnly: !options.trackResponse },
    );
  }

  client(bytes: Uint8Array, seconds: number, nanoseconds: number): void {
    this.session.client(bytes, { seconds, nanoseconds });
  }

  server(bytes: Uint8Array, seconds: number, nanoseconds: number): void {
    this.session.server(bytes, { seconds, nanoseconds });
  }

  /** Streams still open when the connection ends never completed. */
  end(): void {
    this.counters.incomplete += this.session.openStreams;
  }

  private request(streamId: number, payload: Uint8Array, start: H2Time, end: H2Time): void {
    const id = this.options.idOf(streamId);
    if (this.options.trackResponse) this.awaiting.set(streamId, { id, end });
    this.counters.requests++;
    const bytes = this.options.requestPayload ? this.options.requestPayload(payload) : payload;
    this.emit({ kind: 'request', id, timestamp: nanosecondsOf(start), latency: 0n, payload: bytes, protocol: this.options.protocol });
  }

  private response(streamId: number, payload: Uint8Array, start: H2Time): void {
    if (!this.options.trackResponse) return;
    const request = this.awaiting.get(streamId);
    this.awaiting.delete(streamId);
    if (!request) {
      this.counters.unpaired++;
      return;
    }
    const latency = nanosecondsOf(start) - nanosecondsOf(request.end);
    this.counters.responses++;
    this.emit({
      kind: 'response',
      id: request.id,
      timestamp: nanosecondsOf(start),
      latency: latency > 0n ? latency : 0n,
      payload,
      protocol: this.options.protocol,
    });
  }
}

function nanosecondsOf(time: H2Time): bigint {
  return BigInt(time.seconds) * 1_000_000_000n + BigInt(time.nanoseconds);
}
