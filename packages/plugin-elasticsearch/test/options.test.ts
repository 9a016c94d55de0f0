import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RepriseError } from '@reprise/core';
import { validatedOptions } from '@reprise/core/testing';
import { outputElasticsearch } from '../src/index.js';
import { toSettings } from '../src/options.js';
import { settingsFor } from './context.js';

test('defaults are the bulk helper defaults, with a 5 second flush and a 5 second join window', { timeout: 5000 }, () => {
  const settings = settingsFor();
  assert.equal(settings.flushBytes, 5 * 1024 * 1024);
  assert.equal(settings.concurrency, 5);
  assert.equal(settings.flushIntervalMs, 5000);
  assert.equal(settings.joinWindowMs, 5000);
  assert.equal(settings.retries, 3);
  assert.equal(settings.retryBackoffMs, 500);
  assert.equal(settings.bodyLimitBytes, 16 * 1024);
  assert.equal(settings.includeBodies, false);
  assert.equal(settings.keepSensitiveHeaders, false);
  assert.equal(settings.responses, 'auto');
});

test('durations and sizes are parsed, and a bad one names its flag', { timeout: 5000 }, () => {
  const settings = settingsFor({ joinWindow: '1m30s', bodyLimit: '1mb', flushInterval: '250ms' });
  assert.equal(settings.joinWindowMs, 90_000);
  assert.equal(settings.bodyLimitBytes, 1024 * 1024);
  assert.equal(settings.flushIntervalMs, 250);
  assert.throws(
    // past the schema's own check, toSettings still names the flag
    () => toSettings({ ...validatedOptions(outputElasticsearch), joinWindow: 'soon' }, 'output-http-elasticsearch'),
    (error: unknown) => error instanceof RepriseError && error.message.includes('--output-http-elasticsearch-join-window'),
  );
  assert.throws(
    () => settingsFor({ flushInterval: '0s' }),
    (error: unknown) => error instanceof RepriseError && error.option === 'flushInterval',
  );
});
