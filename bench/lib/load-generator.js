// A fixed-rate (open model) HTTP/1.1 load generator over keep-alive connections, on raw sockets.
// Requests are sent on schedule (request i at start + i/rate) whether or not earlier responses have
// come back, so a slow server or capture does not slow the load down (no coordinated omission).
// Each request is its own write (Nagle off): one request per TCP segment, as real clients do.
//
//   import { runFixedRate } from './lib/load-generator.js';
//   const r = await runFixedRate({ host: '127.0.0.1', port, rate: 10000, durationS: 5 });
//   // { sent, completed, errors, durationS, lateMs }
import { connect } from 'node:net';

const RESPONSE_START = Buffer.from('HTTP/1.1 ');

/** Counts responses in a stream by their status lines (nginx answers with a fixed small body). */
function responseCounter() {
  let tail = Buffer.alloc(0);
  return (chunk) => {
    const data = tail.length ? Buffer.concat([tail, chunk]) : chunk;
    let n = 0;
    for (let i = data.indexOf(RESPONSE_START); i >= 0; i = data.indexOf(RESPONSE_START, i + RESPONSE_START.length)) n++;
    tail = data.subarray(Math.max(0, data.length - (RESPONSE_START.length - 1)));
    // A status line split across chunks is found in `tail` next time; one fully inside tail was counted.
    if (tail.indexOf(RESPONSE_START) >= 0) tail = Buffer.alloc(0);
    return n;
  };
}

export async function runFixedRate({ host = '127.0.0.1', port, rate, durationS = 5, connections = 32, path = '/', drainMs = 2000 }) {
  const sockets = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise((resolve, reject) => {
          const s = connect(port, host, () => resolve(s));
          s.setNoDelay(true);
          s.once('error', reject);
        }),
    ),
  );
  let completed = 0;
  let errors = 0;
  for (const s of sockets) {
    const count = responseCounter();
    s.on('data', (chunk) => (completed += count(chunk)));
    s.on('error', () => errors++);
  }
  const total = Math.round(rate * durationS);
  const requests = Array.from({ length: 64 }, (_, i) =>
    Buffer.from(`GET ${path}?n=${i} HTTP/1.1\r\nHost: ${host}:${port}\r\nUser-Agent: reprise-bench\r\nAccept: */*\r\n\r\n`),
  );
  let sent = 0;
  let maxLateMs = 0;
  const start = performance.now();
  await new Promise((resolve) => {
    const tick = () => {
      const elapsedMs = performance.now() - start;
      const due = Math.min(total, Math.floor((elapsedMs / 1000) * rate));
      if (due - sent > rate / 100) maxLateMs = Math.max(maxLateMs, ((due - sent) / rate) * 1000);
      while (sent < due) {
        const s = sockets[sent % connections];
        s.write(requests[sent % requests.length]);
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sendDurationS = (performance.now() - start) / 1000;
  const deadline = Date.now() + drainMs;
  while (completed < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const s of sockets) s.destroy();
  return { sent, completed, errors, durationS: sendDurationS, lateMs: Math.round(maxLateMs) };
}
