// script-api.d.ts, as an editor sees it from an installed package: SCRIPTS.md's example type-checks with
// it, and a script that misuses the API does not. The package ships the file and the reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const packageDir = resolve(import.meta.dirname, '..');
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
const run = promisify(execFile);

/** The first ```js block of SCRIPTS.md: the example people copy. */
function documentedExample(): string {
  const doc = readFileSync(join(packageDir, 'SCRIPTS.md'), 'utf8');
  const block = /```js\n([\s\S]*?)```/.exec(doc);
  assert.ok(block, 'SCRIPTS.md has a js example');
  return block[1]!;
}

/** A folder where the plugin is "installed" (a symlink in node_modules) and `file` is checked by tsc with checkJs. */
async function typeCheck(
  t: { after(fn: () => void): void },
  code: string,
  lib: string[] = ['es2022'],
): Promise<{ ok: boolean; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-script-types-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'node_modules', '@reprise'), { recursive: true });
  symlinkSync(packageDir, join(dir, 'node_modules', '@reprise', 'plugin-middleware'), 'dir');
  writeFileSync(join(dir, 'script.js'), code);
  const compilerOptions = {
    allowJs: true,
    checkJs: true,
    noEmit: true,
    strict: true,
    target: 'es2022',
    lib,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    types: [],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['script.js'] }));
  try {
    const { stdout } = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')]);
    return { ok: true, output: stdout };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? error) };
  }
}

test("SCRIPTS.md's example type-checks against script-api.d.ts (store, views, hook types), with or without the DOM lib", {
  timeout: 60000,
}, async (t) => {
  const example = documentedExample();
  assert.match(example, /reference types="@reprise\/plugin-middleware\/script-api"/);
  assert.match(example, /store\.set\(/);
  for (const lib of [['es2022'], ['es2022', 'dom']]) {
    const result = await typeCheck(t, example, lib);
    assert.ok(result.ok, `${lib.join('+')}: ${result.output}`);
  }
});

test('a script that misuses the API fails the type check, naming each mistake', { timeout: 60000 }, async (t) => {
  const result = await typeCheck(
    t,
    `/// <reference types="@reprise/plugin-middleware/script-api" />
/** @type {reprise.RequestHook} */
export function request(req) {
  req.status = 200;
  store.set('k', () => 1);
  const n = store.get('k') + 1;
  return req.headers;
}
`,
  );
  assert.equal(result.ok, false);
  assert.match(result.output, /script\.js\(4,7\): error TS2339: Property 'status' does not exist on type 'Request'/);
  assert.match(result.output, /script\.js\(5,18\): error TS2345/);
  assert.match(result.output, /script\.js\(6,13\): error TS18048|script\.js\(6,13\): error TS2365/);
  assert.match(result.output, /script\.js\(7,3\): error TS2322/);
});

test('the package ships the types, SCRIPTS.md and THREAT-MODEL.md, and exports the types reference', { timeout: 60000 }, async () => {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  assert.deepEqual(manifest.exports['./script-api'], { types: './script-api.d.ts' });
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageDir });
  const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
  for (const shipped of ['script-api.d.ts', 'SCRIPTS.md', 'THREAT-MODEL.md', 'dist/index.js'])
    assert.ok(files.includes(shipped), `${shipped} in ${files.join(', ')}`);
});
