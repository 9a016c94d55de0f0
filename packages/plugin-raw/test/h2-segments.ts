// Feeds recorded HTTP/2 traffic (h2-traffic.ts) through an HttpTracker as TCP segments.
import { makeTracker, TCP_ACK, TCP_SYN } from './tracker-segments.js';
import type { RecordedChunk } from './h2-traffic.js';

export interface FeedOptions {
  clientPort?: number;
  /** Start feeding at this chunk, without the handshake: a capture that joined late. */
  fromChunk?: number;
  trackResponse?: boolean;
  /** Before this chunk, time moves on by `ms` and the tracker sweeps (a connection gone quiet). */
  pause?: { beforeChunk: number; ms: number };
}

/** Each chunk becomes one segment in its direction, after a SYN / SYN-ACK unless joining late. */
export function feedChunks(chunks: RecordedChunk[], options: FeedOptions = {}) {
  const run = makeTracker(options.trackResponse ?? true);
  const port = options.clientPort ?? 40000;
  let clientSeq = 1000;
  let serverSeq = 500_000;
  const from = options.fromChunk ?? 0;
  if (from === 0) {
    run.feed('request', clientSeq - 1, '', TCP_SYN, port);
    run.feed('response', serverSeq - 1, '', TCP_SYN | TCP_ACK, port, 1, clientSeq);
  } else {
    for (const chunk of chunks.slice(0, from)) {
      if (chunk.side === 'client') clientSeq += chunk.bytes.length;
      else serverSeq += chunk.bytes.length;
    }
  }
  for (const [i, chunk] of chunks.entries()) {
    if (i < from) continue;
    if (options.pause?.beforeChunk === i) {
      run.feed('request', 1, '', TCP_ACK, port + 1, options.pause.ms, 1); // another connection's ACK, after the quiet time
      run.tracker.sweep(run.now() + 1);
    }
    if (chunk.side === 'client') {
      run.feed('request', clientSeq, chunk.bytes, TCP_ACK, port, 1, serverSeq);
      clientSeq += chunk.bytes.length;
    } else {
      run.feed('response', serverSeq, chunk.bytes, TCP_ACK, port, 1, clientSeq);
      serverSeq += chunk.bytes.length;
    }
  }
  run.tracker.finishAll();
  return run;
}
