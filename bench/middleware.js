// Scenario "middleware": replays 1,000,000 recorded requests from a file to --output-null as fast as
// possible (--input-file-no-wait), without middleware, with a sandboxed script that sets one header, and
// through GoReplay's external middleware protocol with a Node echo program. The bar (issue 4): the
// header-setting script at >= 300,000 messages/s end to end (file -> script -> null).
//
//   node bench/middleware.js            prints the markdown section
//   node bench/run.js middleware        writes it into docs/BENCHMARKS.md
//
// The cases run in alternating rounds (the machine may be shared: a round's cases see the same load);
// each row is the median over the rounds, wall clock and per CPU-second (user + system, all threads).
// The goal of issue 14: the script row >= 0.6x the no-middleware row.
//
// Environment: BENCH_MIDDLEWARE_MESSAGES (default 1000000), BENCH_MIDDLEWARE_ROUNDS (default 3),
// BENCH_MIDDLEWARE_CASES (e.g. none,script,store,external: all by default),
// BENCH_MIDDLEWARE_MODE = cli | direct (default: cli when the built CLI can read .gor files, else direct).
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGetRecording } from './replay-http.js';
import { machineLines } from './lib/machine.js';
import { median } from './lib/median.js';
import { cliBin, runCliTimed } from './lib/cli.js';

const root = resolve(import.meta.dirname, '..');
const echoProgram = join(root, 'packages/plugin-middleware/test/fixtures/echo-middleware.js');
const HEADER_SCRIPT = `export function request(req) {\n  req.headers.set('X-Env', 'staging');\n  return req;\n}\n`;
// The same, also reading and writing the script's store once per message (in the isolate; each batch's changes go back to the host's copy).
const STORE_SCRIPT = `export function request(req) {\n  store.set('n', (store.get('n') ?? 0) + 1);\n  req.headers.set('X-Env', 'staging');\n  return req;\n}\n`;

/** Runs the CLI; resolves to seconds from spawn to exit and the summary it printed. */
async function runCli(extraArgs, file) {
  const { seconds, output, command, cpuSeconds } = await runCliTimed(
    ['--input-file', file, '--input-file-no-wait', ...extraArgs, '--output-null'],
    { reportCpu: true },
  );
  const outLine = output.split('\n').find((l) => l.trim().startsWith('output-null'));
  const delivered = outLine ? Number((/out=([\d,]+)/.exec(outLine)?.[1] ?? 'NaN').replace(/,/g, '')) : NaN;
  return { seconds, cpuSeconds, delivered, command: command.replace(file, 'FILE') };
}

async function isCliReady(dir) {
  if (!existsSync(cliBin)) return false;
  const probe = join(dir, 'probe.gor');
  await writeGetRecording(probe, 10);
  try {
    const r = await runCli([], probe);
    return r.delivered === 10;
  } catch (error) {
    console.error(
      `middleware bench: the CLI cannot replay a file yet, driving the components directly: ${String(error.message).split('\n').slice(0, 3).join(' ')}`,
    );
    return false;
  }
}

/** In-process fallback: decode the file with the core codec, run the middleware, count what comes out. */
async function runDirect(kind, file, scriptFile) {
  const { GorDecoder } = await import('@reprise/core');
  const [, middlewareScript, middleware] = (await import('@reprise/plugin-middleware')).default;
  let delivered = 0;
  const counters = {};
  const ctx = {
    component: kind,
    instance: kind,
    logger: { debug() {}, info() {}, warn: (l) => console.error(l), error: (l) => console.error(l), print() {} },
    stats: {
      add(name, n = 1) {
        counters[name] = (counters[name] ?? 0) + n;
      },
    },
    signal: new AbortController().signal,
    emit(batch) {
      delivered += batch.length;
    },
  };
  const defaults = (def) => Object.fromEntries(Object.entries(def.options.properties).map(([k, v]) => [k, v.default]));
  const instance =
    kind === 'script' || kind === 'store'
      ? await middlewareScript.create(scriptFile, defaults(middlewareScript), ctx)
      : kind === 'external'
        ? await middleware.create(`node ${echoProgram}`, defaults(middleware), ctx)
        : { process: (b) => b };
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const decoder = new GorDecoder();
  let batch = [];
  const pass = async () => {
    // Read the count after the await: emits from an asynchronous middleware land meanwhile.
    const out = await instance.process(batch);
    delivered += out.length;
    batch = [];
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    for (const rec of decoder.push(chunk)) {
      if (rec.type !== 'record') continue;
      batch.push(rec.message);
      if (batch.length === 256) await pass();
    }
  }
  if (batch.length) await pass();
  await instance.flush?.();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpuBefore);
  await instance.close?.();
  return {
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    delivered,
    counters,
    command: `in-process (bench/middleware.js runDirect, ${kind})`,
  };
}

