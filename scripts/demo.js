#!/usr/bin/env node
// The main job on loopback, with nothing external: a "production" and a "staging" HTTP server,
// live capture of production's traffic into a .gor file, then a replay of that file to staging.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'packages/cli/bin/run.js');
const work = mkdtempSync(join(tmpdir(), 'reprise-demo-'));
const recorded = join(work, 'requests.gor');
const replayed = join(work, 'replayed.gor');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function server(name, seen) {
  const s = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}${body ? ` (${body.length}-byte body)` : ''}`);
      res.setHeader('x-served-by', name);
      res.end(JSON.stringify({ servedBy: name, path: req.url }));
    });
  });
  return new Promise((ok) => s.listen(0, '127.0.0.1', () => ok(s)));
}

function reprise(args, label) {
  console.log(`\n$ reprise ${args.join(' ')}`);
  const child = spawn(cli, args, { stdio: ['ignore', 'inherit', 'pipe'] }); // its shebang line gives Node's flags
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    process.stderr.write(`  [${label}] ${d}`.replace(/\n(?=.)/g, `\n  [${label}] `));
  });
  const done = new Promise((ok) => child.on('close', (code) => ok({ code, stderr })));
  /** Resolves when stderr shows the pattern (or after timeoutMs: a slow machine must not break the demo). */
  const saw = (pattern, timeoutMs) =>
    new Promise((ok) => {
      const started = Date.now();
      const check = () => (pattern.test(stderr) || Date.now() - started > timeoutMs ? ok() : setTimeout(check, 50));
      check();
    });
  return { child, done, saw };
}

const productionSeen = [];
const stagingSeen = [];
const production = await server('production', productionSeen);
const staging = await server('staging', stagingSeen);
const prodPort = production.address().port;
const stagingUrl = `http://127.0.0.1:${staging.address().port}`;
console.log(`production on 127.0.0.1:${prodPort}, staging on ${stagingUrl}, files in ${work}`);

// 1. Capture: reprise listens on loopback for traffic to production's port.
const capture = reprise(
  ['--input-raw', `:${prodPort}`, '--input-raw-track-response', '--output-file', recorded, '--stats', '--stats-interval', '1s'],
  'capture',
);
// Capture starts once the capture engine reports it is listening (seconds on a busy machine).
await capture.saw(/capturing on/, 30_000);
await sleep(300);
console.log('\nsending 20 requests to production (10 GET, 10 POST with a JSON body)');
for (let i = 0; i < 10; i++) {
  await fetch(`http://127.0.0.1:${prodPort}/api/items/${i}?page=${i}`, { headers: { 'x-demo': String(i) } });
  await fetch(`http://127.0.0.1:${prodPort}/api/items`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ item: i }),
  });
}
await sleep(1000);
capture.child.kill('SIGINT');
const captured = await capture.done;
if (captured.code !== 0) {
  console.error(`\ncapture failed (exit ${captured.code}). Live capture needs root or: setcap cap_net_raw,cap_net_admin=eip $(which node)`);
  process.exit(1);
}
const records = readFileSync(recorded, 'latin1')
  .split('\n\u00f0\u009f\u0090\u00b5\u00f0\u009f\u0099\u0088\u00f0\u009f\u0099\u0089\n')
  .filter(Boolean);
const requests = records.filter((r) => r.startsWith('1 ')).length;
const responses = records.filter((r) => r.startsWith('2 ')).length;
console.log(`\nrecorded ${requests} requests and ${responses} responses in ${recorded}`);

// 2. Replay the recording to staging, twice as fast, recording staging's responses as type 3.
const replay = reprise(
  ['--input-file', `${recorded}|200%`, '--output-http', stagingUrl, '--output-http-track-response', '--output-file', replayed],
  'replay',
);
const replayResult = await replay.done;
console.log(`\nstaging received ${stagingSeen.length} requests:`);
for (const line of stagingSeen.slice(0, 4)) console.log(`  ${line}`);
if (stagingSeen.length > 4) console.log(`  … and ${stagingSeen.length - 4} more`);
const replayedResponses = readFileSync(replayed, 'latin1')
  .split('\n')
  .filter((l) => /^3 [0-9a-f]{24} /.test(l)).length;
console.log(`replayed responses recorded as type 3 in ${replayed}: ${replayedResponses}`);

production.close();
staging.close();
const ok = replayResult.code === 0 && productionSeen.length === 20 && requests === 20 && stagingSeen.length === 20;
console.log(ok ? '\ndemo OK: every captured request reached staging' : '\ndemo FAILED: counts differ (see above)');
process.exit(ok ? 0 : 1);
