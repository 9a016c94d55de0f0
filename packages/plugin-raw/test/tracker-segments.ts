// Feeds crafted TCP segments straight into an HttpTracker, for tests without frames.
import type { Message } from '@reprise/core';
import { newCounters } from '../src/capture-counters.js';
import { HttpTracker, type TrackerOptions } from '../src/http-tracker.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from '../src/packet-decoder.js';

export { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN };

export const CLIENT = 0x0a000001;
export const SERVER = 0x0a000002;
export const SERVER_PORT = 8080;

export function makeTracker(trackResponse = true, expireMs = 2000, more: Partial<TrackerOptions> = {}) {
  const messages: Message[] = [];
  const counters = newCounters();
  const tracker = new HttpTracker({ ports: new Set([SERVER_PORT]), trackResponse, realipHeader: '', expireMs, ...more }, counters, (m) =>
    messages.push(m),
  );
  let timeMs = 1_700_000_000_000;
  const feed = (
    direction: 'request' | 'response',
    seq: number,
    payload: Uint8Array | string,
    flags = TCP_ACK,
    clientPort = 40000,
    advanceMs = 1,
    /** The acknowledgment number; without one the segment carries no ACK (a made-up 0 would mislead). */
    ack?: number,
  ) => {
    timeMs += advanceMs;
    const s: TcpSegment = {
      src: direction === 'request' ? CLIENT : SERVER,
      dst: direction === 'request' ? SERVER : CLIENT,
      srcPort: direction === 'request' ? clientPort : SERVER_PORT,
      dstPort: direction === 'request' ? SERVER_PORT : clientPort,
      seq: seq >>> 0,
      ack: (ack ?? 0) >>> 0,
      flags: ack === undefined ? flags & ~TCP_ACK : flags,
      payload: typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload,
      missingBytes: 0,
    };
    tracker.segment(s, Math.floor(timeMs / 1000), (timeMs % 1000) * 1_000_000);
  };
  return { tracker, messages, counters, feed, now: () => timeMs };
}

export const text = (m: Message) => Buffer.from(m.payload).toString('latin1');
