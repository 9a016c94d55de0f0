// Scenario "capture-h2": reprise --input-raw capturing HTTP/2 on loopback to a .gor file under a
// fixed-rate load: h2c with the default engine, and HTTPS (TLS 1.3, ALPN h2) through
// --input-raw-engine tshark with the server's key log (its decrypt rate).
//
//   node bench/capture-h2.js              prints the markdown section
//   node bench/run.js capture-h2          writes it into docs/BENCHMARKS.md
//
// Environment: BENCH_H2C_RATES (default "10000"), BENCH_TLS_RATES (default "1000,10000"),
// BENCH_CAPTURE_SECONDS (default 5). Needs root, tcpdump, tshark, openssl and the built CLI.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliCommand } from './lib/cli.js';
import { runH2FixedRate, startH2Server } from './lib/h2-load.js';
import { machineLines } from './lib/machine.js';
import { watchProcessTree } from './lib/process-usage.js';
import { waitForOutput } from './lib/wait-for-output.js';
import { stopAndWait } from './lib/stop-process.js';

const root = resolve(import.meta.dirname, '..');
const GOR_SEPARATOR = Buffer.from('\n🐵🙈🙉\n');
const seconds = Number(process.env.BENCH_CAPTURE_SECONDS ?? 5);
const h2cRates = (process.env.BENCH_H2C_RATES ?? '10000').split(',').map(Number);
const tlsRates = (process.env.BENCH_TLS_RATES ?? '1000,10000').split(',').map(Number);

function countRequests(file) {
  const bytes = readFileSync(file);
  let n = 0;
  for (let at = 0; at < bytes.length; ) {
    if (bytes[at] === 0x31 && bytes[at + 1] === 0x20) n++;
    const next = bytes.indexOf(GOR_SEPARATOR, at);
    if (next < 0) break;
    at = next + GOR_SEPARATOR.length;
  }
  return n;
}

async function measure({ tls, rate, dir }) {
  const keylog = join(dir, 'keys.log');
  writeFileSync(keylog, '', { mode: 0o600 });
  const server = await startH2Server(tls ? { tls: true, keylog, key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem') } : {});
  const out = join(dir, `${tls ? 'tls' : 'h2c'}-${rate}.gor`);
  const engineArgs = tls ? ['--input-raw-engine', 'tshark', '--input-raw-tls-keylog', keylog] : [];
  const child = spawn(...cliCommand(['--input-raw', `:${server.port}`, ...engineArgs, '--output-file', out]), {
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: root,
  });
  try {
    await waitForOutput(child, /capturing on/, { timeoutMs: 20_000 });
    const usage = watchProcessTree(child.pid);
    const startupCpuSeconds = usage.cpuSeconds();
    const load = await runH2FixedRate({ port: server.port, tls, rate, durationS: seconds, drainMs: 15_000 });
    // tshark prints a packet once tcpdump hands it over (up to ~1 s) and it has decrypted it.
    await new Promise((r) => setTimeout(r, 3000));
    usage.sample();
    const loadCpuSeconds = usage.cpuSeconds() - startupCpuSeconds;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d.toString()));
    await stopAndWait(child);
    const { peakRssBytes } = usage.stop();
    const summary = /input-raw [^\n]*: (in=[^\n]*)/.exec(stderr)?.[1] ?? '';
    return { tls, rate, ...load, captured: countRequests(out), loadCpuSeconds, peakRssBytes, summary };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await server.stop();
  }
}

async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-h2-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const rows = [];
  try {
    for (const rate of h2cRates) rows.push(await measure({ tls: false, rate, dir }));
    for (const rate of tlsRates) rows.push(await measure({ tls: true, rate, dir }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const r of rows)
    process.stderr.write(
      `capture-h2 ${r.tls ? 'tls' : 'h2c'} @${r.rate}/s: sent ${r.sent}, completed ${r.completed}, captured ${r.captured}\n`,
    );
  const pct = (a, b) => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)}%`);
  const label = (r) => (r.tls ? 'HTTPS h2 (TLS 1.3), `--input-raw-engine tshark --input-raw-tls-keylog`' : 'h2c, default engine (tcpdump)');
  return [
    `A Node http2 server in its own process answers "pong"; a fixed-rate (open model) load over 8 HTTP/2 sessions`,
    `(bench/lib/h2-load.js) runs ${seconds} s at each rate while reprise captures to a file. Captured = request records`,
    'in the output / requests completed (answered within 15 s); captured req/s = captured requests per second of load (the',
    'decrypt rate for HTTPS; on 2 shared cores the load generator, the server and the capture compete, so a rate that is',
    "not reached is the machine's limit, not only the capture's).",
    'CPU covers the capture process tree (reprise, its capture thread, tcpdump, tshark) from the start of the load to 3 s after it.',
    '',
    '| capture | rate (req/s) | sent | completed | captured | captured / completed | captured req/s | load CPU s per 10k | peak memory |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${label(r)} | ${r.rate.toLocaleString('en-US')} | ${r.sent} | ${r.completed} | ${r.captured} | ${pct(r.captured, r.completed)} | ` +
        `${Math.round(r.captured / r.durationS)} | ${r.captured ? ((r.loadCpuSeconds * 10_000) / r.captured).toFixed(2) : '–'} | ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MB |`,
    ),
    '',
    ...rows.map((r) => `- ${r.tls ? 'tls' : 'h2c'} @ ${r.rate}/s: ${r.summary}`),
    ...machineLines(),
  ].join('\n');
}

const scenario = { name: 'capture-h2', title: 'HTTP/2 capture: h2c, and HTTPS decrypted by the tshark engine', run };
export default scenario;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`## ${scenario.title}\n\n${await scenario.run()}`);
}
