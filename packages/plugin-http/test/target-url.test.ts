import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RepriseError } from '@reprise/core';
import { parseTarget } from '../src/output-http.js';

test('a target without a scheme is taken as http, like GoReplay', () => {
  assert.equal(parseTarget('staging:8080').origin, 'http://staging:8080');
  assert.equal(parseTarget('https://staging').origin, 'https://staging');
});

test('a missing or non-HTTP target is a configuration error naming the component', () => {
  for (const bad of [undefined, '', 'ftp://files', 'http://']) {
    assert.throws(
      () => parseTarget(bad),
      (e: unknown) => e instanceof RepriseError && e.code === 'RPR_CONFIG_INVALID' && e.plugin === 'output-http',
    );
  }
});
