// ARCHITECTURE.md, "The JSON Schema is the one source of option defaults": every component's options type is
// derived from its schema (`defineInput({...})` infers it), never a hand-written interface passed as
// `defineInput<SomeOptions>(...)`, which would have to be kept in step with the schema by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

test('no component declares its options type by hand: each is derived from its JSON Schema', () => {
  const packages = readdirSync(join(root, 'packages'));
  const files = packages.flatMap((name) => {
    const src = join(root, 'packages', name, 'src');
    try {
      return sourceFiles(src);
    } catch {
      return [];
    }
  });
  assert.ok(files.length > 50, `found only ${files.length} source files`);
  const offenders = files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line, i) => ({ line, at: `${relative(root, file)}:${i + 1}` }))
      .filter(({ line }) => /(?<!function )\bdefine(Input|Output|Middleware)</.test(line))
      .map(({ at, line }) => `${at}: ${line.trim()}`),
  );
  assert.deepEqual(offenders, []);
});
