// Scenario "replay-http": replays 1,000,000 recorded GETs to nginx on loopback with DEFAULT settings and
// compares the rate with wrk's against the same nginx, in the same run. The replay is timed from process
// start to exit (start-up included) and lasts about as long as wrk's 5 s run: with 200,000 requests the
// ~0.3 s start-up was a fifth of a 1.5 s replay, a fixed cost no load test of that size pays in proportion.
//
//   node bench/replay-http.js            prints the markdown section
//   node bench/run.js replay-http        writes it into docs/BENCHMARKS.md
//
// Environment: BENCH_REQUESTS (default 1000000), BENCH_WRK_SECONDS (default 5),
// BENCH_REPLAY_MODE = cli | direct (default: cli when the built CLI can read .gor files, else direct).
import { existsSync, mkdtempSync, rmSync, createWriteStream, createReadStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTools, startNginx, runWrk } from './lib/nginx.js';
import { machineLines } from './lib/machine.js';
import { cliBin, runCliTimed } from './lib/cli.js';
import { browserGet } from './lib/browser-request.js';
import { watchProcessTree } from './lib/process-usage.js';

const _root = resolve(import.meta.dirname, '..');

/** Writes `count` GET records (varied paths, realistic browser headers) as a .gor file. */
export async function writeGetRecording(file, count) {
  const { encodeRecords } = await import('@reprise/core');
  const out = createWriteStream(file);
  const baseNs = BigInt(Date.now()) * 1_000_000n;
  const batch = [];
  for (let i = 0; i < count; i++) {
    const payload = browserGet(i);
    batch.push({ kind: 'request', id: i.toString(16).padStart(24, '0'), timestamp: baseNs + BigInt(i) * 10_000n, latency: 0n, payload });
    if (batch.length === 1024 || i === count - 1) {
      if (!out.write(encodeRecords(batch))) await once(out, 'drain');
      batch.length = 0;
    }
  }
  out.end();
  await once(out, 'finish');
}

/** Whether the built CLI can replay a .gor file (plugin-file or the pipeline may not be ready yet): a 10-record probe. */
async function isCliReady(dir, url) {
  if (!existsSync(cliBin)) return false;
  const probe = join(dir, 'probe.gor');
  await writeGetRecording(probe, 10);
  try {
    await replayWithCli(probe, url);
    return true;
  } catch (error) {
    console.error(
      `replay-http: the CLI cannot replay yet, driving output-http directly: ${String(error.message).split('\n').slice(0, 3).join(' ')}`,
    );
    return false;
  }
}

/**
 * Runs the CLI on the file; resolves to seconds from spawn to exit and the CPU seconds the process
 * used (sampled every 20 ms from /proc: the cores are shared, so requests per CPU second is the
 * figure that holds under load).
 */
async function replayWithCli(file, url, commandOptions) {
  let usage;
  const run = await runCliTimed(['--input-file', file, '--input-file-no-wait', '--output-http', url], {
    timeoutMs: 300_000,
    onSpawn: (child) => (usage = watchProcessTree(child.pid, 20)),
    ...commandOptions,
  });
  return { ...run, cpuSeconds: usage.stop().cpuSeconds, command: run.command.replace(file, 'FILE').replace(url, 'URL') };
}

/**
 * Drives the output-http component in this process with its default options: the file is read and
 * decoded with the core codec and written in batches of 256, as the pipeline does.
 */
export async function replayDirect(file, url, options = {}) {
  const { GorDecoder } = await import('@reprise/core');
  const { outputHttp } = await import('@reprise/plugin-http');
  const counters = {};
  const ctx = {
    component: 'output-http',
    instance: `output-http ${url}`,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    stats: {
      add(name, n = 1) {
        counters[name] = (counters[name] ?? 0) + n;
      },
    },
    signal: new AbortController().signal,
    emit() {},
  };
  const defaults = Object.fromEntries(Object.entries(outputHttp.options.properties).map(([k, v]) => [k, v.default]));
  const output = await outputHttp.create(url, { ...defaults, ...options }, ctx);
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  const decoder = new GorDecoder();
  let batch = [];
  let sent = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    for (const rec of decoder.push(chunk)) {
      if (rec.type !== 'record') continue;
      batch.push(rec.message);
      if (batch.length === 256) {
        sent += batch.length;
        await output.write(batch);
        batch = [];
      }
    }
  }
  if (batch.length) {
    sent += batch.length;
    await output.write(batch);
  }
  await output.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  await output.close();
  return {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    sent,
    counters,
    command: 'output-http driven in-process (bench/replay-http.js replayDirect), default options',
  };
}

