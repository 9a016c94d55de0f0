// Scenario "sessions": what --recognize-tcp-sessions costs. 50,000 recorded GETs from 500 interleaved
// TCP sessions (GoReplay ids: the first 16 hex digits are the connection) replayed to nginx with
// --input-file-no-wait: without sessions (the shared pool), with sessions (one connection per session,
// requests of a session one after the other), and with sessions plus --output-http-track-response
// (a session's next request also waits for the previous replayed response to pass the pipeline).
//
//   node bench/sessions.js          prints the markdown section
//   node bench/run.js sessions      writes it into docs/BENCHMARKS.md
//
// Environment: BENCH_REQUESTS (default 50000), BENCH_SESSIONS (default 500).
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTools, startNginx } from './lib/nginx.js';
import { machineLines } from './lib/machine.js';
import { runCliTimed } from './lib/cli.js';
import { browserGet } from './lib/browser-request.js';

/** `count` GETs dealt round-robin over `sessions` connections, each with GoReplay's id layout. */
async function writeSessionRecording(file, count, sessions) {
  const { encodeRecords } = await import('@reprise/core');
  const out = createWriteStream(file);
  const baseNs = BigInt(Date.now()) * 1_000_000n;
  const batch = [];
  for (let i = 0; i < count; i++) {
    const session = (i % sessions).toString(16).padStart(16, '0');
    const exchange = Math.floor(i / sessions)
      .toString(16)
      .padStart(8, '0');
    batch.push({ kind: 'request', id: session + exchange, timestamp: baseNs + BigInt(i) * 10_000n, latency: 0n, payload: browserGet(i) });
    if (batch.length === 1024 || i === count - 1) {
      if (!out.write(encodeRecords(batch))) await once(out, 'drain');
      batch.length = 0;
    }
  }
  out.end();
  await once(out, 'finish');
}

const scenario = {
  name: 'sessions',
  title: 'Replay with --recognize-tcp-sessions (output-http, 500 sessions)',
  async run() {
    const count = Number(process.env.BENCH_REQUESTS ?? 50_000);
    const sessions = Number(process.env.BENCH_SESSIONS ?? 500);
    await ensureTools(['nginx']);
    const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-sessions-'));
    const nginx = await startNginx();
    try {
      const file = join(dir, 'sessions.gor');
      await writeSessionRecording(file, count, sessions);
      const base = ['--input-file', file, '--input-file-no-wait', '--output-http', nginx.url];
      const modes = [
        ['without sessions (shared pool, default settings)', []],
        ['--recognize-tcp-sessions', ['--recognize-tcp-sessions', '--output-http-session-connections', String(sessions)]],
        [
          '--recognize-tcp-sessions --output-http-track-response',
          ['--recognize-tcp-sessions', '--output-http-session-connections', String(sessions), '--output-http-track-response'],
        ],
      ];
      // Modes alternate, twice: the cores are shared, so each mode reports its better run.
      const best = new Map();
      for (let round = 0; round < 2; round++) {
        for (const [label, extra] of modes) {
          const run = await runCliTimed([...base, ...extra], { timeoutMs: 600_000 });
          const summary = run.output
            .split('\n')
            .find((l) => /^\s*output-http /.test(l))
            ?.trim()
            .replace(/http:\/\/127\.0\.0\.1:\d+/, 'URL');
          const rate = count / run.seconds;
          if (!best.has(label) || best.get(label).rate < rate) best.set(label, { rate, summary });
        }
      }
      const rows = modes.map(
        ([label]) => `| ${label} | ${Math.round(best.get(label).rate).toLocaleString('en-US')} | \`${best.get(label).summary ?? ''}\` |`,
      );
      return [
        `Recording: ${count.toLocaleString('en-US')} GETs from ${sessions} interleaved sessions, replayed with \`--input-file-no-wait\` to nginx \`return 200 "pong"\` (one worker, loopback); process start to exit, the better of two alternating runs per mode.`,
        '',
        "| mode | requests/s | reprise's exit summary (that run) |",
        '| --- | ---: | --- |',
        ...rows,
        '',
        '- With sessions each connection carries one request at a time (as the recorded client did), so the rate is bound by the round trip times the sessions in flight, not by the pool.',
        ...machineLines(),
      ].join('\n');
    } finally {
      await nginx.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default scenario;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`## ${scenario.title}\n\n${await scenario.run()}`);
}
