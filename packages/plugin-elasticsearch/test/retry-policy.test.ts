import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, isRetryable } from '../src/retry-policy.js';

test('429, 5xx and requests that got no answer are retried; other answers are not', { timeout: 5000 }, () => {
  assert.equal(isRetryable({ name: 'ResponseError', statusCode: 429 }), true);
  assert.equal(isRetryable({ name: 'ResponseError', statusCode: 500 }), true);
  assert.equal(isRetryable({ name: 'ResponseError', statusCode: 503 }), true);
  assert.equal(isRetryable({ name: 'ConnectionError' }), true);
  assert.equal(isRetryable({ name: 'TimeoutError' }), true);
  assert.equal(isRetryable({ name: 'ResponseError', statusCode: 400 }), false);
  assert.equal(isRetryable({ name: 'ResponseError', statusCode: 401 }), false);
  assert.equal(isRetryable({ name: 'ProductNotSupportedError' }), false);
});

test('waits double with each attempt, stay within half and all of the ceiling, and are capped', { timeout: 5000 }, () => {
  const settings = { retries: 5, backoffMs: 100, maxBackoffMs: 1000 };
  assert.equal(
    backoffDelayMs(1, settings, () => 0),
    50,
  );
  assert.equal(
    backoffDelayMs(1, settings, () => 0.999999),
    100,
  );
  assert.equal(
    backoffDelayMs(2, settings, () => 0),
    100,
  );
  assert.equal(
    backoffDelayMs(3, settings, () => 0),
    200,
  );
  assert.equal(
    backoffDelayMs(10, settings, () => 0.999999),
    1000,
  );
  assert.equal(
    backoffDelayMs(10, settings, () => 0),
    500,
  );
});
