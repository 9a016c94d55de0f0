/**
 * The streaming comparison: `add()` each exchange as it completes, `result()` any time for a
 * report. State is per endpoint and field, never per exchange, so memory stays flat; the same
 * exchanges in the same order always give the same report (the run file replays them).
 */
import { latin1Text, type Message } from '@reprise/core';
import type { Comparator } from './comparator.js';
import { BUILT_IN_COMPARATORS, textComparator } from './comparators/index.js';
import { EndpointNamer } from './endpoint-template.js';
import { EndpointState } from './endpoint-state.js';
import type { Exchange } from './exchange.js';
import { DEFAULT_IGNORED_FIELDS, fieldMatcher } from './ignore-list.js';
import { LatencyTrack } from './latency/latency-track.js';
import type { AnalyzerOptions, ResultOptions } from './options.js';
import { buildReport } from './build-report.js';
import type { CompareReport } from './report.js';
import { ComparedResponse, diffResponses } from './response-diff.js';
import { viewResponse } from './response-view.js';
import { NOISE_PROFILE_VERSION, type NoiseProfile } from './noise-profile.js';

export class Analyzer {
  private readonly endpointStates = new Map<string, EndpointState>();
  private readonly namer: EndpointNamer;
  private readonly isIgnored: (field: string) => boolean;
  private readonly comparators: readonly Comparator[];
  private readonly maxExamples: number;
  private readonly reservoirSize: number;
  private readonly maxEndpoints: number;
  /** All endpoints together, for the global latency deltas. */
  readonly overall: { baseline: LatencyTrack; candidate: LatencyTrack };
  private exchanges = 0;

  constructor(readonly options: AnalyzerOptions = {}) {
    this.namer = new EndpointNamer(options.endpoints);
    this.isIgnored = fieldMatcher(options.ignore ?? DEFAULT_IGNORED_FIELDS);
    this.comparators = [...(options.comparators ?? []), ...BUILT_IN_COMPARATORS] as Comparator[];
    this.maxExamples = options.maxExamples ?? 5;
    this.reservoirSize = options.reservoirSize ?? 2000;
    this.maxEndpoints = options.maxEndpoints ?? 500;
    this.overall = { baseline: new LatencyTrack(this.reservoirSize), candidate: new LatencyTrack(this.reservoirSize) };
  }

  /** Exchanges added so far. */
  get requests(): number {
    return this.exchanges;
  }

  get endpoints(): ReadonlyMap<string, EndpointState> {
    return this.endpointStates;
  }

  add(exchange: Exchange): void {
    this.exchanges++;
    const state = this.endpointOf(exchange.request);
    state.requests++;
    for (const error of exchange.errors ?? []) {
      state.latency[error.target].errors++;
      this.overall[error.target].errors++;
    }
    // A recorded original's latency was measured in production, not against the baseline: not compared.
    for (const m of exchange.baseline) if (m.kind === 'replayed-response') this.recordLatency(state, 'baseline', m);
    for (const m of exchange.candidate) this.recordLatency(state, 'candidate', m);

    const baseline = compared(exchange.baseline);
    const candidate = compared(exchange.candidate);
    // An exchange counts once in the error rate, however many of its replays failed: no response,
    // or a gRPC status other than 0 (OK), which HTTP answers with 200.
    if (exchange.errors?.some((e) => e.target === 'candidate') || candidate.some(isGrpcError)) state.candidateErrors++;
    if (exchange.errors?.some((e) => e.target === 'baseline') || baseline.some(isGrpcError)) state.baselineErrors++;
    const baselineStatus = baseline[0]?.view.grpcStatus;
    if (baselineStatus !== undefined) state.countGrpcStatus('baseline', baselineStatus);
    const candidateStatus = candidate[0]?.view.grpcStatus;
    if (candidateStatus !== undefined) state.countGrpcStatus('candidate', candidateStatus);
    const reference = baseline[0] ?? candidate[0];
    if (!reference) return;
    // Chosen only when two bodies differ: identical bodies (most of real traffic) are never parsed.
    let comparator: Comparator | undefined;
    const comparatorOf = () => (comparator ??= this.comparatorFor(reference));
    if (baseline[0] && candidate[0]) state.addRaw(exchange.id, diffResponses(baseline[0], candidate[0], comparatorOf, this.isIgnored));
    const noisePair = baseline.length >= 2 ? baseline : candidate.length >= 2 ? candidate : undefined;
    if (noisePair) state.addNoise(diffResponses(noisePair[0]!, noisePair[1]!, comparatorOf, this.isIgnored));
  }

