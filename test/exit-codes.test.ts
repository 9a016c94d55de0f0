import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ERROR_CODES, type ErrorCode } from '@reprise/core';
import { EXIT, exitCodeFor } from '../packages/cli/src/exit-codes.js';
import { USAGE } from '../packages/cli/src/usage.js';
import { repoRoot, runCli } from './support/cli.js';

/** The `| code | meaning |` rows of the README's "Exit codes" table. */
function readmeExitCodes(): Map<number, string> {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Exit codes'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| ---')));
  return new Map([...table.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((m) => [Number(m[1]), m[2]!]));
}

test("the README's exit-code table lists exactly the codes the CLI uses", () => {
  const documented = readmeExitCodes();
  assert.deepEqual([...documented.keys()].sort(), Object.values(EXIT).sort());
  assert.match(documented.get(EXIT.usage)!, /invalid flags or config/);
  assert.match(documented.get(EXIT.plugin)!, /plugin could not be loaded/);
  assert.match(documented.get(EXIT.environment)!, /environment/);
});

test('--help states every exit code too', () => {
  const help = USAGE.slice(USAGE.indexOf('EXIT CODES'));
  for (const code of Object.values(EXIT)) assert.match(help, new RegExp(`(^|\\s)${code} [a-z]`), `exit code ${code} in --help`);
});

test('every error code maps to a documented exit code', () => {
  const documented = new Set(readmeExitCodes().keys());
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) assert.ok(documented.has(exitCodeFor(code)), code);
  assert.equal(exitCodeFor('RPR_PLUGIN_CREATE'), EXIT.usage, 'PLUGINS.md: an error thrown in create exits 2');
  assert.equal(exitCodeFor('RPR_PLUGIN_LOAD'), EXIT.plugin);
});

test('a component that refuses its value in create exits 2, naming the component', { timeout: 30_000 }, async () => {
  const result = await runCli(['--input-dummy', 'many', '--output-null']);
  assert.equal(result.code, EXIT.usage, result.stderr);
  assert.match(result.stderr, /input-dummy, during create: the count must be a whole number/);
});
