/**
 * What the analyzer keeps per endpoint: counters, one entry per differing field and kind (with at
 * most `maxExamples` examples) and the latency tracks. Nothing grows with the number of exchanges.
 */
import type { DifferenceKind } from './comparator.js';
import type { DifferenceExample } from './report.js';
import { LatencyTrack } from './latency/latency-track.js';
import type { PairDifferences } from './response-diff.js';

export interface FieldState {
  /** `field\0kind`, as in the analyzer's maps. */
  key: string;
  field: string;
  kind: DifferenceKind;
  /** Exchanges where baseline and candidate differed this way. */
  raw: number;
  /** Noise pairs (two responses of one side) that differed this way. */
  noise: number;
  examples: DifferenceExample[];
}

/** Distinct sets of differing fields kept per endpoint for diff_rate; beyond, they are pooled. */
const MAX_SIGNATURES = 1000;
/** Distinct fields kept per endpoint; beyond, differences are counted under `body.(other)`. */
const MAX_FIELDS = 2000;
const OTHER_FIELD = 'body.(other)';
/** Distinct grpc-status values counted per endpoint and side; beyond, they are counted as `other`. */
const MAX_GRPC_STATUSES = 32;
const EXAMPLE_TEXT_LIMIT = 2000;

export class EndpointState {
  requests = 0;
  compared = 0;
  noiseSamples = 0;
  statusMismatches = 0;
  candidateErrors = 0;
  baselineErrors = 0;
  readonly fields = new Map<string, FieldState>();
  /** Sorted field keys of an exchange's raw differences → exchanges with exactly that set. */
  readonly signatures = new Map<string, { count: number; keys: string[] }>();
  readonly pooledSignatures = { count: 0, keys: new Set<string>() };
  readonly latency: { baseline: LatencyTrack; candidate: LatencyTrack };
  /** gRPC status → exchanges whose first response of that side had it (gRPC responses only). */
  readonly grpcStatuses = { baseline: new Map<string, number>(), candidate: new Map<string, number>() };

  constructor(
    readonly endpoint: string,
    reservoirSize: number,
    private readonly maxExamples: number,
  ) {
    this.latency = { baseline: new LatencyTrack(reservoirSize), candidate: new LatencyTrack(reservoirSize) };
  }

  addRaw(id: string, differences: PairDifferences): void {
    this.compared++;
    if (differences.size === 0) return;
    const keys: string[] = [];
    let statusDiffers = false;
    for (const [key, d] of differences) {
      // A gRPC call's status is its grpc-status (HTTP says 200 either way).
      if (d.field === 'status' || d.field === 'grpc-status') statusDiffers = true;
      const state = this.field(key, d.field, d.kind);
      if (state.field === OTHER_FIELD && keys.includes(state.key)) continue; // once per exchange, like any field
      keys.push(state.key);
      state.raw++;
      if (state.examples.length < this.maxExamples)
        state.examples.push({ id, baseline: exampleText(d.baseline), candidate: exampleText(d.candidate) });
    }
    if (statusDiffers) this.statusMismatches++;
    keys.sort();
    const signature = keys.join('\u0001');
    const known = this.signatures.get(signature);
    if (known) known.count++;
    else if (this.signatures.size < MAX_SIGNATURES) this.signatures.set(signature, { count: 1, keys });
    else {
      this.pooledSignatures.count++;
      for (const k of keys) this.pooledSignatures.keys.add(k);
    }
  }

  addNoise(differences: PairDifferences): void {
    this.noiseSamples++;
    const pooled: FieldState[] = [];
    for (const [key, d] of differences) {
      const state = this.field(key, d.field, d.kind);
      if (state.field === OTHER_FIELD) {
        if (pooled.includes(state)) continue;
        pooled.push(state);
      }
      state.noise++;
    }
  }

  countGrpcStatus(side: 'baseline' | 'candidate', status: string): void {
    const counts = this.grpcStatuses[side];
    // gRPC defines 17 codes; a server sending many other values must not grow the state.
    const key = counts.has(status) || counts.size < MAX_GRPC_STATUSES ? status : 'other';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }

  /** Exchanges with at least one difference among `reported` (field keys). */
  exchangesDiffering(reported: ReadonlySet<string>): number {
    if (reported.size === 0) return 0;
    let n = 0;
    for (const s of this.signatures.values()) if (s.keys.some((k) => reported.has(k))) n += s.count;
    for (const k of this.pooledSignatures.keys) {
      if (reported.has(k)) return n + this.pooledSignatures.count; // pooled: counted as differing
    }
    return n;
  }

  private field(key: string, field: string, kind: DifferenceKind): FieldState {
    let state = this.fields.get(key);
    if (state) return state;
    const other = `${OTHER_FIELD}\u0000${kind}`;
    if (this.fields.size >= MAX_FIELDS && key !== other) return this.field(other, OTHER_FIELD, kind);
    state = { key, field, kind, raw: 0, noise: 0, examples: [] };
    this.fields.set(key, state);
    return state;
  }
}

function exampleText(value: unknown): string | null {
  if (value === undefined) return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > EXAMPLE_TEXT_LIMIT ? `${text.slice(0, EXAMPLE_TEXT_LIMIT)}…` : text;
}