  /** The report for everything added so far; may be called repeatedly with other options. */
  result(options: ResultOptions = {}): CompareReport {
    return buildReport(this, options);
  }

  /** The noise learnt so far, as a profile to save (--save-noise). */
  noiseProfile(): NoiseProfile {
    const endpoints: NoiseProfile['endpoints'] = [];
    for (const state of this.endpointStates.values()) {
      if (state.noiseSamples === 0) continue;
      const fields = [...state.fields.values()]
        .filter((f) => f.noise > 0)
        .map((f) => ({ field: f.field, kind: f.kind, rate: f.noise / state.noiseSamples }))
        .sort((a, b) => a.field.localeCompare(b.field) || a.kind.localeCompare(b.kind));
      endpoints.push({ endpoint: state.endpoint, samples: state.noiseSamples, fields });
    }
    endpoints.sort((a, b) => a.endpoint.localeCompare(b.endpoint));
    return { format: 'reprise-noise', version: NOISE_PROFILE_VERSION, createdAt: new Date().toISOString(), endpoints };
  }

  private recordLatency(state: EndpointState, side: 'baseline' | 'candidate', message: Message): void {
    state.latency[side].record(message.latency);
    this.overall[side].record(message.latency);
  }

  /** The first comparator that matches and can parse the reference body; text when none can. */
  private comparatorFor(reference: ComparedResponse): Comparator {
    const { contentType, body } = reference.view;
    for (const c of this.comparators) {
      if (c.matches(contentType, body)) return reference.parse(c).ok ? c : (textComparator as Comparator);
    }
    return textComparator as Comparator;
  }

  private endpointOf(request: Message): EndpointState {
    const [method, target] = requestLine(request.payload);
    let name = this.namer.name(method, target);
    let state = this.endpointStates.get(name);
    if (state) return state;
    if (this.endpointStates.size >= this.maxEndpoints) {
      name = `${method} /(other)`;
      state = this.endpointStates.get(name);
      if (state) return state;
    }
    state = new EndpointState(name, this.reservoirSize, this.maxExamples);
    this.endpointStates.set(name, state);
    return state;
  }
}

function isGrpcError(response: ComparedResponse): boolean {
  const status = response.view.grpcStatus;
  return status !== undefined && status !== '0';
}

function compared(messages: readonly Message[]): ComparedResponse[] {
  const out = new Array<ComparedResponse>(messages.length);
  for (let i = 0; i < messages.length; i++) out[i] = new ComparedResponse(viewResponse(messages[i]!));
  return out;
}

/** Method and target of a request's first line (`GET /x HTTP/1.1`). */
function requestLine(payload: Uint8Array): [string, string] {
  let end = payload.indexOf(0x0a);
  if (end < 0) end = payload.length;
  // Buffer's own latin1 decoder without toString's argument checks, which cost as much here.
  const line = latin1Text(payload, 0, end).trim();
  const sp1 = line.indexOf(' ');
  if (sp1 < 0) return [line.toUpperCase() || 'UNKNOWN', '/'];
  const sp2 = line.indexOf(' ', sp1 + 1);
  return [line.slice(0, sp1).toUpperCase(), sp2 < 0 ? line.slice(sp1 + 1) : line.slice(sp1 + 1, sp2)];
}