/** The CLI's own exit summary line for output-http (its rate excludes process start-up). */
function summaryLines(output) {
  const line = output?.split('\n').find((l) => /^\s*output-http /.test(l));
  return line ? [`- reprise's exit summary: \`${line.trim().replace(/http:\/\/127\.0\.0\.1:\d+/, 'URL')}\``] : [];
}

async function nginxRequestsServed(url) {
  const res = await fetch(`${url}/nginx_status`);
  const m = /\n\s*\d+\s+\d+\s+(\d+)/.exec(await res.text());
  return m ? Number(m[1]) : NaN;
}

const scenario = {
  name: 'replay-http',
  title: 'Replay recorded GETs to nginx (output-http, default settings)',
  async run() {
    const count = Number(process.env.BENCH_REQUESTS ?? 1_000_000);
    const wrkSeconds = Number(process.env.BENCH_WRK_SECONDS ?? 5);
    await ensureTools(['nginx', 'wrk']);
    const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-replay-'));
    const nginx = await startNginx({ status: true });
    try {
      const file = join(dir, 'requests.gor');
      await writeGetRecording(file, count);
      const wrkBefore = await runWrk(nginx.url, { threads: 1, connections: 32, durationS: wrkSeconds });
      const mode = process.env.BENCH_REPLAY_MODE ?? ((await isCliReady(dir, nginx.url)) ? 'cli' : 'direct');
      const before = await nginxRequestsServed(nginx.url);
      const replay = mode === 'cli' ? await replayWithCli(file, nginx.url) : await replayDirect(file, nginx.url);
      // the status request itself is counted too
      const served = (await nginxRequestsServed(nginx.url)) - before - 1;
      // The cost of the command's young-generation cap (bin/run.js), in the same run.
      const uncapped = mode === 'cli' ? await replayWithCli(file, nginx.url, { withoutNodeFlag: '--max-semi-space-size' }) : undefined;
      // wrk again after the replay: the cores are shared, so the ceiling is the mean of both sides of it
      const wrkAfter = await runWrk(nginx.url, { threads: 1, connections: 32, durationS: wrkSeconds });
      const wrkRate = (wrkBefore.requestsPerSecond + wrkAfter.requestsPerSecond) / 2;
      const rate = count / replay.seconds;
      const ratio = rate / wrkRate;
      return [
        `Recording: ${count.toLocaleString('en-US')} GET records (${(statSync(file).size / 1e6).toFixed(1)} MB .gor), target nginx \`return 200 "pong"\`, one worker, loopback.`,
        '',
        '| measure | requests/s |',
        '| --- | ---: |',
        `| wrk -t1 -c32 -d${wrkSeconds}s, before / after the replay | ${Math.round(wrkBefore.requestsPerSecond).toLocaleString('en-US')} / ${Math.round(wrkAfter.requestsPerSecond).toLocaleString('en-US')} |`,
        `| reprise (${mode}) | ${Math.round(rate).toLocaleString('en-US')} |`,
        `| reprise (${mode}) per CPU second of its process | ${Math.round(count / replay.cpuSeconds).toLocaleString('en-US')} |`,
        ...(uncapped
          ? [
              `| reprise (${mode}) with V8's default young generation (\`--max-semi-space-size=4\` removed) | ${Math.round(count / uncapped.seconds).toLocaleString('en-US')} |`,
            ]
          : []),
        `| **ratio reprise / wrk (mean of before and after)** | **${ratio.toFixed(2)}** |`,
        '',
        `- reprise: ${replay.seconds.toFixed(2)} s and ${replay.cpuSeconds.toFixed(2)} CPU s for ${count.toLocaleString('en-US')} requests (${mode === 'cli' ? 'process start to exit' : 'first write to flush'}); nginx served ${served.toLocaleString('en-US')} of them.`,
        `- command: \`${replay.command}\``,
        ...summaryLines(replay.output),
        ...(replay.counters && Object.keys(replay.counters).length ? [`- counters: ${JSON.stringify(replay.counters)}`] : []),
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
