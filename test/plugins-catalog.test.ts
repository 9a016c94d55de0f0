import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createAjv, readManifest } from '@reprise/core';

const root = new URL('../', import.meta.url);
const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, root), 'utf8'));

test('plugins.json is valid against its schema', () => {
  const validate = createAjv().compile(readJson('plugins.schema.json'));
  const ok = validate(readJson('plugins.json'));
  assert.ok(ok, JSON.stringify(validate.errors));
});

test('the schema refuses a catalog entry with a bad kind or a missing summary', () => {
  const validate = createAjv().compile(readJson('plugins.schema.json'));
  assert.equal(
    validate({ plugins: [{ package: '@reprise/plugin-x', summary: 'something long', components: [{ kind: 'transformer', name: 'x' }] }] }),
    false,
  );
  assert.equal(validate({ plugins: [{ package: '@reprise/plugin-x', components: [{ kind: 'input', name: 'input-x' }] }] }), false);
});

test('every catalog entry matches the manifest of its package in this repository', () => {
  for (const entry of readJson('plugins.json').plugins) {
    const folder = entry.package.replace('@reprise/', '');
    const manifest = readManifest(readJson(`packages/${folder}/package.json`));
    assert.deepEqual(manifest.components, entry.components, entry.package);
  }
});
