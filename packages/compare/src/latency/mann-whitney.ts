/**
 * One-sided Mann–Whitney U test for "y tends to be larger than x", with the normal approximation,
 * tie correction and continuity correction. Rank-based: robust to the long tails of latencies and
 * insensitive to the mean being pulled by a few outliers.
 */
export interface MannWhitneyResult {
  /** U of y: pairs (x, y) with y > x, ties counting one half. */
  u: number;
  z: number;
  /** P(U ≥ u) under "same distribution"; 1 when either sample is empty. */
  pValue: number;
}

export function mannWhitneyGreater(x: ArrayLike<number>, y: ArrayLike<number>): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u: 0, z: 0, pValue: 1 };
  const n = n1 + n2;
  // Sort indices of the pooled sample; values from y are flagged by index >= n1.
  const values = new Float64Array(n);
  for (let i = 0; i < n1; i++) values[i] = x[i]!;
  for (let i = 0; i < n2; i++) values[n1 + i] = y[i]!;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  let rankSumY = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const rank = (i + j) / 2 + 1; // average rank, 1-based
    const t = j - i + 1;
    if (t > 1) tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) if (order[k]! >= n1) rankSumY += rank;
    i = j + 1;
  }
  const u = rankSumY - (n2 * (n2 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, z: 0, pValue: 1 };
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, z, pValue: Math.min(1, Math.max(0, upperTailNormal(z))) };
}

/** P(Z ≥ z) for a standard normal Z. */
export function upperTailNormal(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
