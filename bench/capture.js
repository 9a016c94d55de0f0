// Scenario "capture": reprise --input-raw capturing nginx traffic on loopback to a .gor file while a
// fixed-rate open-model load (keep-alive connections) runs at 10,000, 20,000 and 30,000 requests/s,
// with tcpdump capturing the same load in the same run as the libpcap ceiling.
//
//   node bench/capture.js              prints the markdown section
//   node bench/run.js capture          writes it into docs/BENCHMARKS.md
//
// Environment: BENCH_CAPTURE_RATES (default "10000,20000,30000"), BENCH_CAPTURE_SECONDS (default 5),
// BENCH_CAPTURE_ENGINES (default "libpcap,tcpdump": reprise's engines to measure), BENCH_GOR (a GoReplay
// binary, e.g. one built by ../shared/tools/build-goreplay.sh: adds GoReplay's own --input-raw as two rows).
// Needs root (or CAP_NET_RAW) and the built CLI (npm run build).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTools, startNginx } from './lib/nginx.js';
import { runFixedRate } from './lib/load-generator.js';
import { watchProcessTree } from './lib/process-usage.js';
import { machineLines } from './lib/machine.js';
import { cliCommand } from './lib/cli.js';
import { waitForOutput } from './lib/wait-for-output.js';
import { stopAndWait } from './lib/stop-process.js';
import { countGorRequests } from './lib/gor-records.js';

const root = resolve(import.meta.dirname, '..');

const rates = (process.env.BENCH_CAPTURE_RATES ?? '10000,20000,30000').split(',').map(Number);
const seconds = Number(process.env.BENCH_CAPTURE_SECONDS ?? 5);
const engines = (process.env.BENCH_CAPTURE_ENGINES ?? 'libpcap,tcpdump').split(',');
const gorBinary = process.env.BENCH_GOR;
const LABELS = {
  'tcpdump-baseline': 'tcpdump (libpcap ceiling)',
  goreplay: 'GoReplay 1.3, defaults',
  'goreplay-append': 'GoReplay 1.3, --output-file-append',
};

/** Requests in a pcap file, found by reprise's own decoder (so both captures are counted alike). */
async function countPcapRequests(file, port) {
  const { PcapReader, PacketProcessor } = await import('@reprise/plugin-raw');
  const processor = new PacketProcessor({ ports: new Set([port]), trackResponse: false, realipHeader: '', expireMs: 60_000 });
  const reader = new PcapReader((p) => processor.packet(p.linkType, p.data, p.originalLength, p.seconds, p.nanoseconds));
  reader.push(readFileSync(file));
  processor.finish();
  return processor.counters.requests;
}

