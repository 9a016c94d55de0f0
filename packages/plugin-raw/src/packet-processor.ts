/**
 * The whole capture path for one packet: decode the frame, feed the tracker, collect the messages
 * it completes. Shared by the pcap-file reader and the live capture process.
 */
import type { Message } from '@reprise/core';
import { newCounters, type Counters } from './capture-counters.js';
import { HttpTracker, type TrackerOptions } from './http-tracker.js';
import { PacketDecoder } from './packet-decoder.js';

export class PacketProcessor {
  readonly counters: Counters = newCounters();
  readonly tracker: HttpTracker;
  private readonly decoder = new PacketDecoder();
  /** Messages completed since the last `take()`. */
  private batch: Message[] = [];

  constructor(options: TrackerOptions) {
    this.tracker = new HttpTracker(options, this.counters, (m) => this.batch.push(m));
  }

  /** One frame; `frame` may be a reused buffer (everything kept is copied). */
  packet(linkType: number, frame: Uint8Array, originalLength: number, seconds: number, nanoseconds: number): void {
    this.counters.packets++;
    this.counters.bytes += originalLength;
    const nowMs = seconds * 1000 + nanoseconds / 1e6;
    const result = this.decoder.decode(linkType, frame, nowMs);
    if (result === 'tcp') {
      this.tracker.segment(this.decoder.segment, seconds, nanoseconds);
    } else if (result === 'malformed' || result === 'unsupported-link') {
      this.counters.undecodable++;
    }
  }

  /** Expires idle connections and stale fragments at `nowMs` (wall clock live, packet time in files). */
  sweep(nowMs: number): void {
    this.tracker.sweep(nowMs);
    this.decoder.defragmenter.sweep(nowMs);
  }

  /** Whether a sweep has anything to look at: connections held, or fragments of unfinished datagrams. */
  get holdsState(): boolean {
    return this.tracker.holdsConnections || this.decoder.defragmenter.size > 0;
  }

  finish(): void {
    this.tracker.finishAll();
  }

  get pendingCount(): number {
    return this.batch.length;
  }

  /** The messages completed so far, in completion order. */
  take(): Message[] {
    const out = this.batch;
    this.batch = [];
    return out;
  }
}
