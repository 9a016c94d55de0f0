import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir } from './support/cli.js';

test('--help lists every component flag with an example, like gor -h', async () => {
  const result = await runCli(['--help']);
  assert.equal(result.code, 0, result.stderr);
  for (const flag of [
    '--input-file',
    '--input-file-loop',
    '--input-dummy',
    '--output-http',
    '--output-http-workers',
    '--output-file-append',
    '--output-stdout',
    '--output-null',
    '--split-output',
    '--exit-after',
    '--stats',
  ]) {
    assert.ok(result.stdout.includes(flag), `help mentions ${flag}`);
  }
  assert.match(result.stdout, /EXIT CODES/);
  assert.doesNotMatch(result.stderr, /plugin not loaded/);
});

test('an unknown flag exits 2 with "did you mean"', async () => {
  const result = await runCli(['--input-dummy', '1', '--output-stdot']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown flag --output-stdot; did you mean --output-stdout/);
});

test('--input-dummy to --output-stdout prints readable requests and a summary', async () => {
  const result = await runCli(['--input-dummy', '3', '--input-dummy-interval', '0', '--output-stdout']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.match(/^1 [0-9a-f]{24} \d+ 0$/gm)?.length, 3);
  assert.match(result.stdout, /GET \/dummy\/0 HTTP\/1\.1/);
  assert.match(result.stderr, /stopped \(all inputs ended\)/);
  assert.match(result.stderr, /output-stdout: in=3 out=3 dropped=0 failed=0/);
});

test('--exit-after stops an endless input and exits 0', async () => {
  const result = await runCli(['--input-dummy', '0', '--output-null', '--exit-after', '300ms']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /--exit-after reached/);
});

test('run --config runs the same pipeline from a JSON file', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'pipeline.json');
  writeFileSync(
    config,
    JSON.stringify({ inputs: [{ use: 'input-dummy', value: '2', options: { interval: '0' } }], outputs: [{ use: 'output-stdout' }] }),
  );
  const result = await runCli(['run', '--config', config]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.match(/^1 [0-9a-f]{24}/gm)?.length, 2);
});

test('a config with a bad key exits 2 naming the file and the key', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'pipeline.json');
  writeFileSync(
    config,
    JSON.stringify({ inputs: [{ use: 'input-dummy', value: '2', options: { intervall: '0' } }], outputs: [{ use: 'output-stdout' }] }),
  );
  const result = await runCli(['run', '--config', config]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /input-dummy \(option intervall\).*pipeline\.json: \/inputs\/0.*unknown key "intervall"/);
});
