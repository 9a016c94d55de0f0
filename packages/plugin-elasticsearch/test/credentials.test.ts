import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RepriseError } from '@reprise/core';
import { resolveCredentials } from '../src/credentials.js';

const component = 'output-elasticsearch';

test('an API key from the environment wins over a user and password', { timeout: 5000 }, () => {
  const result = resolveCredentials({
    env: { REPRISE_ES_API_KEY: 'key', REPRISE_ES_USERNAME: 'u', REPRISE_ES_PASSWORD: 'p' },
    address: {},
    component,
  });
  assert.deepEqual(result, { credentials: { apiKey: 'key' }, source: 'environment' });
});

test('a user and password come from the environment, then from the address', { timeout: 5000 }, () => {
  assert.deepEqual(
    resolveCredentials({
      env: { REPRISE_ES_USERNAME: 'u', REPRISE_ES_PASSWORD: 'p' },
      address: { username: 'a', password: 'b' },
      component,
    }),
    { credentials: { username: 'u', password: 'p' }, source: 'environment' },
  );
  assert.deepEqual(resolveCredentials({ env: {}, address: { username: 'a', password: 'b' }, component }), {
    credentials: { username: 'a', password: 'b' },
    source: 'address',
  });
  assert.deepEqual(resolveCredentials({ env: {}, address: {}, component }), { source: 'none' });
});

test('a credentials file wins over the environment and is read as JSON', { timeout: 5000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-es-creds-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'creds.json');
  writeFileSync(file, JSON.stringify({ username: 'elastic', password: 'changeme' }));
  assert.deepEqual(resolveCredentials({ credentialsFile: file, env: { REPRISE_ES_API_KEY: 'key' }, address: {}, component }), {
    credentials: { username: 'elastic', password: 'changeme' },
    source: 'file',
  });
  writeFileSync(file, JSON.stringify({ apiKey: 'abc' }));
  assert.deepEqual(resolveCredentials({ credentialsFile: file, env: {}, address: {}, component }).credentials, { apiKey: 'abc' });
});

test('a broken credentials file is an error that names the option and never quotes the file', { timeout: 5000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-es-creds-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'creds.json');
  writeFileSync(file, 'password=supersecret');
  const isSafeError = (error: unknown) =>
    error instanceof RepriseError && error.option === 'credentialsFile' && !error.message.includes('supersecret');
  assert.throws(() => resolveCredentials({ credentialsFile: file, env: {}, address: {}, component }), isSafeError);
  writeFileSync(file, JSON.stringify({ token: 'supersecret' }));
  assert.throws(() => resolveCredentials({ credentialsFile: file, env: {}, address: {}, component }), isSafeError);
  assert.throws(() => resolveCredentials({ credentialsFile: join(dir, 'missing.json'), env: {}, address: {}, component }), isSafeError);
});

test('a password without a user in the environment is a configuration error', { timeout: 5000 }, () => {
  assert.throws(
    () => resolveCredentials({ env: { REPRISE_ES_PASSWORD: 'p' }, address: {}, component }),
    (error: unknown) => error instanceof RepriseError && error.code === 'RPR_CONFIG_INVALID' && !error.message.includes(': p'),
  );
});
