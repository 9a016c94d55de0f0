// Scenario "capture-file": the capture path (pcap decoding, TCP reassembly, HTTP framing, the .gor writer)
// measured without a live load's noise. tcpdump records nginx traffic under the capture scenario's load
// generator (25,000 req/s for 12 s), then reprise reads that pcap into a .gor file, in alternating rounds
// beside tcpdump reading the same file (libpcap's own read and write: the floor) and, when BENCH_GOR names a
// GoReplay binary, GoReplay's own pcap_file engine. GoReplay 1.3.2 does not exit at the end of the file: it is
// stopped once its output has not grown for 2 s (it flushes every second); its seconds run to the output's last
// growth, its CPU to the stop (an idle Go process adds next to nothing).
//
//   node bench/capture-file.js         prints the markdown section
//   node bench/run.js capture-file     writes it into docs/BENCHMARKS.md
//
// Environment: BENCH_CAPTURE_FILE_SECONDS (default 12), BENCH_CAPTURE_FILE_ROUNDS (default 5), BENCH_GOR.
// Needs root (tcpdump on loopback) and the built CLI (npm run build).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliCommand } from './lib/cli.js';
import { countGorFileRequests } from './lib/gor-records.js';
import { runFixedRate } from './lib/load-generator.js';
import { machineLines } from './lib/machine.js';
import { median } from './lib/median.js';
import { ensureTools, startNginx } from './lib/nginx.js';
import { watchProcessTree } from './lib/process-usage.js';

const RATE = 25_000;
const loadSeconds = Number(process.env.BENCH_CAPTURE_FILE_SECONDS ?? 12);
const rounds = Number(process.env.BENCH_CAPTURE_FILE_ROUNDS ?? 5);
const gorBinary = process.env.BENCH_GOR;

