import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DifferenceKind } from '../src/comparator.js';
import { jsonComparator } from '../src/comparators/index.js';
import { readJson } from '../src/comparators/parsed-json.js';

/** Both ways of comparing (parsed, and byte-wise against the baseline's layout) must agree. */
function diff(a: unknown, b: unknown): string[] {
  const bytesA = Buffer.from(JSON.stringify(a));
  const bytesB = Buffer.from(JSON.stringify(b));
  const parsed: string[] = [];
  jsonComparator.compare(readJson(bytesA), readJson(bytesB), (path: string, kind: DifferenceKind) => parsed.push(`${path} ${kind}`));
  const byteWise: string[] = [];
  const done = jsonComparator.compareBytes?.(bytesA, readJson(bytesA), bytesB, (path: string, kind: DifferenceKind) =>
    byteWise.push(`${path} ${kind}`),
  );
  assert.equal(done, true);
  const folded = (out: string[]) => [...new Set(out)].sort(); // folded array paths repeat; the analyzer counts each once
  assert.deepEqual(folded(byteWise), folded(parsed));
  return folded(parsed);
}

test('objects are compared key by key: changed, missing (not in the candidate), extra, type', () => {
  const a = { user: { email: 'a@x', age: 3, tags: null }, gone: 1 };
  const b = { user: { email: 'b@x', age: '3', tags: null }, added: true };
  assert.deepEqual(diff(a, b), ['added extra', 'gone missing', 'user.age type', 'user.email changed']);
  assert.deepEqual(diff(a, structuredClone(a)), []);
});

test('array elements fold into one path, nested arrays too', () => {
  const a = {
    items: [
      { price: 1, sku: 'a' },
      { price: 2, sku: 'b' },
    ],
    grid: [[{ v: 1 }]],
  };
  const b = {
    items: [
      { price: 1, sku: 'a' },
      { price: 3, sku: 'b' },
    ],
    grid: [[{ v: 2 }]],
  };
  assert.deepEqual(diff(a, b), ['grid[][].v changed', 'items[].price changed']);
  assert.deepEqual(diff([{ id: 1 }], [{ id: 2 }]), ['[].id changed'], 'a top-level array');
});

test('arrays of scalars are multisets: a shuffle is no difference, a changed count is', () => {
  assert.deepEqual(diff({ tags: ['a', 'b', 'c', 1, null] }, { tags: [null, 'c', 1, 'a', 'b'] }), []);
  assert.deepEqual(diff({ tags: ['a', 'b'] }, { tags: ['a', 'c'] }), ['tags[] changed']);
  assert.deepEqual(diff({ tags: ['a', 'b'] }, { tags: ['a'] }), ['tags[] missing']);
  assert.deepEqual(diff({ tags: ['a'] }, { tags: ['a', 'a'] }), ['tags[] extra']);
});

test('arrays of objects are compared by index; surplus elements are missing or extra', () => {
  assert.deepEqual(diff({ items: [{ id: 1 }, { id: 2 }] }, { items: [{ id: 1 }] }), ['items[] missing']);
  assert.deepEqual(diff({ items: [{ id: 1 }] }, { items: [{ id: 1 }, { id: 2 }] }), ['items[] extra']);
  assert.deepEqual(diff({ items: [{ id: 1 }, { id: 2 }] }, { items: [{ id: 2 }, { id: 1 }] }), ['items[].id changed']);
});

test('keys that would make an ambiguous path are quoted', () => {
  assert.deepEqual(diff({ 'a.b': 1 }, { 'a.b': 2 }), ['["a.b"] changed']);
  assert.deepEqual(diff({ x: { 'a.b': 1 } }, { x: { 'a.b': 2 } }), ['x["a.b"] changed']);
});

test('json matches JSON media types and untyped bodies that start like JSON', () => {
  assert.equal(jsonComparator.matches('application/json', Buffer.from('1')), true);
  assert.equal(jsonComparator.matches('application/problem+json', Buffer.from('{}')), true);
  assert.equal(jsonComparator.matches('', Buffer.from('  {"a":1}')), true);
  assert.equal(jsonComparator.matches('text/html', Buffer.from('{"a":1}')), false);
  assert.equal(jsonComparator.matches('', Buffer.from('hello')), false);
});
