import { test } from 'node:test';
import assert from 'node:assert/strict';
import { methodOf, rolesFor, shuffle } from '../src/compare/replay-plan.js';

const live = { baseline: 'http://old', candidate: 'http://new', allowSideEffects: false };
const recorded = { candidate: 'http://new', allowSideEffects: false };

test('safe methods go twice to each live side, others once; with the recording as baseline, the candidate alone', () => {
  for (const method of ['GET', 'HEAD', 'OPTIONS']) {
    assert.deepEqual(rolesFor(method, live), ['baseline', 'baseline', 'candidate', 'candidate']);
    assert.deepEqual(rolesFor(method, recorded), ['candidate', 'candidate']);
  }
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    assert.deepEqual(rolesFor(method, live), ['baseline', 'candidate']);
    assert.deepEqual(rolesFor(method, recorded), ['candidate']);
  }
  assert.deepEqual(rolesFor('POST', { ...live, allowSideEffects: true }), ['baseline', 'baseline', 'candidate', 'candidate']);
});

test('the method is read from the request line', () => {
  assert.equal(methodOf(Buffer.from('OPTIONS * HTTP/1.1\r\n\r\n')), 'OPTIONS');
  assert.equal(methodOf(Buffer.from('garbage')), 'garbage');
});

test("shuffling gives every order of a request's replays, so neither side is always first", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) seen.add(shuffle(['baseline', 'candidate']).join(','));
  assert.deepEqual([...seen].sort(), ['baseline,candidate', 'candidate,baseline']);
});
