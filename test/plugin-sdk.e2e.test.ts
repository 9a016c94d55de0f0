import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, runCli, tempDir } from './support/cli.js';

/** npm as a plugin author runs it, in the plugin's folder. */
function npm(args: string[], cwd: string) {
  // Not as a child of this test runner: node --test in the plugin must report as on the author's machine.
  const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
  const result = spawnSync('npm', [...args, '--no-audit', '--no-fund'], { cwd, encoding: 'utf8', env, timeout: 180_000 });
  return { code: result.status, output: `${result.stdout}\n${result.stderr}` };
}

test('a plugin made by "plugins init" builds, tests, validates, links and runs outside the repository', { timeout: 400_000 }, async (t) => {
  const dir = tempDir(t);
  const env = { REPRISE_DATA_DIR: join(dir, 'data') };
  const plugin = join(dir, 'reprise-plugin-audit');

  const init = await runCli(['plugins', 'init', plugin, '--kind', 'output'], { env, cwd: dir });
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /created .*reprise-plugin-audit with output-audit/);
  const pkg = JSON.parse(readFileSync(join(plugin, 'package.json'), 'utf8'));
  assert.match(pkg.devDependencies['@reprise/core'], /^file:\//, 'core comes from this reprise, not a registry');

  const install = npm(['install'], plugin);
  assert.equal(install.code, 0, install.output);
  const unit = npm(['test'], plugin);
  assert.equal(unit.code, 0, unit.output);
  assert.match(unit.output, /# pass 2/);

  const validate = await runCli(['plugins', 'validate', plugin], { env });
  assert.equal(validate.code, 0, validate.stdout + validate.stderr);
  assert.match(validate.stdout, /reprise-plugin-audit 0\.1\.0: valid \(output-audit\)/);

  const link = await runCli(['plugins', 'link', plugin], { env, timeoutMs: 120_000 });
  assert.equal(link.code, 0, link.stderr);
  assert.ok(existsSync(join(plugin, 'reprise.manifest.json')), 'linking describes the plugin once');

  const help = await runCli(['--help'], { env });
  assert.match(help.stdout, /--output-audit <path>/);
  assert.match(help.stdout, /--output-audit-requests-only/);

  const out = join(dir, 'audit.txt');
  const run = await runCli(['--input-dummy', '3', '--input-dummy-interval', '0', '--output-audit', out, '--output-audit-requests-only'], {
    env,
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 3);
  assert.match(readFileSync(out, 'utf8'), /^request [0-9a-f]{24} GET \/dummy\/0 HTTP\/1\.1$/m);

  // A rate suffix on a component that samples is taken by the core, never as part of the file name.
  const sampled = await runCli(['--input-dummy', '1', '--output-audit', `${out}|100%`], { env });
  assert.equal(sampled.code, 0, sampled.stderr);
  assert.ok(!existsSync(`${out}|100%`));
});

test('a script plugin made by "plugins init" tests its script in the real sandbox', { timeout: 300_000 }, async (t) => {
  const dir = tempDir(t);
  const plugin = join(dir, 'reprise-plugin-tokens');
  const init = await runCli(['plugins', 'init', plugin, '--kind', 'script'], { cwd: dir });
  assert.equal(init.code, 0, init.stderr);
  assert.equal(npm(['install'], plugin).code, 0);
  const unit = npm(['test'], plugin);
  assert.equal(unit.code, 0, unit.output);
  assert.match(unit.output, /# pass 1/);
  const validate = await runCli(['plugins', 'validate', plugin]);
  assert.equal(validate.code, 0, validate.stdout);
});

test("listing and --help read manifests only: a linked plugin's code runs only when a pipeline uses it", {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t);
  const env = { REPRISE_DATA_DIR: join(dir, 'data') };
  const plugin = join(dir, 'reprise-plugin-marker');
  const marker = join(dir, 'imported');
  mkdirSync(plugin);
  writeFileSync(
    join(plugin, 'package.json'),
    JSON.stringify({
      name: 'reprise-plugin-marker',
      version: '1.0.0',
      type: 'module',
      oclif: {},
      reprise: { coreVersion: '^0.1.0', entry: './index.js', components: [{ kind: 'output', name: 'output-marker' }] },
    }),
  );
  writeFileSync(
    join(plugin, 'index.js'),
    `import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(marker)}, 'imported\\n');
export default [{ kind: 'output', name: 'output-marker', summary: 'Counts nothing.', options: { type: 'object', properties: { level: { type: 'integer', default: 1, description: 'A level', examples: [2] } } }, create: () => ({ write() {} }) }];
`,
  );
  const link = await runCli(['plugins', 'link', plugin, '--no-install'], { env, timeoutMs: 60_000 });
  assert.equal(link.code, 0, link.stderr);
  assert.equal(readFileSync(marker, 'utf8'), 'imported\n', 'linking describes the plugin: one import');

  for (const args of [['--help'], ['plugins'], ['-h']]) {
    const result = await runCli(args, { env });
    assert.equal(result.code, 0, result.stderr);
  }
  const help = await runCli(['--help'], { env });
  assert.match(help.stdout, /--output-marker-level <integer>\n\s+A level \(default 1\)/, 'help text comes from the manifest file');
  assert.equal(readFileSync(marker, 'utf8'), 'imported\n', 'neither listing nor --help imported it');

  const run = await runCli(['--input-dummy', '1', '--output-marker'], { env });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(readFileSync(marker, 'utf8'), 'imported\nimported\n', 'a pipeline that uses it imports it');
});

test('install runs no dependency install scripts unless --allow-scripts', { timeout: 300_000 }, async (t) => {
  const dir = tempDir(t);
  const marker = join(dir, 'postinstall-ran');
  const dependency = join(dir, 'dep');
  mkdirSync(dependency);
  writeFileSync(
    join(dependency, 'package.json'),
    JSON.stringify({
      name: 'reprise-test-dep-with-script',
      version: '1.0.0',
      scripts: { postinstall: 'node postinstall.cjs' },
    }),
  );
  writeFileSync(join(dependency, 'postinstall.cjs'), `require('node:fs').appendFileSync(${JSON.stringify(marker)}, 'ran\\n');\n`);
  const depTarball = join(
    dir,
    execFileSync('npm', ['pack', '--silent', '--pack-destination', dir, dependency], { encoding: 'utf8' }).trim().split('\n').pop()!,
  );
  const plugin = join(dir, 'plugin');
  mkdirSync(plugin);
  writeFileSync(
    join(plugin, 'package.json'),
    JSON.stringify({
      name: 'reprise-plugin-with-dep',
      version: '1.0.0',
      type: 'module',
      oclif: {},
      dependencies: { 'reprise-test-dep-with-script': `file:${depTarball}` },
      reprise: { coreVersion: '^0.1.0', components: [{ kind: 'middleware', name: 'middleware-noop', script: './noop.js' }] },
    }),
  );
  writeFileSync(join(plugin, 'noop.js'), 'export function request(req) { return req; }\n');
  const tarball = join(
    dir,
    execFileSync('npm', ['pack', '--silent', '--pack-destination', dir, plugin], { encoding: 'utf8' }).trim().split('\n').pop()!,
  );

  const refused = await runCli(['plugins', 'install', tarball], { env: { REPRISE_DATA_DIR: join(dir, 'data1') }, timeoutMs: 150_000 });
  assert.equal(refused.code, 0, refused.stderr);
  assert.ok(!existsSync(marker), "the dependency's postinstall did not run");

  const allowed = await runCli(['plugins', 'install', tarball, '--allow-scripts'], {
    env: { REPRISE_DATA_DIR: join(dir, 'data2') },
    timeoutMs: 150_000,
  });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal(readFileSync(marker, 'utf8'), 'ran\n');
});

test('@reprise/core and @reprise/cli are ready for a registry: npm publish --dry-run with their files, exports and types', {
  timeout: 120_000,
}, () => {
  const filesOf = (folder: string) => {
    const result = spawnSync('npm', ['publish', '--dry-run', '--json'], { cwd: join(repoRoot, folder), encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    // npm 11 keys the report by package name
    const report = Object.values(
      JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as Record<string, { files: Array<{ path: string }> }>,
    )[0]!;
    return report.files.map((f) => f.path);
  };
  const core = filesOf('packages/core');
  for (const path of ['dist/index.js', 'dist/index.d.ts', 'dist/testing.js', 'dist/testing.d.ts', 'package.json'])
    assert.ok(core.includes(path), `core ships ${path}`);
  assert.ok(!core.some((p) => p.startsWith('src/') || p.startsWith('test/')), 'core ships no sources or tests');
  const exports = JSON.parse(readFileSync(join(repoRoot, 'packages/core/package.json'), 'utf8')).exports;
  for (const subpath of ['.', './testing'])
    assert.ok(
      core.includes(exports[subpath].types.slice(2)) && core.includes(exports[subpath].default.slice(2)),
      `export ${subpath} resolves to shipped files`,
    );

  const cli = filesOf('packages/cli');
  for (const path of ['bin/run.js', 'dist/main.js', 'plugins.json', 'package.json']) assert.ok(cli.includes(path), `cli ships ${path}`);
});

test('the example plugin validates, and its shipped reprise.manifest.json matches its code', { timeout: 60_000 }, async () => {
  const result = await runCli(['plugins', 'validate', join(repoRoot, 'examples/reprise-plugin-jsonl')]);
  assert.equal(result.code, 0, result.stdout);
  assert.doesNotMatch(result.stdout, /problem:|no reprise\.manifest\.json/);
});

test('validate names each problem of a broken plugin folder and exits 3', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'reprise-plugin-broken',
      version: '1.0.0',
      type: 'module',
      oclif: {},
      reprise: { coreVersion: '^0.1.0', entry: './index.js', components: [{ kind: 'output', name: 'output-broken' }] },
    }),
  );
  writeFileSync(
    join(dir, 'index.js'),
    `export default [{ kind: 'output', name: 'output-broken', summary: 's', options: { type: 'object', properties: { level: { type: 'integer', default: 'high', description: 'A level' } } }, create: () => ({ write() {} }) }];\n`,
  );
  const result = await runCli(['plugins', 'validate', dir]);
  assert.equal(result.code, 3);
  assert.match(result.stdout, /problem: reprise-plugin-broken: the options schema of "output-broken" is invalid/);
});