async function measure(kind, nginx, rate) {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-capture-'));
  try {
    let child;
    if (kind === 'tcpdump-baseline') {
      const file = join(dir, 'capture.pcap');
      child = spawn('tcpdump', ['-i', 'lo', '-n', '-B', '32768', '-s', '262144', '-w', file, `tcp dst port ${nginx.port}`], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      await waitForOutput(child, /listening on/);
    } else if (kind.startsWith('goreplay')) {
      const append = kind === 'goreplay-append' ? ['--output-file-append'] : [];
      child = spawn(gorBinary, ['--input-raw', `:${nginx.port}`, '--output-file', join(dir, 'requests.gor'), ...append], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // GoReplay prints each interface it opens on stdout, loopback among them, then starts capturing.
      await waitForOutput(child, /Interface: lo /, { stream: child.stdout });
      child.stdout.resume();
      await new Promise((r) => setTimeout(r, 500));
    } else {
      const extraArgs = (process.env.BENCH_CAPTURE_ARGS ?? '').split(' ').filter(Boolean);
      child = spawn(
        ...cliCommand([
          '--input-raw',
          `:${nginx.port}`,
          '--input-raw-engine',
          kind,
          ...extraArgs,
          '--output-file',
          join(dir, 'requests.gor'),
        ]),
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          cwd: root,
        },
      );
      await waitForOutput(child, /capturing on/);
    }
    const usage = watchProcessTree(child.pid);
    const startupCpuSeconds = usage.cpuSeconds();
    const load = await runFixedRate({ port: nginx.port, rate, durationS: seconds });
    // Time for the capture's last packets to come through and be written (tcpdump buffers up to ~1 s).
    await new Promise((r) => setTimeout(r, 2000));
    usage.sample();
    const loadCpuSeconds = usage.cpuSeconds() - startupCpuSeconds;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d.toString()));
    await stopAndWait(child);
    const { cpuSeconds, peakRssBytes, rssSamples } = usage.stop();
    // Memory over the load: the tree's RSS 1 s in, at the middle and at the end of the load.
    const loadEndMs = load.durationS * 1000;
    const at = (ms) => rssSamples.find((s) => s.atMs >= ms)?.rssBytes ?? 0;
    const memoryTrend = [at(1000), at(loadEndMs / 2), at(loadEndMs)].map((b) => (b / 2 ** 20).toFixed(0));
    const captured = kind === 'tcpdump-baseline' ? await countPcapRequests(join(dir, 'capture.pcap'), nginx.port) : countGorRequests(dir);
    const kernelDropped = /(\d+) packets? dropped by kernel/.exec(stderr)?.[1];
    // reprise's exit summary line for the input: its own counts of what it saw and lost
    const summary = /input-raw [^\n]*: (in=[^\n]*)/.exec(stderr)?.[1];
    return {
      kind,
      rate,
      ...load,
      captured,
      cpuSeconds,
      startupCpuSeconds,
      loadCpuSeconds,
      peakRssBytes,
      memoryTrend,
      kernelDropped,
      summary,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run() {
  await ensureTools(['nginx']);
  const nginx = await startNginx();
  const rows = [];
  try {
    for (const rate of rates) {
      for (const kind of [...engines, ...(gorBinary ? ['goreplay', 'goreplay-append'] : []), 'tcpdump-baseline']) {
        const label = LABELS[kind] ?? `reprise --input-raw-engine ${kind}`;
        const r = await measure(kind, nginx, rate);
        rows.push({ label, ...r });
        process.stderr.write(`capture ${label} @${rate}/s: sent ${r.sent}, completed ${r.completed}, captured ${r.captured}\n`);
      }
    }
  } finally {
    await nginx.stop();
  }
  const perTenThousand = (cpu, n) => (n ? ((cpu * 10_000) / n).toFixed(3) : '–');
  const pct = (a, b) => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)}%`);
  const lines = [
    `nginx on loopback (one worker, \`return 200 "pong"\`); an open-model load generator (bench/lib/load-generator.js: 32 keep-alive`,
    `connections, one request per segment, sent on schedule) runs ${seconds} s at each rate while the capture writes to a file.`,
    'Captured = requests in the output / requests the server completed. CPU and memory cover the whole capture process',
    'tree (reprise, its capture thread or process, tcpdump). CPU is split: start-up (process start until it reports',
    '"capturing on", before any load), the load (its start until 2 s after its end, when everything is written) per',
    '10,000 captured requests, and the whole run (start to exit, start-up and shutdown included) per 10,000.',
    ...(gorBinary
      ? [
          'GoReplay runs its own `--input-raw` to `--output-file`, with default settings (it then starts a new file every',
          '256 records) and with `--output-file-append` (one file); its start-up ends 0.5 s after it lists the loopback',
          'interface.',
        ]
      : []),
    '',
    '| capture | rate (req/s) | sent | completed | captured | captured / completed | start-up CPU s | load CPU s per 10k | whole-run CPU s per 10k | peak memory | memory 1 s / middle / end (MB) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.rate.toLocaleString('en-US')} | ${r.sent} | ${r.completed} | ${r.captured} | ${pct(r.captured, r.completed)} | ` +
        `${r.startupCpuSeconds.toFixed(2)} | ${perTenThousand(r.loadCpuSeconds, r.captured)} | ${perTenThousand(r.cpuSeconds, r.captured)} | ` +
        `${(r.peakRssBytes / 2 ** 20).toFixed(0)} MB | ${r.memoryTrend.join(' / ')} |`,
    ),
    '',
    ...rows
      .filter((r) => r.summary !== undefined || r.kernelDropped !== undefined)
      .map((r) => `- ${r.label} @ ${r.rate}/s: ${r.summary ?? `kernel dropped ${r.kernelDropped} packets`}`),
    ...machineLines(),
  ];
  return lines.join('\n');
}

const scenario = {
  name: 'capture',
  title: 'Live capture (--input-raw) to a file under fixed-rate load, beside tcpdump',
  run,
};
export default scenario;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`## ${scenario.title}\n\n${await scenario.run()}`);
}