const scenario = {
  name: 'middleware',
  title: 'Middleware: file → (none | script | external echo) → null',
  async run() {
    const count = Number(process.env.BENCH_MIDDLEWARE_MESSAGES ?? 1_000_000);
    const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-middleware-'));
    try {
      const file = join(dir, 'requests.gor');
      await writeGetRecording(file, count);
      const scriptFile = join(dir, 'set-header.js');
      writeFileSync(scriptFile, HEADER_SCRIPT);
      const storeScriptFile = join(dir, 'store.js');
      writeFileSync(storeScriptFile, STORE_SCRIPT);
      const mode = process.env.BENCH_MIDDLEWARE_MODE ?? ((await isCliReady(dir)) ? 'cli' : 'direct');
      const cases = [
        ['no middleware', 'none', []],
        ['script setting one header (`--middleware-script`)', 'script', ['--middleware-script', scriptFile]],
        ['the same script plus `store.get` and `store.set` per message', 'store', ['--middleware-script', storeScriptFile]],
        ['external echo in Node (`--middleware`)', 'external', ['--middleware', `node ${echoProgram}`]],
      ];
      const only = process.env.BENCH_MIDDLEWARE_CASES?.split(',');
      const chosen = cases.filter(([, kind]) => !only || only.includes(kind));
      const rounds = Math.max(1, Number(process.env.BENCH_MIDDLEWARE_ROUNDS ?? 3));
      const runs = new Map(chosen.map(([, kind]) => [kind, []]));
      for (let round = 0; round < rounds; round++) {
        for (const [, kind, args] of chosen) {
          const r =
            mode === 'cli' ? await runCli(args, file) : await runDirect(kind, file, kind === 'store' ? storeScriptFile : scriptFile);
          runs.get(kind).push(r);
        }
      }
      const perCpu = (r) => (r.cpuSeconds ? count / r.cpuSeconds : NaN);
      const rate = (value) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');
      const rows = [];
      const commands = [];
      for (const [label, kind] of chosen) {
        const rs = runs.get(kind);
        const r = rs[rs.length - 1];
        rows.push(
          `| ${label} | ${rate(median(rs.map((x) => count / x.seconds)))} | ${rate(median(rs.map(perCpu)))} | ${median(rs.map((x) => x.seconds)).toFixed(2)} | ${r.delivered.toLocaleString('en-US')} |`,
        );
        const counters = r.counters && Object.keys(r.counters).length ? ` (counters ${JSON.stringify(r.counters)})` : '';
        commands.push(
          `- ${label}: \`${r.command.replace(scriptFile, 'set-header.js').replace(storeScriptFile, 'store.js').replace(echoProgram, 'echo-middleware.js')}\`${counters}`,
        );
      }
      const ratios = [];
      if (runs.has('none') && runs.has('script')) {
        const none = runs.get('none');
        const script = runs.get('script');
        const wall = none.map((n, i) => n.seconds / script[i].seconds);
        const cpu = none.map((n, i) => (n.cpuSeconds && script[i].cpuSeconds ? n.cpuSeconds / script[i].cpuSeconds : NaN));
        ratios.push(
          '',
          `Script / no middleware, per round: wall clock ${wall.map((x) => x.toFixed(2)).join(', ')} (median ${median(wall).toFixed(2)}); ` +
            `per CPU-second ${cpu.map((x) => x.toFixed(2)).join(', ')} (median ${median(cpu).toFixed(2)}). Goal (issue 14): ≥ 0.6.`,
        );
      }
      return [
        `Recording: ${count.toLocaleString('en-US')} GET records (${(statSync(file).size / 1e6).toFixed(1)} MB .gor); mode: ${mode === 'cli' ? 'the built CLI, process start to exit' : 'components driven in-process, first batch to flush'}.`,
        `The script: \`${HEADER_SCRIPT.replace(/\n\s*/g, ' ').trim()}\`; with store: \`${STORE_SCRIPT.replace(/\n\s*/g, ' ').trim()}\`. Bar: the script row ≥ 300,000 messages/s.`,
        '',
        `${rounds} alternating round(s); each row is the median.`,
        '',
        '| pipeline | messages/s | messages per CPU-second | seconds | delivered |',
        '| --- | ---: | ---: | ---: | ---: |',
        ...rows,
        ...ratios,
        '',
        ...commands,
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
