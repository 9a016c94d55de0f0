// Pure logic: pairs requests with their responses by id and turns each pair into one JSON line.
import { parseHttpHead, headerValue } from '@reprise/core';

/** A summary of one HTTP message for the JSON line. */
function describe(message, includeBodies) {
  const head = parseHttpHead(message.payload);
  const summary = { id: message.id, timestamp: String(message.timestamp) };
  if (!head) return { ...summary, unparsable: true, bytes: message.payload.length };
  if (message.kind === 'request') {
    summary.method = head.startLine[0];
    summary.url = head.startLine[1];
    summary.host = headerValue(head.headers, 'host');
  } else {
    summary.status = Number(head.startLine[1]);
    summary.latencyMs = Number(message.latency) / 1e6;
  }
  summary.headers = Object.fromEntries(head.headers.map(([k, v]) => [k.toLowerCase(), v]));
  if (includeBodies) summary.body = Buffer.from(message.payload.subarray(head.bodyOffset)).toString('utf8');
  return summary;
}

/**
 * Holds requests until their response arrives (or `pairTimeoutMs` passes), then emits a line:
 * {"request": {...}, "response": {...} | null, "replayedResponse": {...} | null}.
 */
export class PairLines {
  constructor({ includeBodies = false, pairTimeoutMs = 10_000, now = Date.now } = {}) {
    this.includeBodies = includeBodies;
    this.pairTimeoutMs = pairTimeoutMs;
    this.now = now;
    this.open = new Map(); // id → { pair, since }
  }

  /** Takes messages; returns the lines that are complete. */
  add(messages) {
    const lines = [];
    for (const message of messages) {
      let entry = this.open.get(message.id);
      if (!entry) {
        entry = { pair: { request: null, response: null, replayedResponse: null }, since: this.now() };
        this.open.set(message.id, entry);
      }
      const slot = message.kind === 'request' ? 'request' : message.kind === 'response' ? 'response' : 'replayedResponse';
      entry.pair[slot] = describe(message, this.includeBodies);
      if (entry.pair.request && (entry.pair.response || entry.pair.replayedResponse)) {
        this.open.delete(message.id);
        lines.push(JSON.stringify(entry.pair));
      }
    }
    return lines.concat(this.expire(false));
  }

  /** Lines for pairs that waited too long (or all of them, at the end). */
  expire(all = true) {
    const lines = [];
    const limit = this.now() - this.pairTimeoutMs;
    for (const [id, entry] of this.open) {
      if (!all && entry.since > limit) break; // Map keeps insertion order: the rest are younger
      this.open.delete(id);
      if (entry.pair.request) lines.push(JSON.stringify(entry.pair));
    }
    return lines;
  }
}
