/** One side's latencies on one endpoint: an HDR histogram for percentiles, a reservoir for the rank test. */
import hdr from 'hdr-histogram-js';
import type { LatencySummary } from '../report.js';
import { Reservoir } from './reservoir.js';

export class LatencyTrack {
  /**
   * Microseconds, 2 significant digits (values within 1%, far below the 10% effect looked for): a
   * few KiB per endpoint and side, growing to the largest latency seen; 32-bit counts record fast.
   */
  private readonly histogram = hdr.build({ bitBucketSize: 32, numberOfSignificantValueDigits: 2 });
  /** Milliseconds. */
  readonly reservoir: Reservoir;
  errors = 0;

  constructor(reservoirSize: number) {
    this.reservoir = new Reservoir(reservoirSize);
  }

  /** A response's latency in nanoseconds; 0 (unknown) is recorded as 0, a negative one (clock skew) as 0. */
  record(latencyNs: bigint): void {
    const micros = latencyNs > 0n ? Math.floor(Number(latencyNs) / 1000) : 0;
    this.histogram.recordValue(micros);
    this.reservoir.add(micros / 1000);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  summary(): LatencySummary {
    const max = this.count === 0 ? 0 : this.histogram.maxValue;
    // HDR answers with the top of a percentile's bucket, which can lie above every recorded value:
    // clamped, so no percentile reads higher than the max (the exact largest value recorded).
    const ms = (percentile: number) => (this.count === 0 ? 0 : Math.min(this.histogram.getValueAtPercentile(percentile), max) / 1000);
    return {
      count: this.count,
      errors: this.errors,
      p50: ms(50),
      p90: ms(90),
      p95: ms(95),
      p99: ms(99),
      p999: ms(99.9),
      max: max / 1000,
    };
  }
}