/** Records nginx traffic under a fixed-rate load into `file`; resolves to the requests nginx completed and tcpdump's drop count line. */
async function recordPcap(file) {
  const nginx = await startNginx();
  try {
    const tcpdump = spawn('tcpdump', ['-i', 'lo', '-s', '0', '-w', file, `tcp port ${nginx.port}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let said = '';
    tcpdump.stderr.on('data', (d) => (said += d));
    while (!/listening on/.test(said)) {
      if (tcpdump.exitCode !== null) throw new Error(`tcpdump exited: ${said}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // tcpdump says it listens a moment before its filter passes packets.
    await new Promise((r) => setTimeout(r, 500));
    const load = await runFixedRate({ port: nginx.port, rate: RATE, durationS: loadSeconds });
    tcpdump.kill('SIGINT');
    await once(tcpdump, 'exit');
    return { port: nginx.port, completed: load.completed, dropLine: /\d+ packets? dropped by kernel/.exec(said)?.[0] ?? 'no drop count' };
  } finally {
    await nginx.stop();
  }
}

/** Runs [command, args] to its exit; resolves to wall-clock seconds, its CPU seconds (the shell's `times`) and what it printed. */
async function timed(command, args) {
  const started = process.hrtime.bigint();
  // `times` prints the shell's own times, then its children's: the second line is the command's user and system time.
  const child = spawn('sh', ['-c', '"$@"; code=$?; times >&3; exit $code', 'sh', command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let times = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  child.stdio[3].on('data', (d) => (times += d));
  const [code] = await once(child, 'exit');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`${command} exited with ${code}: ${output.slice(-2000)}`);
  const children = times.trim().split('\n')[1] ?? '';
  const parts = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (parts.length !== 2) throw new Error(`no CPU times from the shell: ${JSON.stringify(times)}`);
  return { seconds, cpuSeconds: parts[0] + parts[1], output };
}

/**
 * GoReplay reading the pcap into `out`: stopped once its output has not grown for 2 s (it flushes every second);
 * its seconds run to the output's last growth, its CPU (from /proc) to the stop.
 */
async function timedGoReplay(pcap, port, out) {
  const started = process.hrtime.bigint();
  const args = ['--input-raw', `${pcap}:${port}`, '--input-raw-engine', 'pcap_file', '--output-file', out, '--output-file-append'];
  const child = spawn(gorBinary, args, { stdio: 'ignore' });
  const usage = watchProcessTree(child.pid, 50);
  let size = 0;
  let grewAt = started;
  while (child.exitCode === null && Number(process.hrtime.bigint() - grewAt) / 1e9 < 2) {
    await new Promise((r) => setTimeout(r, 100));
    const now = existsSync(out) ? statSync(out).size : 0;
    if (now !== size) {
      size = now;
      grewAt = process.hrtime.bigint();
    }
  }
  usage.sample();
  const cpuSeconds = usage.cpuSeconds();
  if (child.exitCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  usage.stop();
  return { seconds: Number(grewAt - started) / 1e9, cpuSeconds, output: '', requests: countGorFileRequests(out) };
}

const scenario = {
  name: 'capture-file',
  title: 'The capture path on a recorded pcap: reprise --input-raw FILE beside tcpdump -r (and GoReplay)',
  async run() {
    await ensureTools(['nginx']);
    const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-capture-file-'));
    try {
      const pcap = join(dir, 'load.pcap');
      const { port, completed, dropLine } = await recordPcap(pcap);
      const out = join(dir, 'out.gor');
      const reprise = async (args) => {
        const result = await timed(...cliCommand(args));
        return { ...result, requests: countGorFileRequests(out) };
      };
      const cases = [
        { label: 'tcpdump -r FILE -w /dev/null (libpcap, the floor)', run: () => timed('tcpdump', ['-r', pcap, '-w', '/dev/null']) },
        { label: 'reprise --input-raw FILE --output-file OUT', run: () => reprise(['--input-raw', pcap, '--output-file', out]) },
        {
          label: 'the same with --input-raw-track-response',
          run: () => reprise(['--input-raw', pcap, '--input-raw-track-response', '--output-file', out]),
        },
      ];
      if (gorBinary) {
        cases.push({
          label: 'GoReplay 1.3 --input-raw FILE:PORT --input-raw-engine pcap_file --output-file OUT --output-file-append',
          run: () => timedGoReplay(pcap, port, out),
        });
      }
      const results = cases.map(() => []);
      const summaries = cases.map(() => '');
      for (let round = 0; round < rounds; round++) {
        for (const [i, c] of cases.entries()) {
          rmSync(out, { force: true });
          const result = await c.run();
          results[i].push(result);
          const summary = result.output.split('\n').find((l) => l.trim().startsWith('input-raw'));
          if (summary) summaries[i] = summary.trim().replace(pcap, 'FILE');
          console.error(
            `capture-file round ${round + 1}/${rounds}: ${c.label}: ${result.seconds.toFixed(2)} s, ${result.cpuSeconds.toFixed(2)} CPU-s`,
          );
        }
      }
      const packets = Number(/packets=(\d+)/.exec(summaries[1])?.[1] ?? NaN);
      const requests = Number(/requests=(\d+)/.exec(summaries[1])?.[1] ?? NaN);
      const rows = cases.map((c, i) => {
        const seconds = median(results[i].map((r) => r.seconds));
        const cpu = median(results[i].map((r) => r.cpuSeconds));
        const written = results[i][0].requests;
        return (
          `| ${c.label} | ${seconds.toFixed(2)} | ${cpu.toFixed(2)} | ${((cpu / requests) * 1e6).toFixed(2)} | ` +
          `${Math.round(requests / seconds).toLocaleString('en-US')} | ${written === undefined ? '–' : written.toLocaleString('en-US')} |`
        );
      });
      return [
        `A pcap written by tcpdump on loopback while the capture scenario's load generator ran ${loadSeconds} s at ${RATE.toLocaleString('en-US')} req/s against nginx`,
        `(${completed.toLocaleString('en-US')} requests completed, ${requests.toLocaleString('en-US')} of them in the pcap by reprise's count; tcpdump: ${dropLine};`,
        `${Number.isNaN(packets) ? '?' : packets.toLocaleString('en-US')} packets, ${(statSync(pcap).size / 2 ** 20).toFixed(0)} MB), read by each command in ${rounds} alternating round(s);`,
        'each row is the median, start-up included. CPU is user + system of the command, its threads and its children; per request, of the requests in the pcap.',
        '',
        '| command | seconds | CPU s | CPU µs per request | requests/s | requests written |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        ...rows,
        '',
        ...summaries.slice(1, 3).map((s, i) => `- ${cases[i + 1].label}: ${s}`),
        ...machineLines(),
      ].join('\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default scenario;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`## ${scenario.title}\n\n${await scenario.run()}`);
}
