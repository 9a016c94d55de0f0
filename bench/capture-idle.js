// Scenario "capture-idle": what a capture costs while no traffic comes (a capture left running on a quiet
// host). reprise --input-raw on a port nothing uses, with each engine, and, when BENCH_GOR names a GoReplay
// binary, GoReplay's own --input-raw, each left to settle, then watched: the CPU time of every thread of the
// process and its children (/proc/…/schedstat, in ns) and how often they woke (voluntary context switches).
// The cases run in alternating rounds; each row is the median.
//
//   node bench/capture-idle.js         prints the markdown section
//   node bench/run.js capture-idle     writes it into docs/BENCHMARKS.md
//
// Environment: BENCH_CAPTURE_IDLE_SECONDS (watched, default 20), BENCH_CAPTURE_IDLE_WARMUP (seconds before,
// default 40: the first half minute still holds start-up's garbage collections), BENCH_CAPTURE_IDLE_ROUNDS
// (default 3), BENCH_CAPTURE_ENGINES (default "tcpdump,libpcap"), BENCH_GOR.
// Needs root and the built CLI (npm run build).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliCommand } from './lib/cli.js';
import { machineLines } from './lib/machine.js';
import { median } from './lib/median.js';
import { descendants } from './lib/process-usage.js';
import { stopAndWait } from './lib/stop-process.js';
import { waitForOutput } from './lib/wait-for-output.js';

const watchSeconds = Number(process.env.BENCH_CAPTURE_IDLE_SECONDS ?? 20);
const warmupSeconds = Number(process.env.BENCH_CAPTURE_IDLE_WARMUP ?? 40);
const rounds = Number(process.env.BENCH_CAPTURE_IDLE_ROUNDS ?? 3);
const engines = (process.env.BENCH_CAPTURE_ENGINES ?? 'tcpdump,libpcap').split(',');
const gorBinary = process.env.BENCH_GOR;
const sleep = (seconds) => new Promise((r) => setTimeout(r, seconds * 1000));

/** A port that nothing listens on (and so no traffic reaches). */
async function unusedPort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** Per thread of the tree: nanoseconds on a CPU and voluntary context switches (each one a sleep, so a wake after). */
function threadTimes(rootPid) {
  const threads = new Map();
  for (const pid of descendants(rootPid)) {
    let tids;
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // exited meanwhile
    }
    for (const tid of tids) {
      try {
        const onCpuNs = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        const wakes = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))[1]);
        threads.set(`${pid}/${tid}`, { onCpuNs, wakes });
      } catch {
        // the thread ended between the listing and the read
      }
    }
  }
  return threads;
}

/** Starts one case and resolves once it captures. */
async function start(kind, port) {
  if (kind === 'goreplay') {
    const child = spawn(gorBinary, ['--input-raw', `:${port}`, '--output-null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(child, /Interface: lo /, { stream: child.stdout });
    child.stdout.resume();
    child.stderr.resume();
    return child;
  }
  const child = spawn(...cliCommand(['--input-raw', `:${port}`, '--input-raw-engine', kind, '--output-null']), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await waitForOutput(child, /capturing on/);
  child.stderr.resume();
  return child;
}

/** CPU milliseconds per second and wakes per second of the whole tree, over the watched spell. */
async function measure(kind, port) {
  const child = await start(kind, port);
  try {
    await sleep(warmupSeconds);
    const before = threadTimes(child.pid);
    const startedNs = process.hrtime.bigint();
    await sleep(watchSeconds);
    const after = threadTimes(child.pid);
    const seconds = Number(process.hrtime.bigint() - startedNs) / 1e9;
    let onCpuNs = 0;
    let wakes = 0;
    for (const [id, end] of after) {
      const begin = before.get(id) ?? { onCpuNs: 0, wakes: 0 };
      onCpuNs += end.onCpuNs - begin.onCpuNs;
      wakes += end.wakes - begin.wakes;
    }
    return { cpuMsPerSecond: onCpuNs / 1e6 / seconds, wakesPerSecond: wakes / seconds, threads: after.size };
  } finally {
    await stopAndWait(child);
  }
}

const LABELS = {
  tcpdump: 'reprise --input-raw-engine tcpdump',
  libpcap: 'reprise --input-raw-engine libpcap',
  goreplay: 'GoReplay 1.3.2 --input-raw',
};

const scenario = {
  name: 'capture-idle',
  title: 'Capture while idle: CPU and wake-ups with no traffic',
  async run() {
    const cases = [...engines, ...(gorBinary ? ['goreplay'] : [])];
    const port = await unusedPort();
    const results = new Map(cases.map((c) => [c, []]));
    for (let round = 0; round < rounds; round++) {
      for (const kind of cases) {
        const r = await measure(kind, port);
        results.get(kind).push(r);
        console.error(
          `capture-idle round ${round + 1}/${rounds}: ${kind}: ${r.cpuMsPerSecond.toFixed(1)} CPU ms/s, ${r.wakesPerSecond.toFixed(1)} wakes/s (${r.threads} threads)`,
        );
      }
    }
    const rows = cases.map((kind) => {
      const rs = results.get(kind);
      const cpu = median(rs.map((r) => r.cpuMsPerSecond));
      const wakes = median(rs.map((r) => r.wakesPerSecond));
      return `| ${LABELS[kind]} | ${cpu.toFixed(1)} | ${wakes.toFixed(1)} | ${rs.map((r) => `${r.cpuMsPerSecond.toFixed(1)} / ${r.wakesPerSecond.toFixed(1)}`).join(', ')} |`;
    });
    return [
      `Each capture on :${port}, a port no traffic reaches, left ${warmupSeconds} s to settle, then watched for ${watchSeconds} s, in ${rounds} alternating round(s);`,
      "every thread of the process and its children (tcpdump, cap's child process). The median per row; CPU time is each thread's",
      'time on a CPU as the kernel counts it, a wake-up each time a thread went to sleep.',
      '',
      '| capture | CPU ms per second | wake-ups per second | each round (CPU ms/s / wakes/s) |',
      '| --- | ---: | ---: | --- |',
      ...rows,
      '',
      ...machineLines(),
    ].join('\n');
  },
};
export default scenario;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`## ${scenario.title}\n\n${await scenario.run()}`);
}
