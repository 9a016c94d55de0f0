import type { Message } from '@reprise/core';

/** Which side of the comparison a replayed response (or a failure) belongs to. */
export type Role = 'baseline' | 'candidate';

/** A replay that produced no response: which side failed and why (`timeout`, `ECONNREFUSED`, …). */
export interface ExchangeError {
  target: Role;
  reason: string;
}

/**
 * One request joined by id with everything answered to it: the unit the analyzer consumes and
 * the run file stores.
 *
 * - `baseline`: the baseline's replayed responses (1, or 2 when noise is learnt from the baseline);
 *   when there is no live baseline, the recorded original alone (`[original]`).
 * - `candidate`: the candidate's replayed responses (1, or 2 when noise is learnt from the candidate
 *   because the baseline is the recorded original); empty when the candidate failed.
 *
 * Replayed responses carry `meta.target` (the URL replayed to) and their latency in nanoseconds.
 * Noise is measured on the side that has two responses: baseline[0] vs baseline[1], else
 * candidate[0] vs candidate[1]; the raw comparison is always baseline[0] vs candidate[0].
 */
export interface Exchange {
  /** The 24-hex id shared by the request and its responses. */
  id: string;
  request: Message;
  /** The recorded response (payload type 2), when the input had one. */
  original?: Message;
  baseline: Message[];
  candidate: Message[];
  errors?: ExchangeError[];
}
