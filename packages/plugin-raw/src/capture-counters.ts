/**
 * What the capture saw and what it lost, counted where it happens and handed to ctx.stats as deltas
 * (so `--stats` and the exit summary show it). Names are the counters users see.
 */
export const COUNTER_NAMES = [
  'packets',
  'bytes',
  'requests',
  'responses',
  /**
   * Holes in a TCP stream: segments that never arrived (kernel drops, snaplen cuts). Each loses at
   * least one message, which is dropped, never replayed corrupted.
   */
  'gaps',
  /** Messages still unfinished when their connection ended or went quiet for --input-raw-expire. */
  'incomplete',
  /** Connections on the port whose bytes are not HTTP/1.x. */
  'non-http',
  /** Segments whose bytes had been seen already. */
  'retransmissions',
  /** Frames the capture cut short (snaplen): their messages are counted in `gaps`. */
  'truncated',
  /** Frames that could not be decoded (truncated, malformed, unknown link layer). */
  'undecodable',
  /** Responses with no request to pair with (the request was lost or never seen). */
  'unpaired',
  /** HTTP/2 streams cancelled by RST_STREAM: the request is recorded, the exchange has no response. */
  'h2-rst-stream',
  /**
   * HTTP/2 connections that cannot be decoded: joined after they began (the HPACK state is unknown),
   * or broken by a hole or a header block that does not decode. Nothing more is recorded from them.
   */
  'h2-unknown-state',
  /** TLS connections (tshark engine) whose keys are not in the key log: counted, nothing from them recorded. */
  'tls-no-keys',
  /** Packets the kernel dropped before the capture read them (when the engine can tell). */
  'kernel-dropped',
  /** Messages dropped because the main thread did not keep up with the capture process. */
  'queue-dropped',
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];

/** Counters that mean data was lost: each also counts as `failed`. */
export const LOSS_COUNTERS: ReadonlySet<CounterName> = new Set(['gaps', 'incomplete', 'unpaired', 'queue-dropped']);

export type Counters = Record<CounterName, number>;

export function newCounters(): Counters {
  const c = {} as Counters;
  for (const name of COUNTER_NAMES) c[name] = 0;
  return c;
}

/** Moves the counts into `add` (ctx.stats.add) and zeroes them. */
export function drainCounters(counters: Counters, add: (name: string, n: number) => void): void {
  let failed = 0;
  for (const name of COUNTER_NAMES) {
    const n = counters[name];
    if (n === 0) continue;
    add(name, n);
    if (LOSS_COUNTERS.has(name)) failed += n;
    counters[name] = 0;
  }
  if (failed > 0) add('failed', failed);
}

/** Adds `from` into `to` (used when counts arrive from the capture process). */
export function addCounters(to: Counters, from: Partial<Record<string, number>>): void {
  for (const name of COUNTER_NAMES) to[name] += from[name] ?? 0;
}
