/**
 * What crosses the isolate boundary, shared by the host (script-sandbox.ts) and the prelude that runs in
 * the isolate (sandbox-prelude.ts). Types only.
 *
 * One call per batch: the host packs the messages into a `BatchInput`, the prelude runs the hooks over
 * them and returns a `BatchResult` (both copied across, never shared).
 */

import type { ScriptStoreLimits } from './script-store.js';

/** A message's kind on the wire: request, response, replayed response. */
export type KindCode = '1' | '2' | '3';

export type HookName = 'request' | 'response' | 'replayedResponse';

export interface BatchInput {
  /** One `KindCode` character per message. */
  kinds: string;
  /** All payloads as one latin1 string (one char per byte); message i spans offsets[i]..offsets[i+1]. */
  payloads: string;
  offsets: Uint32Array;
  /** The first message to process (a batch is resumed after a timeout). */
  start: number;
  /** The call's number, by which `partial` finds what it produced if it timed out. */
  call: number;
  /** Sent with a batch that runs on the isolate's own thread; otherwise the prelude asks for them (DetailsCall). */
  ids?: string;
  timestamps?: BigUint64Array;
}

/**
 * The output messages, one row of six numbers each (ROW_WIDTH in the prelude and the host), in this order: source (index of
 * the input message it came from), keep, middleStart, middleEnd, resumeAt, checkFrom (where a .gor record
 * separator in the new payload would be the script's doing: the host refuses it). An output's payload is
 * its source's bytes 0..keep, then middles[middleStart..middleEnd], then the source's bytes from resumeAt;
 * keep is -1 when the message is unchanged (the host reuses the input message); outputs spliced after a kept
 * prefix (keep > 0) may share a middle's range. Only the changed middle
 * crosses back (the host splices it into the bytes it packed), so adding a header does not copy the
 * request out; a payload rebuilt as a whole comes back whole (keep 0, resumeAt its length). One typed
 * array, not a column each: it copies out of the isolate in one piece.
 */
export type OutputRows = Int32Array;

/** An output whose id the script changed (checked again by the host: ids go into .gor record headers). */
export interface IdChange {
  /** Row in `OutputRows`. */
  output: number;
  id: string;
}

/** A hook that threw on a message; its outputs were withdrawn. */
export interface HookFailure {
  /** Index of the input message. */
  index: number;
  hook: HookName;
  /** `invalid`: the script set a field to a value that would corrupt the message. */
  kind: 'error' | 'invalid';
  /** `Name: message` of what was thrown. */
  message: string;
  stack: string;
}

export interface BatchResult {
  outputs: OutputRows;
  /** The changed parts of the output payloads, joined (latin1). */
  middles: string;
  idChanges: IdChange[];
  failures: HookFailure[];
  /** console lines, each starting with its level. */
  logs: string[];
  logsLeftOut: number;
  /** Messages the hooks dropped (returned null or an empty array). */
  dropped: number;
  /** The message in hand when the call ended (the batch's length once it is done). */
  inHand: number;
  /** What the call changed in the script's store, net: key and JSON, or null for a delete. */
  storeChanges: [string, string | null][];
}

/** The ids and timestamps of the batch in hand, which the prelude asks the host for when it needs them (DetailsCall). */
export interface BatchDetails {
  /** The message ids, joined with '\n'. */
  ids: string;
  /** Nanoseconds, one per message. */
  timestamps: BigUint64Array;
}

/**
 * Called synchronously by the prelude with a call's number, when its batch came without them: at most once
 * per call, during it or (a view a script kept) soon after; null once the host no longer has that batch.
 */
export type DetailsCall = (call: number) => BatchDetails | null;

/** The prelude module's exports, which the host calls. */
export interface SandboxApi {
  /** Takes the script module's namespace; returns the hooks it exports. */
  install(namespace: Record<string, unknown>): HookName[];
  run(input: BatchInput): BatchResult;
  /** After a timeout: what that call had produced, without the message in hand (null if it finished or is unknown). */
  partial(call: number): BatchResult | null;
  /** Fills the isolate's store with the host's copy (a new isolate, or one rebuilt), and makes the `store` global. */
  bindStore(entries: [string, string][], limits: ScriptStoreLimits): void;
  /** Everything the isolate's store holds (the host takes it after a timeout). */
  dumpStore(): [string, string][];
  bindDetails(call: DetailsCall): void;
}
