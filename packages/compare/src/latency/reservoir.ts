/**
 * A fixed-size uniform sample of a stream (Vitter's algorithm R) with a seeded generator, so the
 * same stream always keeps the same sample: a report rebuilt from the run file equals the live one.
 */
export class Reservoir {
  private readonly samples: Float64Array;
  private seen = 0;
  private readonly random: () => number;

  constructor(
    readonly capacity: number,
    seed = 0x9e3779b9,
  ) {
    this.samples = new Float64Array(capacity);
    this.random = mulberry32(seed);
  }

  add(value: number): void {
    if (this.seen < this.capacity) this.samples[this.seen] = value;
    else {
      const slot = Math.floor(this.random() * (this.seen + 1));
      if (slot < this.capacity) this.samples[slot] = value;
    }
    this.seen++;
  }

  /** The sample so far (a view: at most `capacity` values). */
  values(): Float64Array {
    return this.samples.subarray(0, Math.min(this.seen, this.capacity));
  }
}

/** mulberry32: a small, fast, seeded generator of numbers in [0, 1); good enough for sampling. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
