// What a run loads at start-up. The comparison stage (@reprise/compare: histograms, protobuf) is for
// `reprise compare` and `report`, and ajv is for validating options: a replay that loaded the first, or a
// capture process that loaded the second, paid for it in start-up time (about 60 and 30 ms of CPU here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goreplayFixtures, repoRoot, runCli, tempDir } from './support/cli.js';

const trace = join(repoRoot, 'test/support/module-trace.mjs');

/** Runs the CLI with the module trace; returns each process's loaded modules (paths from the repository's root). */
async function modulesLoaded(dir: string, args: string[]): Promise<string[][]> {
  const run = await runCli(args, {
    env: { NODE_OPTIONS: `--import=${trace}`, REPRISE_TEST_MODULE_TRACE: dir },
    timeoutMs: 30_000,
  });
  assert.equal(run.code, 0, run.stderr);
  const root = `file://${repoRoot}`;
  return readdirSync(dir).map((name) =>
    readFileSync(join(dir, name), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((url) => (url.startsWith(root) ? url.slice(root.length) : url)),
  );
}

const loads = (modules: string[], pattern: RegExp) => modules.some((m) => pattern.test(m));
const COMPARE_STAGE = /packages\/compare\/dist\/index\.js|node_modules\/(hdr-histogram-js|@bufbuild\/protobuf)\//;

test('a replay loads core but not the comparison stage; --fail-on loads only its parser', { timeout: 60_000 }, async (t) => {
  const recording = join(goreplayFixtures, 'goreplay-requests.gor');
  const [plain] = await modulesLoaded(tempDir(t), ['--input-file', recording, '--input-file-no-wait', '--output-null']);
  assert.ok(loads(plain!, /packages\/core\/dist\/index\.js$/), 'the trace sees the modules a run loads');
  assert.ok(!loads(plain!, COMPARE_STAGE), plain!.filter((m) => COMPARE_STAGE.test(m)).join('\n'));

  const gated = ['--input-file', recording, '--input-file-no-wait', '--output-null', '--fail-on', 'error_rate>50%'];
  const [withGate] = await modulesLoaded(tempDir(t), gated);
  assert.ok(loads(withGate!, /packages\/compare\/dist\/fail-on\.js$/));
  assert.ok(!loads(withGate!, COMPARE_STAGE), withGate!.filter((m) => COMPARE_STAGE.test(m)).join('\n'));
});

test('the libpcap capture process does not load ajv; the CLI process that validates options does', { timeout: 60_000 }, async (t) => {
  const processes = await modulesLoaded(tempDir(t), [
    '--input-raw',
    '127.0.0.1:18093',
    '--input-raw-engine',
    'libpcap',
    '--output-null',
    '--exit-after',
    '1s',
  ]);
  const capture = processes.find((modules) => loads(modules, /plugin-raw\/dist\/capture-process\.js$/));
  const cli = processes.find((modules) => loads(modules, /packages\/cli\/dist\/main\.js$/));
  assert.ok(capture && cli, `one trace per process, the capture's and the CLI's (got ${processes.length})`);
  assert.ok(loads(capture, /packages\/core\/dist\/index\.js$/), 'the capture process imports core');
  const ajv = /node_modules\/(ajv|semver)\//;
  assert.ok(!loads(capture, ajv), capture.filter((m) => ajv.test(m)).join('\n'));
  assert.ok(loads(cli, /node_modules\/ajv\//));
});
