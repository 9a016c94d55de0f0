import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirectoriesSync } from '../src/make-directories.js';

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-mkdir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('every missing level is made, and levels that exist are fine', (t) => {
  const root = scratch(t);
  const deep = join(root, 'a', 'b', 'c');
  makeDirectoriesSync(deep);
  assert.ok(statSync(deep).isDirectory());
  makeDirectoriesSync(deep); // all exist
  makeDirectoriesSync(join(root, 'a', 'b2')); // the parent exists
  assert.ok(statSync(join(root, 'a', 'b2')).isDirectory());
});

test('a file in the way is refused, naming the directory', (t) => {
  const root = scratch(t);
  writeFileSync(join(root, 'file'), '');
  assert.throws(
    () => makeDirectoriesSync(join(root, 'file', 'sub', 'x')),
    (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'ENOTDIR');
      assert.match(error.message, /file[/\\]sub/);
      return true;
    },
  );
});

// Node's own recursive mkdir never returns here (ENOENT under a parent that exists): this one fails.
test('under /proc, where no directory can be made, it fails at once, naming the first level it could not make', () => {
  assert.throws(
    () => makeDirectoriesSync('/proc/reprise-no-such-dir/sub'),
    (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'ENOENT');
      assert.match(error.message, /mkdir '\/proc\/reprise-no-such-dir'/);
      return true;
    },
  );
});
