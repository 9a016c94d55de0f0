/**
 * Feeds the tshark engine's packets (tshark-fields.ts) to the tracker as whole byte streams per
 * connection and direction: tshark has already reassembled TCP and decrypted TLS. A TLS connection
 * whose application data tshark could not decrypt (its keys are not in the key log) is counted once
 * as `tls-no-keys` and nothing from it is emitted: never guessed. Pure logic.
 */
import type { Counters } from './capture-counters.js';
import type { HttpTracker } from './http-tracker.js';
import { TCP_FIN, TCP_RST } from './packet-decoder.js';
import type { TsharkPacket } from './tshark-fields.js';

interface StreamState {
  isTls: boolean;
  isWithoutKeys: boolean;
  fins: number;
  isEnded: boolean;
}

/** Ended connections remembered, so that their last packets (an ACK, an alert after the FINs) do not count anew. */
const MAX_REMEMBERED = 4096;

export class DecryptedStreams {
  private readonly streams = new Map<number, StreamState>();

  constructor(
    private readonly tracker: HttpTracker,
    /** Server ports: packets to them are the client's. */
    private readonly ports: ReadonlySet<number>,
    private readonly counters: Counters,
  ) {}

  packet(p: TsharkPacket): void {
    const isClient = this.ports.has(p.dstPort);
    if (!isClient && !this.ports.has(p.srcPort)) return;
    this.counters.packets++;
    this.counters.bytes += p.data.length;
    let state = this.streams.get(p.stream);
    if (!state) {
      state = { isTls: false, isWithoutKeys: false, fins: 0, isEnded: false };
      this.streams.set(p.stream, state);
      if (this.streams.size > MAX_REMEMBERED) this.forgetOldestEnded();
    }
    if (state.isEnded) return;
    const key = `tshark ${p.stream}`;
    if (p.isTls) state.isTls = true;
    if (p.isUndecrypted && !state.isWithoutKeys) {
      state.isWithoutKeys = true;
      this.counters['tls-no-keys']++;
      this.tracker.streamEnd(key);
    }
    if (!state.isWithoutKeys && p.data.length > 0) {
      const stream = {
        key,
        clientAddress: isClient ? p.src : p.dst,
        clientPort: isClient ? p.srcPort : p.dstPort,
        serverPort: isClient ? p.dstPort : p.srcPort,
        http2: state.isTls ? ('h2' as const) : ('h2c' as const),
      };
      this.tracker.streamBytes(stream, isClient, isClient ? p.ack : p.seq, p.data, p.seconds, p.nanoseconds);
    }
    if (p.flags & TCP_FIN) state.fins++;
    if (p.flags & TCP_RST || state.fins >= 2) {
      this.tracker.streamEnd(key);
      state.isEnded = true;
    }
  }

  private forgetOldestEnded(): void {
    for (const [stream, state] of this.streams) {
      if (!state.isEnded) continue;
      this.streams.delete(stream);
      return;
    }
  }

  finish(): void {
    this.tracker.finishAll();
    this.streams.clear();
  }
}
