import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RepriseError } from '@reprise/core';
import { parseFailOn, thresholdFails, type FailOnMetrics } from '../src/fail-on.js';

test('expressions parse into metric, scope, operator and value', () => {
  assert.deepEqual(parseFailOn('diff_rate>0.5%'), {
    text: 'diff_rate>0.5%',
    metric: 'diff_rate',
    endpoint: undefined,
    operator: '>',
    value: 0.005,
    unit: 'fraction',
  });
  assert.deepEqual(parseFailOn(' error_rate >= 0.01 '), {
    text: 'error_rate >= 0.01',
    metric: 'error_rate',
    endpoint: undefined,
    operator: '>=',
    value: 0.01,
    unit: 'fraction',
  });
  assert.deepEqual(parseFailOn('diff_rate{endpoint="GET /users/:id"}>1%'), {
    text: 'diff_rate{endpoint="GET /users/:id"}>1%',
    metric: 'diff_rate',
    endpoint: 'GET /users/:id',
    operator: '>',
    value: 0.01,
    unit: 'fraction',
  });
  assert.deepEqual(parseFailOn('p99_delta>10%'), {
    text: 'p99_delta>10%',
    metric: 'p99_delta',
    endpoint: undefined,
    operator: '>',
    value: 0.1,
    unit: 'fraction',
  });
  // The method of an endpoint named by `--endpoint "* /static/*"`.
  assert.equal(parseFailOn('diff_rate{endpoint="* /static/*"}>1%').endpoint, '* /static/*');
  assert.equal(parseFailOn('p50_delta>25ms').unit, 'ms');
  assert.equal(parseFailOn('p50_delta>25').value, 25);
  assert.equal(parseFailOn('status_mismatch_rate<.5%').value, 0.005);
  assert.equal(parseFailOn('p99_delta<=3').operator, '<=');
});

test('a bad expression is RPR_CONFIG_INVALID naming the flag and saying what is expected', () => {
  const cases: Array<[string, RegExp]> = [
    ['diff_rate', /expected METRIC/],
    ['latency>1%', /unknown metric "latency"/],
    ['diff_rate>5', /fraction between 0 and 1 \(did you mean 5%\?\)/],
    ['error_rate>5ms', /is a rate/],
    ['diff_rate{endpoint="users"}>1%', /must be "METHOD \/path"/],
    ['diff_rate{endpoint="get /users"}>1%', /must be "METHOD \/path"/],
    ['diff_rate{endpoint="** /users"}>1%', /must be "METHOD \/path"/],
    ['diff_rate=>1%', /expected METRIC/],
    ['diff_rate>1%%', /expected METRIC/],
  ];
  for (const [text, why] of cases) {
    assert.throws(
      () => parseFailOn(text),
      (e: unknown) =>
        e instanceof RepriseError &&
        e.code === 'RPR_CONFIG_INVALID' &&
        e.option === 'fail-on' &&
        e.message.includes('option fail-on') &&
        why.test(e.message),
      text,
    );
  }
});

test('evaluation: rates as fractions, deltas relative with % and absolute in ms', () => {
  const m: FailOnMetrics = {
    diffRate: 0.01,
    statusMismatchRate: 0,
    errorRate: 0.2,
    p50Delta: 0.15,
    p99Delta: -0.1,
    p50DeltaMs: 3,
    p99DeltaMs: -2,
  };
  assert.equal(thresholdFails(parseFailOn('diff_rate>1%'), m), false, '1% is not above 1%');
  assert.equal(thresholdFails(parseFailOn('diff_rate>=1%'), m), true);
  assert.equal(thresholdFails(parseFailOn('diff_rate>0.009'), m), true);
  assert.equal(thresholdFails(parseFailOn('error_rate<50%'), m), true);
  assert.equal(thresholdFails(parseFailOn('p50_delta>10%'), m), true);
  assert.equal(thresholdFails(parseFailOn('p50_delta>5ms'), m), false);
  assert.equal(thresholdFails(parseFailOn('p50_delta>2'), m), true);
  assert.equal(thresholdFails(parseFailOn('p99_delta>0%'), m), false);
});
