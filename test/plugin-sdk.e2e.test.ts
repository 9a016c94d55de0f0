import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, runCli, tempDir } from './support/cli.js';

/** npm as a plugin author runs it, in the plugin's folder. */
function npm(args: string[], cwd: string) {
  // Not as a child of this test runner: node --test in the plugin must report as on the author's machine.
  const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
  const result = spawnSync('npm', [...args, '--no-audit', '--no-fund'], { cwd, encoding: 'utf8', env, timeout: 180_000 });
  return { code: result.status, output: `${result.stdout}\n${result.stderr}` };
}

/** The folders of the @reprise/core and the CLI that the built CLI runs with, symlinks resolved. */
const cliRoot = realpathSync(join(repoRoot, 'packages/cli'));
const cliCore = realpathSync(dirname(createRequire(join(cliRoot, 'package.json')).resolve('@reprise/core/package.json')));

const fileReference = (spec: string) => realpathSync(spec.replace(/^file:/, ''));

test('"plugins init" of every kind builds, tests and validates outside the repository; one links, one installs from its tarball, and they run', {
  timeout: 600_000,
}, async (t) => {
  const dir = tempDir(t);
  const env = { REPRISE_DATA_DIR: join(dir, 'data') };
  const kinds = [
    { kind: 'input', folder: 'reprise-plugin-gen', component: 'input-gen', tests: 2 },
    { kind: 'output', folder: 'reprise-plugin-audit', component: 'output-audit', tests: 2 },
    { kind: 'middleware', folder: 'reprise-plugin-stamp', component: 'middleware-stamp', tests: 2 },
    { kind: 'script', folder: 'reprise-plugin-tokens', component: 'middleware-tokens', tests: 1 },
  ];
  const started = Date.now();
  for (const { kind, folder, component, tests } of kinds) {
    await t.test(kind, async () => {
      const plugin = join(dir, folder);
      const init = await runCli(['plugins', 'init', plugin, '--kind', kind], { env, cwd: dir });
      assert.equal(init.code, 0, init.stderr);
      assert.match(init.stdout, new RegExp(`created .*${folder} with ${component}`));
      const pkg = JSON.parse(readFileSync(join(plugin, 'package.json'), 'utf8'));
      assert.equal(fileReference(pkg.devDependencies['@reprise/core']), cliCore, "core is the CLI's own, not a registry's");
      assert.equal(fileReference(pkg.devDependencies['@reprise/cli']), cliRoot, 'npx reprise in the folder is the CLI that made it');

      // Offline first: the dependencies come from the one npm cache the four installs share.
      const install = npm(['install', '--prefer-offline'], plugin);
      assert.equal(install.code, 0, install.output);
      assert.equal(realpathSync(join(plugin, 'node_modules/@reprise/core')), cliCore);
      const unit = npm(['test'], plugin);
      assert.equal(unit.code, 0, unit.output);
      assert.match(unit.output, new RegExp(`# pass ${tests}\\n`));

      const validate = await runCli(['plugins', 'validate', plugin], { env });
      assert.equal(validate.code, 0, validate.stdout + validate.stderr);
      assert.match(validate.stdout, new RegExp(`${folder} 0\\.1\\.0: valid \\(${component}\\)`));
      // npm test ran the build, which wrote the manifest file; a script-only plugin needs none.
      assert.doesNotMatch(validate.stdout, /no reprise\.manifest\.json/);
    });
  }
  t.diagnostic(`init, npm install, npm test and validate of four kinds: ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const output = join(dir, 'reprise-plugin-audit');
  const link = await runCli(['plugins', 'link', output], { env, timeoutMs: 120_000 });
  assert.equal(link.code, 0, link.stderr);

  // Packed as for a registry: prepack builds and writes the manifest file, so the install finds every file it lists.
  const input = join(dir, 'reprise-plugin-gen');
  const pack = npm(['pack', '--pack-destination', dir], input);
  assert.equal(pack.code, 0, pack.output);
  const tarball = join(dir, 'reprise-plugin-gen-0.1.0.tgz');
  const listed = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' });
  assert.match(listed, /^package\/reprise\.manifest\.json$/m);
  const installed = await runCli(['plugins', 'install', tarball], { env, timeoutMs: 150_000 });
  assert.equal(installed.code, 0, installed.stderr);
  assert.doesNotMatch(installed.stderr, /did not produce all the expected files|cannot describe/);

  const plugins = await runCli(['plugins'], { env });
  assert.match(plugins.stdout, /reprise-plugin-gen 0\.1\.0 \(installed from file:/);
  assert.match(plugins.stdout, /reprise-plugin-audit 0\.1\.0 \(linked from /);
  const help = await runCli(['--help'], { env });
  assert.match(help.stdout, /--input-gen <count>/);
  assert.match(help.stdout, /--output-audit <path>/);
  assert.match(help.stdout, /--output-audit-requests-only/);

  const out = join(dir, 'audit.txt');
  const run = await runCli(['--input-gen', '3', '--input-gen-path', '/health', '--output-audit', out, '--output-audit-requests-only'], {
    env,
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 3);
  assert.match(readFileSync(out, 'utf8'), /^request [0-9a-f]{24} GET \/health HTTP\/1\.1$/m);

  // A rate suffix on a component that samples is taken by the core, never as part of the file name.
  const sampled = await runCli(['--input-dummy', '1', '--output-audit', `${out}|100%`], { env });
  assert.equal(sampled.code, 0, sampled.stderr);
  assert.ok(!existsSync(`${out}|100%`));
});

test('a hand-written plugin copied out of the repository validates, and its tests then resolve core', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const plugin = join(dir, 'reprise-plugin-jsonl');
  // As published: without the node_modules a validate run inside the repository leaves there.
  cpSync(join(repoRoot, 'examples/reprise-plugin-jsonl'), plugin, {
    recursive: true,
    filter: (source) => basename(source) !== 'node_modules',
  });
  assert.ok(!existsSync(join(plugin, 'node_modules')));

  const validate = await runCli(['plugins', 'validate', plugin], { env: { REPRISE_DATA_DIR: join(dir, 'data') } });
  assert.equal(validate.code, 0, validate.stdout + validate.stderr);
  assert.match(validate.stdout, /reprise-plugin-jsonl 1\.0\.0: valid \(output-jsonl\)/);
  // As `plugins link` does: this reprise's core, linked into the folder.
  assert.equal(realpathSync(join(plugin, 'node_modules/@reprise/core')), cliCore);
  const unit = npm(['test'], plugin);
  assert.equal(unit.code, 0, unit.output);

  // npm install removes that link (an optional peer is extraneous to npm); a devDependency on it stays (docs/PLUGINS.md §7).
  const pin = npm(
    ['install', '--prefer-offline', '--save-dev', `@reprise/core@file:${readlinkSync(join(plugin, 'node_modules/@reprise/core'))}`],
    plugin,
  );
  assert.equal(pin.code, 0, pin.output);
  assert.equal(npm(['install', '--prefer-offline'], plugin).code, 0);
  assert.equal(realpathSync(join(plugin, 'node_modules/@reprise/core')), cliCore);
  const again = npm(['test'], plugin);
  assert.equal(again.code, 0, again.output);
});

test("link gives a plugin folder without node_modules this reprise's @reprise/core, and it runs", { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const env = { REPRISE_DATA_DIR: join(dir, 'data') };
  const plugin = join(dir, 'reprise-plugin-heads');
  mkdirSync(plugin);
  writeFileSync(
    join(plugin, 'package.json'),
    JSON.stringify({
      name: 'reprise-plugin-heads',
      version: '1.0.0',
      type: 'module',
      oclif: {},
      reprise: { coreVersion: '^0.1.0', entry: './index.js', components: [{ kind: 'output', name: 'output-heads' }] },
      peerDependencies: { '@reprise/core': '^0.1.0' },
      peerDependenciesMeta: { '@reprise/core': { optional: true } },
    }),
  );
  writeFileSync(
    join(plugin, 'index.js'),
    `import { appendFileSync } from 'node:fs';
import { defineOutput, parseHttpHead } from '@reprise/core';
export default [defineOutput({ kind: 'output', name: 'output-heads', summary: 'Appends start lines.', value: { placeholder: 'path', description: 'the file' }, options: { type: 'object', properties: {} },
  create: (path) => ({ write(batch) { for (const m of batch) appendFileSync(path, parseHttpHead(m.payload).startLine.join(' ') + '\\n'); } }) })];
`,
  );
  const link = await runCli(['plugins', 'link', plugin], { env, timeoutMs: 120_000 });
  assert.equal(link.code, 0, link.stderr);
  assert.equal(realpathSync(join(plugin, 'node_modules/@reprise/core')), cliCore);

  const out = join(dir, 'heads.txt');
  const run = await runCli(['--input-dummy', '2', '--input-dummy-interval', '0', '--output-heads', out], { env });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(readFileSync(out, 'utf8'), 'GET /dummy/0 HTTP/1.1\nGET /dummy/1 HTTP/1.1\n');
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

/** npm pack of a folder into dir; returns the tarball's path. */
function pack(folder: string, dir: string): string {
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir, folder], { encoding: 'utf8' }).trim().split('\n').pop()!;
  return join(dir, name);
}

/** A plugin folder (a script, no code) whose one dependency has a postinstall script that appends to `marker`. */
function pluginWithScriptedDependency(dir: string, marker: string): string {
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
  const plugin = join(dir, 'plugin');
  mkdirSync(plugin);
  writeFileSync(
    join(plugin, 'package.json'),
    JSON.stringify({
      name: 'reprise-plugin-with-dep',
      version: '1.0.0',
      type: 'module',
      oclif: {},
      dependencies: { 'reprise-test-dep-with-script': `file:${pack(dependency, dir)}` },
      reprise: { coreVersion: '^0.1.0', components: [{ kind: 'middleware', name: 'middleware-noop', script: './noop.js' }] },
    }),
  );
  writeFileSync(join(plugin, 'noop.js'), 'export function request(req) { return req; }\n');
  return plugin;
}

test('install runs no dependency install scripts unless --allow-scripts', { timeout: 300_000 }, async (t) => {
  const dir = tempDir(t);
  const marker = join(dir, 'postinstall-ran');
  const tarball = pack(pluginWithScriptedDependency(dir, marker), dir);

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

test("link installs a folder's locked dependencies without their install scripts unless --allow-scripts", {
  timeout: 300_000,
}, async (t) => {
  const dir = tempDir(t);
  const marker = join(dir, 'postinstall-ran');
  const plugin = pluginWithScriptedDependency(dir, marker);
  // Link installs dependencies only for a folder with a lockfile (as oclif does).
  const lock = npm(['install', '--package-lock-only', '--ignore-scripts', '--prefer-offline'], plugin);
  assert.equal(lock.code, 0, lock.output);
  const installed = join(plugin, 'node_modules/reprise-test-dep-with-script/package.json');

  const refused = await runCli(['plugins', 'link', plugin], { env: { REPRISE_DATA_DIR: join(dir, 'data1') }, timeoutMs: 150_000 });
  assert.equal(refused.code, 0, refused.stderr);
  assert.ok(existsSync(installed), 'link installed the dependency');
  assert.ok(!existsSync(marker), "the dependency's postinstall did not run");

  // Installed again from scratch: npm runs install scripts only when it installs a package.
  rmSync(join(plugin, 'node_modules'), { recursive: true });
  const allowed = await runCli(['plugins', 'link', plugin, '--allow-scripts'], {
    env: { REPRISE_DATA_DIR: join(dir, 'data2') },
    timeoutMs: 150_000,
  });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.ok(existsSync(installed));
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
