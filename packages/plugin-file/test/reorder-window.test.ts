import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReorderWindow } from '../src/reorder-window.js';

test('items pushed in any order come out sorted by key, equal keys in arrival order', { timeout: 30_000 }, () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 300 }), (keys) => {
      const window = new ReorderWindow<number>();
      for (const [i, key] of keys.entries()) window.push(i, key);
      assert.equal(window.size, keys.length);
      const out: number[] = [];
      for (let i = window.pop(); i !== undefined; i = window.pop()) out.push(i);
      const expected = keys
        .map((key, i) => ({ key, i }))
        .sort((a, b) => a.key - b.key || a.i - b.i)
        .map((x) => x.i);
      assert.deepEqual(out, expected);
      assert.equal(window.size, 0);
      assert.equal(window.peekKey(), undefined);
    }),
    { numRuns: 300 },
  );
});

test('pushes and pops interleaved keep the smallest key at the front', { timeout: 30_000 }, () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(-1)), { maxLength: 400 }), (ops) => {
      const window = new ReorderWindow<number>();
      const model: number[] = [];
      for (const op of ops) {
        if (op >= 0) {
          window.push(op, op);
          model.push(op);
        } else {
          model.sort((a, b) => a - b);
          assert.equal(window.peekKey(), model[0]);
          assert.equal(window.pop(), model.shift());
        }
        assert.equal(window.size, model.length);
      }
    }),
    { numRuns: 300 },
  );
});

test('a long in-order run is drained in order across the internal compaction', { timeout: 10_000 }, () => {
  const window = new ReorderWindow<number>();
  let next = 0;
  for (let i = 0; i < 20_000; i++) {
    window.push(i, i);
    if (i % 3 === 0) assert.equal(window.pop(), next++);
  }
  for (let i = window.pop(); i !== undefined; i = window.pop()) assert.equal(i, next++);
  assert.equal(next, 20_000);
});
