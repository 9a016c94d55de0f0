import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validateOptions, RepriseError } from '@reprise/core';
import components from '../src/index.js';

test('the package exports every component its manifest lists', { timeout: 5_000 }, async () => {
  const manifest = JSON.parse(await readFile(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
  assert.deepEqual(
    components.map((c) => ({ kind: c.kind, name: c.name })),
    manifest.reprise.components,
  );
});

test('every option has a description and examples', { timeout: 5_000 }, () => {
  for (const component of components) {
    for (const [name, option] of Object.entries(component.options.properties)) {
      assert.ok(option.description.length > 10, `${component.name} ${name}`);
      assert.ok(Array.isArray(option.examples) && option.examples.length > 0, `${component.name} ${name}`);
    }
  }
});

test('the core fills the option defaults and rejects a bad duration or size', { timeout: 5_000 }, () => {
  const [input, output] = components as [(typeof components)[number], (typeof components)[number]];
  assert.deepEqual(validateOptions(input, {}), { readDepth: 10_000, loop: false, noWait: false, dryRun: false });
  assert.deepEqual(validateOptions(output, {}), { append: false, flushInterval: '1s' });
  assert.deepEqual(validateOptions(output, { sizeLimit: '32mb' }), { append: false, flushInterval: '1s', sizeLimit: '32mb' });
  assert.throws(
    () => validateOptions(input, { maxWait: 'soon' }),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_PLUGIN_OPTIONS',
  );
  assert.throws(
    () => validateOptions(output, { sizeLimit: 'big' }),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_PLUGIN_OPTIONS',
  );
  assert.throws(
    () => validateOptions(input, { readDepth: -1 }),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_PLUGIN_OPTIONS',
  );
});
