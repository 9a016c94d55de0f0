/**
 * GoReplay's --output-http-stats: every period, how full the replay window was when requests were
 * handed over (latest, mean, max, count, count per second, as GoReplay prints them) and how long the
 * answered requests took. Pure: fed samples, asked for a line.
 */
export class ReplayStats {
  private queueLatest = 0;
  private queueSum = 0;
  private queueMax = 0;
  private writes = 0;
  private latencySumMs = 0;
  private latencyMaxMs = 0;
  private answered = 0;
  /** gRPC answers of the period by grpc-status ('missing' when none); empty without gRPC traffic. */
  private grpcStatuses = new Map<string, number>();

  /** Requests in flight or waiting for a connection, sampled at each request handed over. */
  sampleQueue(length: number): void {
    this.queueLatest = length;
    this.queueSum += length;
    if (length > this.queueMax) this.queueMax = length;
    this.writes++;
  }

  sampleLatency(ms: number): void {
    this.latencySumMs += ms;
    if (ms > this.latencyMaxMs) this.latencyMaxMs = ms;
    this.answered++;
  }

  sampleGrpcStatus(status: number | undefined): void {
    const key = status === undefined ? 'missing' : String(status);
    this.grpcStatuses.set(key, (this.grpcStatuses.get(key) ?? 0) + 1);
  }

  /** The period's line, then a fresh period. */
  takeLine(periodMs: number): string {
    const mean = this.writes ? Math.round(this.queueSum / this.writes) : 0;
    const perSecond = Math.round((this.writes * 1000) / periodMs);
    const latencyMean = this.answered ? this.latencySumMs / this.answered : 0;
    const line =
      `queue latest,mean,max,count,count/second: ${this.queueLatest},${mean},${this.queueMax},${this.writes},${perSecond}; ` +
      `latency ms mean,max: ${latencyMean.toFixed(1)},${this.latencyMaxMs.toFixed(1)} over ${this.answered} responses` +
      (this.grpcStatuses.size ? `; grpc-status ${[...this.grpcStatuses].map(([s, n]) => `${s}:${n}`).join(',')}` : '');
    this.grpcStatuses = new Map();
    this.queueLatest = this.queueSum = this.queueMax = this.writes = 0;
    this.latencySumMs = this.latencyMaxMs = this.answered = 0;
    return line;
  }
}
