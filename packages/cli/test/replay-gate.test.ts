import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RepriseError } from '@reprise/core';
import { InstanceStats } from '@reprise/engine';
import { failedReplayGates, parseReplayGate } from '../src/replay-gate.js';

function output(label: string, counters: Record<string, number>): InstanceStats {
  const stats = new InstanceStats(label);
  for (const [name, n] of Object.entries(counters)) stats.add(name, n);
  return stats;
}

test('each output is judged on its own requests: a dead target is not diluted by a file output', () => {
  const gates = parseReplayGate(['error_rate>5%']);
  const http = output('output-http http://staging', { out: 120, skipped: 20, failed: 6 }); // 6 of 100 requests
  const file = output('output-file requests.gor', { out: 1000 });
  assert.deepEqual(failedReplayGates(gates, [file, http]), ['error_rate>5% (output-http http://staging: 6 of 100 requests failed)']);
  assert.deepEqual(failedReplayGates(parseReplayGate(['error_rate>6%']), [file, http]), []);
  assert.deepEqual(failedReplayGates(parseReplayGate(['error_rate>=6%']), [http]).length, 1);
  assert.deepEqual(failedReplayGates(gates, [output('output-http idle', {})]), [], 'an output that sent nothing cannot fail');
});

test('only error_rate, without an endpoint, makes sense for a replay', () => {
  for (const text of ['diff_rate>1%', 'p99_delta>10%', 'error_rate{endpoint="GET /x"}>1%']) {
    assert.throws(
      () => parseReplayGate([text]),
      (e: RepriseError) => e.code === 'RPR_CONFIG_INVALID' && e.option === 'fail-on',
      text,
    );
  }
  assert.throws(
    () => parseReplayGate(['error_rate>>1']),
    (e: RepriseError) => e.code === 'RPR_CONFIG_INVALID',
  );
});
