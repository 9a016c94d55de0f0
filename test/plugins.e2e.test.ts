import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, runCli, tempDir } from './support/cli.js';

const pack = (folder: string, destination: string) => {
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination, join(repoRoot, folder)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()!;
  return join(destination, name);
};

test('an npm-packed plugin installs from its tarball, brings its flags, runs in a pipeline, and leaves cleanly', {
  timeout: 240_000,
}, async (t) => {
  const dir = tempDir(t);
  const env = { REPRISE_DATA_DIR: join(dir, 'data') };
  const tarball = pack('examples/reprise-plugin-jsonl', dir);

  const before = await runCli(['--help'], { env });
  assert.doesNotMatch(before.stdout, /--output-jsonl/);

  const install = await runCli(['plugins', 'install', tarball], { env, timeoutMs: 120_000 });
  assert.equal(install.code, 0, install.stderr);

  const list = await runCli(['plugins'], { env });
  assert.match(list.stdout, /reprise-plugin-jsonl 1\.0\.0 \(installed from file:.*reprise-plugin-jsonl-1\.0\.0\.tgz\)/);
  assert.match(list.stdout, /output +--output-jsonl/);

  const help = await runCli(['--help'], { env });
  assert.match(help.stdout, /--output-jsonl <path>/);
  assert.match(help.stdout, /--output-jsonl-include-bodies/);
  assert.match(help.stdout, /\(reprise-plugin-jsonl\)/);

  const out = join(dir, 'pairs.jsonl');
  const run = await runCli(
    ['--input-dummy', '4', '--input-dummy-interval', '0', '--output-jsonl', out, '--output-jsonl-pair-timeout-ms', '0'],
    { env },
  );
  assert.equal(run.code, 0, run.stderr);
  const lines = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.request.url),
    ['/dummy/0', '/dummy/1', '/dummy/2', '/dummy/3'],
  );

  const config = await runCli(['plugins', 'uninstall', 'reprise-plugin-jsonl'], { env, timeoutMs: 120_000 });
  assert.equal(config.code, 0, config.stderr);
  const after = await runCli(['--help'], { env });
  assert.doesNotMatch(after.stdout, /--output-jsonl/);
  const gone = await runCli(['--input-dummy', '1', '--output-jsonl', out], { env });
  assert.equal(gone.code, 2);
  assert.match(gone.stderr, /unknown flag --output-jsonl/);
});

test('broken plugins installed beside a good one are reported by name and stop nothing', { timeout: 300_000 }, async (t) => {
  const dir = tempDir(t);
  const env = { REPRISE_DATA_DIR: join(dir, 'data') };
  const tarballs = [
    'examples/reprise-plugin-jsonl',
    'test/fixtures/plugins/bad-manifest',
    'test/fixtures/plugins/throwing-import',
    'test/fixtures/plugins/wrong-core',
    'test/fixtures/plugins/duplicate-name',
  ].map((f) => pack(f, dir));
  const install = await runCli(['plugins', 'install', ...tarballs], { env, timeoutMs: 200_000 });
  assert.equal(install.code, 0, install.stderr);
  // Installing imports a plugin once, to describe it: an import that throws is reported then.
  const warning = install.stderr.replace(/\s*›\s*/g, ' ');
  assert.match(
    warning,
    /cannot describe reprise-plugin-throwing-import: .*importing \.\/index\.js failed: this plugin is broken on purpose/,
  );

  const help = await runCli(['--help'], { env });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--output-jsonl <path>/, 'the good plugin still works');
  assert.match(help.stdout, /--output-http <url>/, 'built-in plugins still work');
  assert.match(help.stderr, /reprise-plugin-bad-manifest: package.json "reprise".*(entry|kind)/);
  // --help reads manifests only: it never imports the broken code, and says what is missing.
  assert.match(help.stderr, /reprise-plugin-throwing-import: has no reprise\.manifest\.json/);
  assert.match(help.stderr, /reprise-plugin-wrong-core: supports core \^9\.0\.0, but this reprise has core 0\.1\.0/);
  assert.match(
    help.stderr,
    /component "output-jsonl" is provided by both reprise-plugin-jsonl \(installed\) and reprise-plugin-duplicate-name \(installed\)/,
  );

  // A pipeline that does not use the broken plugins does not even import them.
  const out = join(dir, 'pairs.jsonl');
  const run = await runCli(['--input-dummy', '2', '--input-dummy-interval', '0', '--output-jsonl', out], { env });
  assert.equal(run.code, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /throwing-import/);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 2);

  // Using a plugin that cannot load is an error that names it: exit 3 (a plugin could not be loaded), not "unknown flag".
  const broken = await runCli(['--input-dummy', '1', '--output-throwing', 'x'], { env });
  assert.equal(broken.code, 3);
  assert.match(broken.stderr, /reprise-plugin-throwing-import.*broken on purpose/);
  const wrongCore = await runCli(['--input-dummy', '1', '--output-future', 'x'], { env });
  assert.equal(wrongCore.code, 3, wrongCore.stderr);
  assert.match(wrongCore.stderr, /reprise-plugin-wrong-core: supports core \^9\.0\.0/);
});

test('a plugin can ship a middleware script, which runs in the sandbox and not in reprise', { timeout: 240_000 }, async (t) => {
  const dir = tempDir(t);
  const env = { REPRISE_DATA_DIR: join(dir, 'data') };
  const install = await runCli(['plugins', 'install', pack('test/fixtures/plugins/script-middleware', dir)], { env, timeoutMs: 120_000 });
  assert.equal(install.code, 0, install.stderr);
  const help = await runCli(['--help'], { env });
  assert.match(help.stdout, /--middleware-staging-tag\n/);
  assert.match(help.stdout, /--middleware-staging-tag-timeout/, 'it takes the sandbox options of --middleware-script');
  const run = await runCli(['--input-dummy', '2', '--input-dummy-interval', '0', '--middleware-staging-tag', '--output-stdout'], { env });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.match(/^X-Env: staging\r?$/gm)?.length, 2);
  assert.match(run.stdout, /^X-Sandbox-Process: undefined\r?$/m);
  assert.match(run.stdout, /^X-Sandbox-Require: undefined\r?$/m);
});
