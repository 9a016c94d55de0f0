import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mannWhitneyGreater, upperTailNormal } from '../src/latency/mann-whitney.js';
import { Reservoir } from '../src/latency/reservoir.js';

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not ${expected} ± ${tolerance}`);
}

test('the normal upper tail matches tabulated values', () => {
  close(upperTailNormal(0), 0.5, 1e-7, 'P(Z≥0)');
  close(upperTailNormal(1.959964), 0.025, 1e-6, 'P(Z≥1.96)');
  close(upperTailNormal(2.326348), 0.01, 1e-6, 'P(Z≥2.33)');
  close(upperTailNormal(-1.644854), 0.95, 1e-6, 'P(Z≥-1.64)');
});

test('Mann–Whitney U: complete separation of 5 and 5 (U = 25, z = 2.5067, p = 0.00609)', () => {
  // mean 12.5, variance 5·5·11/12, continuity correction 0.5: z = 12/4.78714 = 2.50671.
  const r = mannWhitneyGreater([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
  assert.equal(r.u, 25);
  close(r.z, 2.50671, 1e-5, 'z');
  close(r.pValue, 0.0060929, 1e-6, 'p');
  assert.ok(mannWhitneyGreater([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]).pValue > 0.99, 'one-sided: a faster candidate is no regression');
});

test('Mann–Whitney U with ties uses average ranks and the tie-corrected variance', () => {
  // x = [1,2,2,3], y = [2,3,3,4]: U_y = 13 (pairs with y > x, ties counting ½: 2 + 3.5 + 3.5 + 4);
  // ties: 2 ×3, 3 ×3 → Σ(t³−t) = 48; variance = 16/12 · (9 − 48/56) = 10.857; z = (13 − 8 − 0.5)/3.2950 = 1.36570.
  const r = mannWhitneyGreater([1, 2, 2, 3], [2, 3, 3, 4]);
  assert.equal(r.u, 13);
  close(r.z, 1.3657, 1e-5, 'z');
  close(r.pValue, 0.086017, 1e-6, 'p');
});

test('identical or empty samples give no evidence', () => {
  assert.equal(mannWhitneyGreater([3, 3, 3], [3, 3, 3]).pValue, 1);
  assert.equal(mannWhitneyGreater([], [1, 2]).pValue, 1);
  close(mannWhitneyGreater([1, 2, 3, 4], [1, 2, 3, 4]).pValue, 0.5, 0.2, 'same values');
});

test('the reservoir keeps a bounded, reproducible uniform sample', () => {
  const a = new Reservoir(100);
  const b = new Reservoir(100);
  for (let i = 0; i < 100_000; i++) {
    a.add(i);
    b.add(i);
  }
  assert.equal(a.values().length, 100);
  assert.deepEqual(a.values(), b.values());
  const mean = a.values().reduce((s, v) => s + v, 0) / 100;
  assert.ok(mean > 35_000 && mean < 65_000, `a uniform sample's mean is near the middle: ${mean}`);
});
