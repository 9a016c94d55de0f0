import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { globMatcher, hasGlobMagic } from '../src/glob-pattern.js';
import { expandGlob } from '../src/glob-expand.js';
import { tempDir } from './context.js';

const matchGlob = (pattern: string, path: string) => globMatcher(pattern)(path);

test('star, question mark and sets match within one path segment', { timeout: 5_000 }, () => {
  assert.ok(matchGlob('requests-*.gor', 'requests-2024.gor'));
  assert.ok(matchGlob('requests-*.gor', 'requests-.gor'));
  assert.ok(!matchGlob('requests-*.gor', 'requests-a/b.gor'));
  assert.ok(matchGlob('r?.gor', 'r1.gor'));
  assert.ok(!matchGlob('r?.gor', 'r12.gor'));
  assert.ok(matchGlob('r[0-9].gor', 'r7.gor'));
  assert.ok(!matchGlob('r[0-9].gor', 'rx.gor'));
  assert.ok(matchGlob('r[!0-9].gor', 'rx.gor'));
  assert.ok(matchGlob('r[^0-9].gor', 'rx.gor'));
  assert.ok(!matchGlob('r[!0-9].gor', 'r1.gor'));
  assert.ok(matchGlob('r[ab-].gor', 'r-.gor'));
  assert.ok(matchGlob('r[]].gor', 'r].gor'));
  assert.ok(matchGlob('*.gor', '.hidden.gor'), 'like Go, * matches a leading dot');
});

test('a double star matches any number of directories, including none', { timeout: 5_000 }, () => {
  assert.ok(matchGlob('logs/**/*.gor', 'logs/a.gor'));
  assert.ok(matchGlob('logs/**/*.gor', 'logs/x/y/z/a.gor'));
  assert.ok(!matchGlob('logs/**/*.gor', 'other/a.gor'));
  assert.ok(matchGlob('**', 'a/b/c'));
});

test('regexp characters and escapes in a pattern are taken literally', { timeout: 5_000 }, () => {
  assert.ok(matchGlob('a+b(1).gor', 'a+b(1).gor'));
  assert.ok(!matchGlob('a.gor', 'abgor'));
  assert.ok(matchGlob('a\\*.gor', 'a*.gor'));
  assert.ok(!matchGlob('a\\*.gor', 'ab.gor'));
  assert.ok(matchGlob('a[.gor', 'a[.gor'), 'an unclosed bracket is literal');
  assert.ok(matchGlob('{a,b}.gor', '{a,b}.gor') && !matchGlob('{a,b}.gor', 'a.gor'), 'braces are literal, as in Go');
  assert.ok(matchGlob('@(a).gor', '@(a).gor') && !matchGlob('@(a).gor', 'a.gor'), 'extglobs are literal');
  assert.ok(matchGlob('!x.gor', '!x.gor') && !matchGlob('!x.gor', 'y.gor'), 'a leading ! does not negate');
  assert.ok(!matchGlob('r[!a]/x', 'r/x'), 'a negated set never matches /');
  assert.ok(hasGlobMagic('x/*.gor'));
  assert.ok(!hasGlobMagic('x/y.gor'));
});

test('expanding a glob lists the matching files on disk, sorted, skipping directories', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'a', 'b'), { recursive: true });
  await mkdir(join(dir, 'sub.gor'));
  for (const file of ['2.gor', '1.gor', 'x.txt', 'a/3.gor', 'a/b/4.gor.gz', 'a/b/5.gor']) await writeFile(join(dir, file), '');
  assert.deepEqual(await expandGlob(join(dir, '*.gor')), [join(dir, '1.gor'), join(dir, '2.gor')]);
  assert.deepEqual(
    await expandGlob(join(dir, '**/*.gor')),
    ['1.gor', '2.gor', 'a/3.gor', 'a/b/5.gor'].map((f) => join(dir, f)),
  );
  assert.deepEqual(
    await expandGlob(join(dir, '**/*.gor*')),
    ['1.gor', '2.gor', 'a/3.gor', 'a/b/4.gor.gz', 'a/b/5.gor'].map((f) => join(dir, f)),
  );
  assert.deepEqual(await expandGlob(join(dir, '[12].gor')), [join(dir, '1.gor'), join(dir, '2.gor')]);
  assert.deepEqual(await expandGlob(join(dir, 'nothing-*.gor')), []);
  assert.deepEqual(await expandGlob(join(dir, '1.gor')), [join(dir, '1.gor')]);
  assert.deepEqual(await expandGlob(join(dir, 'missing.gor')), []);
  assert.deepEqual(await expandGlob(join(dir, 'sub.gor')), [], 'a directory is not a file to replay');
});

test('expanding: a leading dot matches *, an escaped star is a file name, braces are literal', { timeout: 10_000 }, async (t) => {
  const dir = await tempDir(t);
  for (const file of ['.h.gor', '*.gor', '{a,b}.gor', 'a.gor']) await writeFile(join(dir, file), '');
  assert.deepEqual(
    await expandGlob(join(dir, '*.gor')),
    ['*.gor', '.h.gor', 'a.gor', '{a,b}.gor'].map((f) => join(dir, f)),
  );
  assert.deepEqual(await expandGlob(join(dir, '\\*.gor')), [join(dir, '*.gor')]);
  assert.deepEqual(await expandGlob(join(dir, '{a,b}.gor')), [join(dir, '{a,b}.gor')]);
  assert.deepEqual(await expandGlob(join(dir, '[{]*')), [join(dir, '{a,b}.gor')]);
});
