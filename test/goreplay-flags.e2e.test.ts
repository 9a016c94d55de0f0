// Every flag of GoReplay 1.3.2's `gor -h` is known to reprise: a flag of the built CLI (in --help) or
// refused with a reason; and docs/GOREPLAY.md says the same thing as the code, row by row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFUSED_GOREPLAY_FLAGS, REFUSED_GOREPLAY_VALUES } from '@reprise/engine';
import { recordingServer, repoRoot, runCli, tempDir } from './support/cli.js';

const T = { timeout: 60_000 };

const gorFlags = readFileSync(join(repoRoot, 'test/fixtures/gor-1.3.2-flags.txt'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

/** docs/GOREPLAY.md's table: flag → status (`supported`, `supported (plugin-x)`, `refused`). */
function documentedRows(): Map<string, string> {
  const text = readFileSync(join(repoRoot, 'docs/GOREPLAY.md'), 'utf8');
  return new Map([...text.matchAll(/^\| `--([a-z0-9-]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]));
}

async function helpFlags(): Promise<Set<string>> {
  const result = await runCli(['--help'], { timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  return new Set([...result.stdout.matchAll(/^ {2}--([a-z0-9-]+)(?= |$)/gm)].map((m) => m[1]!));
}

test('docs/GOREPLAY.md has exactly one row per gor 1.3.2 flag', () => {
  const rows = documentedRows();
  assert.equal(gorFlags.length, 92);
  assert.deepEqual([...rows.keys()].sort(), [...gorFlags].sort());
  for (const [flag, status] of rows) assert.match(status, /^(supported( \([^)]+\))?|refused)$/, `--${flag}: ${status}`);
});

test('README.md names every gor 1.3.2 flag', () => {
  // The audit found --output-http-queue-len and --output-file-buffer in no README table.
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const named = new Set([...readme.matchAll(/--([a-z0-9]+(?:-[a-z0-9]+)*)/g)].map((m) => m[1]!));
  assert.deepEqual(
    gorFlags.filter((flag) => !named.has(flag)),
    [],
  );
});

test('every gor flag is a reprise flag or refused, as the doc says', T, async () => {
  const help = await helpFlags();
  const rows = documentedRows();
  for (const flag of gorFlags) {
    const status = rows.get(flag)!;
    const isRefused = flag in REFUSED_GOREPLAY_FLAGS;
    assert.equal(
      isRefused,
      status === 'refused',
      `--${flag}: doc says ${status}, the code ${isRefused ? 'refuses it' : 'does not refuse it'}`,
    );
    if (isRefused) {
      assert.ok(!help.has(flag), `--${flag} is refused but also a flag`);
    } else {
      assert.ok(help.has(flag), `--${flag} is documented as ${status} but reprise --help does not list it`);
    }
  }
});

test("the flags the doc lists as reprise's own are in --help", T, async () => {
  const help = await helpFlags();
  const text = readFileSync(join(repoRoot, 'docs/GOREPLAY.md'), 'utf8');
  const own = text.slice(text.indexOf('## Added by reprise'));
  for (const [, flag] of own.matchAll(/`--([a-z0-9-]+)`/g)) assert.ok(help.has(flag!), `--${flag}`);
});

test('a refused flag stops the CLI with exit code 2, the reason and what to use instead', T, async () => {
  for (const [flag, refusal] of Object.entries(REFUSED_GOREPLAY_FLAGS)) {
    const result = await runCli(['--input-dummy', '1', '--output-null', `--${flag}`, '4'], { timeoutMs: 30_000 });
    assert.equal(result.code, 2, `--${flag}: ${result.stderr}`);
    assert.ok(result.stderr.includes(refusal.reason) && result.stderr.includes(refusal.instead), result.stderr);
    assert.doesNotMatch(result.stderr, /unknown flag/);
  }
  const [flag, values] = Object.entries(REFUSED_GOREPLAY_VALUES)[0]!;
  for (const [value, refusal] of Object.entries(values)) {
    const result = await runCli([`--${flag}`, value, '--input-raw', ':8080', '--output-null'], { timeoutMs: 30_000 });
    assert.equal(result.code, 2, result.stderr);
    assert.ok(result.stderr.includes(`--${flag} ${value}`) && result.stderr.includes(refusal.instead), result.stderr);
  }
});

test("--output-file-queue-limit 0 (GoReplay's no rotation by count) runs and writes exactly the path given", T, async (t) => {
  // Refused whatever its value until GoReplay's 0 was found to mean what reprise does by default.
  const dir = tempDir(t);
  const out = join(dir, 'requests.gor');
  const result = await runCli(['--input-dummy', '3', '--output-file', out, '--output-file-queue-limit', '0']);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(existsSync(out) && !existsSync(join(dir, 'requests_0.gor')));
  const other = await runCli(['--input-dummy', '3', '--output-file', out, '--output-file-queue-limit', '256']);
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /--output-file-queue-limit is a GoReplay flag reprise does not take: .*every N records/);
});

test('--cpuprofile and --memprofile write V8 profiles of the run', T, async (t) => {
  const dir = tempDir(t);
  const cpu = join(dir, 'run.cpuprofile');
  const heap = join(dir, 'run.heapsnapshot');
  const result = await runCli(
    ['--input-dummy', '200', '--input-dummy-interval', '0', '--output-null', '--cpuprofile', cpu, '--memprofile', heap],
    { timeoutMs: 60_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.ok(existsSync(cpu) && existsSync(heap));
  const profile = JSON.parse(readFileSync(cpu, 'utf8'));
  assert.ok(Array.isArray(profile.nodes) && profile.nodes.length > 0 && profile.endTime > profile.startTime);
  const snapshot = JSON.parse(readFileSync(heap, 'utf8'));
  assert.ok(snapshot.snapshot.node_count > 0);
});

test("GoReplay's --verbose level works on the command line", T, async () => {
  const result = await runCli(['--verbose', '1', '--input-dummy', '1', '--output-null'], { timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
});

test("--output-http-stats prints GoReplay's queue columns and the latency every --output-http-stats-ms", T, async (t) => {
  const target = await recordingServer(t);
  const result = await runCli(
    [
      '--input-dummy',
      '40',
      '--input-dummy-interval',
      '10ms',
      '--output-http',
      target.url,
      '--output-http-stats',
      '--output-http-stats-ms',
      '100',
    ],
    { timeoutMs: 30_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stderr
    .split('\n')
    .filter((l) => /output-http .*queue latest,mean,max,count,count\/second: \d+,\d+,\d+,\d+,\d+; latency ms mean,max: /.test(l));
  assert.ok(lines.length >= 2, result.stderr);
  assert.equal(target.received.length, 40);
});
