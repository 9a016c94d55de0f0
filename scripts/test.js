#!/usr/bin/env node
// Runs the test suite with node:test: unit tests beside each package (packages/*/test/*.test.ts),
// the example plugin's tests (examples/*/test/*.test.js)
// and end-to-end tests (test/*.e2e.test.ts) that spawn the built CLI. TypeScript is loaded by tsx;
// --no-node-snapshot is required by isolated-vm. Arguments narrow the run to folders or files.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['packages', 'examples', 'test'];

function collect(path, out) {
  if (!existsSync(path)) return out;
  if (statSync(path).isFile()) {
    if (/\.test\.[jt]s$/.test(path)) out.push(path);
    return out;
  }
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'fixtures') continue;
    collect(join(path, entry), out);
  }
  return out;
}

const files = roots.flatMap((r) => collect(resolve(root, r), [])).sort();
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--no-node-snapshot', '--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=120000', ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(result.status ?? 1);
