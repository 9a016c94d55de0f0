import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from 'undici';
import { failureReasonOf } from '../src/failure-reason.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });

test('connection failures are named by their system error codes', () => {
  assert.equal(failureReasonOf(withCode('ECONNREFUSED')), 'refused');
  assert.equal(failureReasonOf(withCode('ECONNRESET')), 'reset');
  assert.equal(failureReasonOf(withCode('ENOTFOUND')), 'dns');
});

test('undici errors are named by their codes', () => {
  assert.equal(failureReasonOf(new errors.HeadersTimeoutError()), 'timeout');
  assert.equal(failureReasonOf(new errors.BodyTimeoutError()), 'timeout');
  assert.equal(failureReasonOf(new errors.ConnectTimeoutError()), 'timeout');
  assert.equal(failureReasonOf(new errors.SocketError('other side closed')), 'reset');
  assert.equal(failureReasonOf(new errors.InvalidArgumentError('invalid header')), 'invalid-request');
});

test('certificate failures are named tls, also when wrapped as a cause', () => {
  assert.equal(failureReasonOf(withCode('DEPTH_ZERO_SELF_SIGNED_CERT')), 'tls');
  assert.equal(failureReasonOf(new Error('wrapped', { cause: withCode('SELF_SIGNED_CERT_IN_CHAIN') })), 'tls');
});

test('anything unknown is a plain error', () => {
  assert.equal(failureReasonOf(new Error('what')), 'error');
  assert.equal(failureReasonOf('a string'), 'error');
});
