/**
 * One middleware script in its own isolate (isolated-vm): compiles the ES module, runs its hooks over
 * whole batches in one call each (on isolated-vm's thread in a run, see runBatchOffThread; synchronous
 * in `middleware test`), and contains failures. A throw affects only the message in hand (caught inside
 * the isolate); a timeout or an exhausted heap ends the call, so the batch is resumed after the message
 * in hand, in a rebuilt isolate. A rebuild resets module state, not the script's `store`: the isolate
 * holds the store the script uses, and the host a copy that each call's changes keep up to date, from
 * which a rebuilt isolate is filled.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ivm from 'isolated-vm';
import { GOR_SEPARATOR, RepriseError, type Message } from '@reprise/core';
import type { BatchDetails, BatchInput, BatchResult, DetailsCall, HookName, KindCode, SandboxApi } from './sandbox-wire.js';
import { DEFAULT_STORE_LIMITS, ScriptStore, type ScriptStoreLimits } from './script-store.js';
import { payloadView } from './payload-view.js';

export interface ScriptSandboxOptions {
  /** Path of the script (an ES module). */
  file: string;
  /** Heap limit of the isolate, in MB (isolated-vm's minimum is 8). */
  memoryLimitMb: number;
  /** Time limit of one hook call, in ms. */
  timeLimitMs: number;
  /** Bounds of the script's `store` (default 10,000 keys, 1,000,000 characters). */
  storeLimits?: ScriptStoreLimits;
}

/** `invalid`: the script set a field to a value that would corrupt the message (a bad id, a header value with a line break). */
export type ScriptFailureKind = 'error' | 'timeout' | 'memory' | 'invalid';

export interface ScriptFailure {
  /** Index of the message in the batch. */
  index: number;
  hook: HookName;
  kind: ScriptFailureKind;
  message: string;
  /** `file:line:column` in the script when known, else the file. */
  location: string;
}

export interface BatchOutcome {
  /** In input order; a dropped message has none, an amplified one several. */
  outputs: Message[];
  /** For each output, the index of the input message it came from (two arrays: no object per output). */
  sources: number[];
  failures: ScriptFailure[];
  /** console lines, each starting with its level. */
  logs: string[];
  logsLeftOut: number;
  /** How many times the isolate was rebuilt during this batch. */
  rebuilds: number;
  /** Messages the script dropped on purpose (returned null or an empty array). */
  dropped: number;
}

/** A batch packed for the isolate, and the input messages (reused as they are when the script left them unchanged). */
interface PackedBatch {
  kinds: string;
  offsets: Uint32Array;
  /** The payloads, one after the other (a call gets them as a latin1 string; spliced outputs are copied from them). */
  payloads: Buffer;
  /**
   * When the batch has a buffer of its own: that buffer, whose first `room` bytes are kept free before the
   * payloads for the first outputs collected (new payloads are spliced there, next to what they are cut from).
   */
  own: { buffer: Buffer; room: number } | undefined;
  details: BatchDetails | undefined;
  messages: readonly Message[];
}

/** Calls whose batches the prelude may still ask about: those in flight (up to three) and a few before. */
const REMEMBERED_CALLS = 8;
const KIND_CODE: Record<Message['kind'], KindCode> = { request: '1', response: '2', 'replayed-response': '3' };
const TIMEOUT_TEXT = 'Script execution timed out';
const ID_PATTERN = /^[0-9a-f]{24}$/;
/** A byte of every .gor record separator (0xf0, the first of its UTF-8 monkeys). */
const SEPARATOR_BYTE = GOR_SEPARATOR[1]!;
/**
 * The prelude and the store it imports are compiled by tsc like the rest of the package, and their built
 * files are what the isolate runs (the package's dist is one folder up from both src and dist, so this
 * holds for either).
 */
const PRELUDE_FILE = fileURLToPath(new URL('../dist/sandbox-prelude.js', import.meta.url));
const STORE_FILE = fileURLToPath(new URL('../dist/script-store.js', import.meta.url));
/** The one module the prelude imports. */
const STORE_SPECIFIER = './script-store.js';
const builtSources = new Map<string, string>();

function readBuilt(file: string): string {
  let source = builtSources.get(file);
  if (source !== undefined) return source;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RepriseError(
      'RPR_INTERNAL',
      `cannot read the script sandbox's module ${file} (is the package built?): ${(error as Error).message}`,
      {
        plugin: 'middleware-script',
        phase: 'create',
        cause: error,
      },
    );
  }
  builtSources.set(file, source);
  return source;
}

type ApiReference<K extends keyof SandboxApi> = ivm.Reference<SandboxApi[K]>;

export class ScriptSandbox {
  readonly file: string;
  readonly hooks: readonly HookName[];
  private readonly fileUrl: string;
  private readonly code: string;
  private isolate!: ivm.Isolate;
  private context!: ivm.Context;
  private runRef!: ApiReference<'run'>;
  private partialRef!: ApiReference<'partial'>;
  private dumpStoreRef!: ApiReference<'dumpStore'>;
  private isDisposed = false;
  /** The host's copy of the script's store (see collect and takeStoreFromIsolate). */
  private readonly store: ScriptStore;
  private readonly storeLimits: ScriptStoreLimits;
  /**
   * Calls up to this number ran before the host last took the whole store from the isolate: their
   * changes are in the copy already (and applying them late could undo newer ones).
   */
  private storeTakenThrough = 0;
  /**
   * The batches of the calls in progress and of the last few done, by call number (the prelude asks for
   * their ids and timestamps by it, also for a view a script kept from an earlier call).
   */
  private readonly inCall = new Map<number, readonly Message[]>();
  /** Whether batches for the isolate's thread carry their ids and timestamps: once a script read one, or correlation needs them. */
  private sendDetails = false;
  /** Numbers each call into the isolate (what a timed-out call produced is asked for by its number). */
  private nextCall = 1;
  /** Calls running on isolated-vm's thread, each settled (never rejected) when done. */
  private readonly offThread = new Set<Promise<void>>();
  /** The last batch given to runBatchOffThread, resolved once it is finished: batches finish in order. */
  private lastOffThread: Promise<void> = Promise.resolve();

  constructor(private readonly options: ScriptSandboxOptions) {
    this.file = resolve(options.file);
    this.fileUrl = pathToFileURL(this.file).href;
    this.storeLimits = options.storeLimits ?? DEFAULT_STORE_LIMITS;
    this.store = new ScriptStore(this.storeLimits);
    try {
      this.code = readFileSync(this.file, 'utf8');
    } catch (error) {
      throw new RepriseError('RPR_INPUT_NOT_FOUND', `cannot read the script ${this.file}: ${(error as Error).message}`, {
        plugin: 'middleware-script',
        phase: 'create',
        cause: error,
      });
    }
    this.hooks = this.build();
    this.sendDetails = this.hooks.includes('response') || this.hooks.includes('replayedResponse');
  }

  /** Builds (or rebuilds) the isolate: prelude, then the script's module; returns the hooks it exports. */
  private build(): HookName[] {
    const preludeCode = readBuilt(PRELUDE_FILE);
    const storeCode = readBuilt(STORE_FILE);
    const isolate = new ivm.Isolate({ memoryLimit: Math.max(8, this.options.memoryLimitMb) });
    try {
      const context = isolate.createContextSync();
      const storeModule = isolate.compileModuleSync(storeCode, { filename: 'reprise:script-store' });
      storeModule.instantiateSync(context, (specifier) => {
        throw new Error(`the script store imports nothing (import "${specifier}")`);
      });
      const prelude = isolate.compileModuleSync(preludeCode, { filename: 'reprise:sandbox-prelude' });
      prelude.instantiateSync(context, (specifier) => {
        if (specifier === STORE_SPECIFIER) return storeModule;
        throw new Error(`the sandbox prelude imports only ${STORE_SPECIFIER} at run time (import "${specifier}")`);
      });
      prelude.evaluateSync();
      const api = prelude.namespace;
      const install = api.getSync('install', { reference: true }) as ApiReference<'install'>;
      this.runRef = api.getSync('run', { reference: true }) as ApiReference<'run'>;
      this.partialRef = api.getSync('partial', { reference: true }) as ApiReference<'partial'>;
      this.dumpStoreRef = api.getSync('dumpStore', { reference: true }) as ApiReference<'dumpStore'>;
      const bindStore = api.getSync('bindStore', { reference: true }) as ApiReference<'bindStore'>;
      bindStore.applySync(undefined, [this.store.all(), { ...this.storeLimits }], { arguments: { copy: true } });
      const bindDetails = api.getSync('bindDetails', { reference: true }) as ivm.Reference<(call: ivm.Callback<DetailsCall>) => void>;
      bindDetails.applySync(undefined, [new ivm.Callback(this.detailsCall)]);
      const module = isolate.compileModuleSync(this.code, { filename: this.fileUrl });
      module.instantiateSync(context, (specifier) => {
        throw new Error(`imports are not available in a middleware script (import "${specifier}")`);
      });
      module.evaluateSync({ timeout: this.options.timeLimitMs });
      const hooks = install.applySync(undefined, [module.namespace.derefInto()], { result: { copy: true } }) as HookName[];
      this.isolate = isolate;
      this.context = context;
      if (hooks.length === 0) {
        throw new Error('the script exports none of request, response, replayedResponse');
      }
      return hooks;
    } catch (error) {
      if (!isolate.isDisposed) isolate.dispose();
      const e = error as Error;
      const where = this.locate(`${e.message}\n${e.stack ?? ''}`);
      throw new RepriseError('RPR_SCRIPT_FAILED', `${where}: ${e.message}`, {
        plugin: 'middleware-script',
        phase: 'create',
        file: this.file,
        cause: error,
      });
    }
  }

  /** The prelude asks for the ids and timestamps of the batch in hand only when it needs them. */
  private readonly detailsCall: DetailsCall = (call) => {
    // From the isolate's thread, a call back waits for this one: the next batches bring them along.
    if (this.offThread.size > 0) this.sendDetails = true;
    const batch = this.inCall.get(call);
    return batch === undefined ? null : batchDetails(batch);
  };

  /** Keeps a call's batch for the prelude's questions about it, with the last few calls'. */
  private remember(call: number, batch: PackedBatch): void {
    // Only the messages: the packed copy and its buffer are the call's alone.
    this.inCall.set(call, batch.messages);
    if (this.inCall.size > REMEMBERED_CALLS) this.inCall.delete(this.inCall.keys().next().value as number);
  }

  /** Keys in the script's store (kept across rebuilds). */
  get storeSize(): number {
    return this.store.size;
  }

  private rebuild(): void {
    if (!this.isolate.isDisposed) {
      // After a timeout: what the isolate's store holds is the truth (an exhausted heap leaves only the copy).
      this.takeStoreFromIsolate();
      this.isolate.dispose();
    }
    this.build();
  }

  /**
   * Replaces the host's copy of the store with the isolate's, once every call issued has run there.
   * After a timeout, calls behind the one that timed out may have run before it was finished: their
   * changes, applied in the order collected, could differ from the order they were made in.
   */
  private takeStoreFromIsolate(): void {
    let entries: unknown;
    try {
      entries = this.dumpStoreRef.applySync(undefined, [], { result: { copy: true }, timeout: 1000 });
    } catch {
      return; // out of time or memory itself: the copy stays as the changes left it
    }
    if (!Array.isArray(entries) || !entries.every((e) => isStoreEntry(e)) || !this.store.replace(entries as [string, string][]))
      throw storeInterference(this.file);
    this.storeTakenThrough = this.nextCall - 1;
  }

  /** Runs the script's hooks over a batch, on this thread. Never throws for a script failure: those are reported. */
  runBatch(batch: readonly Message[]): BatchOutcome {
    this.checkOpen();
    const outcome = emptyOutcome();
    if (batch.length === 0) return outcome;
    const packed = packBatch(batch, false, false);
    this.runRange(packed, 0, batch.length, outcome);
    return outcome;
  }

  /**
   * Runs the script's hooks over a batch on isolated-vm's own thread, so that this thread can go on
   * (the engine hands over the next batches meanwhile); the same outcome as runBatch, and batches
   * finish in the order given. A failed call is recovered on this thread, once the calls after it are
   * done: a batch that timed out is finished after the batches queued behind it ran.
   */
  async runBatchOffThread(batch: readonly Message[]): Promise<BatchOutcome> {
    this.checkOpen();
    const previous = this.lastOffThread;
    let finished!: () => void;
    this.lastOffThread = new Promise<void>((resolve) => {
      finished = resolve;
    });
    try {
      if (batch.length === 0) {
        await previous;
        return emptyOutcome();
      }
      // Its own packing buffer: the next batches are packed before this one comes back.
      const packed = packBatch(batch, true, this.sendDetails);
      const call = this.nextCall++;
      const isolate = this.isolate;
      this.remember(call, packed);
      const input = inputOf(packed, 0, batch.length, call);
      const run = this.runRef;
      const timeout = this.options.timeLimitMs;
      // Called from a microtask: isolated-vm captures the calling stack of every asynchronous call, which
      // from the engine's deep stack of optimized frames costs this thread about 11 µs a batch (5 from here).
      const applied = SETTLED.then(
        () => run.apply(undefined, [input], { arguments: { copy: true }, result: { copy: true }, timeout }) as Promise<BatchResult>,
      );
      const settled = applied.then(
        () => {},
        () => {},
      );
      this.offThread.add(settled);
      void settled.then(() => this.offThread.delete(settled));
      let result: BatchResult | undefined;
      let failure: unknown;
      try {
        result = await applied;
      } catch (error) {
        failure = error;
      }
      await previous;
      const outcome = emptyOutcome();
      // Closed meanwhile (reprise is stopping): the batch is not delivered.
      if (this.isDisposed) return outcome;
      if (result !== undefined) this.collect(result, call, packed, outcome);
      else {
        // Nothing may run in the isolate while this thread calls it synchronously.
        await this.offThreadDone();
        const count = batch.length;
        this.runRange(packed, this.afterFailedCall(failure, isolate, call, packed, 0, count, outcome), count, outcome);
      }
      return outcome;
    } finally {
      finished();
    }
  }

  private async offThreadDone(): Promise<void> {
    while (this.offThread.size > 0) await Promise.all([...this.offThread]);
  }

  /** What a timed-out call produced before the message in hand, which it returns. */
  private collectPartial(call: number, batch: PackedBatch, from: number, outcome: BatchOutcome): number {
    const partial = this.partialRef.applySync(undefined, [call], { result: { copy: true }, timeout: 1000 }) as BatchResult | null;
    if (partial) this.collect(partial, call, batch, outcome);
    return partial ? partial.inHand : from;
  }

  private checkOpen(): void {
    if (this.isDisposed) throw new RepriseError('RPR_INTERNAL', 'the script sandbox is closed', { plugin: 'middleware-script' });
  }

  private call(batch: PackedBatch, start: number, end: number, call: number): BatchResult {
    this.remember(call, batch);
    return this.runRef.applySync(undefined, [inputOf(batch, start, end, call)], {
      arguments: { copy: true },
      result: { copy: true },
      timeout: this.options.timeLimitMs,
    }) as BatchResult;
  }

  private runRange(batch: PackedBatch, start: number, end: number, outcome: BatchOutcome): void {
    let from = start;
    while (from < end) {
      const call = this.nextCall++;
      const isolate = this.isolate;
      try {
        const result = this.call(batch, from, end, call);
        this.collect(result, call, batch, outcome);
        return;
      } catch (error) {
        from = this.afterFailedCall(error, isolate, call, batch, from, end, outcome);
      }
    }
  }

  /**
   * After a call over messages from..end failed, in `isolate`: keeps what can be kept and returns where
   * to go on (end when nothing is left). Shared by the calls on this thread and the off-thread ones.
   */
  private afterFailedCall(
    error: unknown,
    isolate: ivm.Isolate,
    call: number,
    batch: PackedBatch,
    from: number,
    end: number,
    outcome: BatchOutcome,
  ): number {
    if (isolate.isDisposed) {
      // An isolate rebuilt since (an off-thread batch before this one ran out of memory): this batch never ran there.
      if (this.isolate !== isolate) return from;
      // Out of memory: the isolate and what the batch produced are gone. Replay the rest one by one
      // in a fresh isolate, so only the message that exhausts the heap again is lost.
      this.rebuild();
      outcome.rebuilds++;
      for (let i = from; i < end; i++) this.runOne(batch, i, outcome);
      return end;
    }
    const text = (error as Error)?.message ?? String(error);
    if (!text.includes(TIMEOUT_TEXT)) throw sandboxFailure(error, this.file);
    // The isolate survives a timeout: keep what the batch produced before the message in hand,
    // then give that message a call of its own (the batch may simply have been long).
    const inHand = this.collectPartial(call, batch, from, outcome);
    this.runOne(batch, inHand, outcome);
    this.takeStoreFromIsolate();
    return inHand + 1;
  }

  private runOne(batch: PackedBatch, index: number, outcome: BatchOutcome): void {
    let result: BatchResult;
    const call = this.nextCall++;
    try {
      result = this.call(batch, index, index + 1, call);
    } catch (error) {
      const text = (error as Error).message ?? String(error);
      if (this.isolate.isDisposed)
        this.fail(outcome, index, batch, 'memory', `exhausted its memory limit of ${this.options.memoryLimitMb} MB`);
      else if (text.includes(TIMEOUT_TEXT)) this.fail(outcome, index, batch, 'timeout', `timed out after ${this.options.timeLimitMs} ms`);
      else throw sandboxFailure(error, this.file);
      // Whatever the script was doing is suspect (a loop half-way through, a heap at its limit): start afresh.
      this.rebuild();
      outcome.rebuilds++;
      return;
    }
    this.collect(result, call, batch, outcome);
  }

  private fail(outcome: BatchOutcome, index: number, batch: PackedBatch, kind: ScriptFailureKind, message: string): void {
    const hook = hookOf(batch.kinds[index]!);
    outcome.failures.push({ index, hook, kind, message: `${hook}() ${message}`, location: this.file });
  }

  private collect(result: BatchResult, call: number, batch: PackedBatch, outcome: BatchOutcome): void {
    checkShape(result, batch.offsets);
    if (call > this.storeTakenThrough && !this.store.apply(result.storeChanges)) throw storeInterference(this.file);
    const rows = result.outputs;
    const rowCount = rows.length / ROW_WIDTH;
    const messages = batch.messages;
    // The ids go into .gor record headers: checked here too, whatever the isolate let through.
    let badIds: Map<number, string> | undefined;
    for (const change of result.idChanges) {
      if (ID_PATTERN.test(change.id)) continue;
      badIds ??= new Map();
      badIds.set(rows[change.output * ROW_WIDTH]!, change.id);
    }
    // Every changed payload is a view of one buffer per call: [spliced payloads | middles | the input payloads].
    // A payload that came back whole is a view of its middle; a spliced one is assembled with copyWithin
    // (no view object per part), from the input's copy and the middle.
    const offsets = batch.offsets;
    let size = 0;
    for (let r = 0; r < rowCount; r++) {
      const row = r * ROW_WIDTH;
      const from = rows[row]!;
      const length = offsets[from + 1]! - offsets[from]!;
      const kept = rows[row + KEEP]!;
      if (kept < 0 || isWhole(kept, rows[row + RESUME_AT]!, length)) continue;
      size += kept + (rows[row + MIDDLE_END]! - rows[row + MIDDLE_START]!) + Math.max(0, length - rows[row + RESUME_AT]!);
    }
    const middlesAt = size;
    const changedEnd = middlesAt + result.middles.length;
    let work: Buffer | undefined;
    let inputAt = changedEnd;
    if (batch.own !== undefined && changedEnd > 0 && changedEnd <= batch.own.room) {
      // The batch's own buffer has room before its payloads: no second buffer, no copy of the payloads.
      work = batch.own.buffer;
      inputAt = batch.own.room;
      batch.own = undefined; // once: a recovered batch is collected again
    } else if (changedEnd > 0) {
      work = Buffer.allocUnsafeSlow(changedEnd + (size > 0 ? batch.payloads.length : 0));
      if (size > 0) work.set(batch.payloads, inputAt);
    }
    if (result.middles.length > 0) work!.write(result.middles, middlesAt, 'latin1');
    const workBuffer = work?.buffer as ArrayBuffer | undefined;
    const workOffset = work?.byteOffset ?? 0;
    let at = 0;
    const firstOutput = outcome.outputs.length;
    // Where each output went, needed only when some were refused (the rest keep their order).
    const outputAt: number[] | undefined = badIds ? [] : undefined;
    for (let r = 0; r < rowCount; r++) {
      const row = r * ROW_WIDTH;
      const from = rows[row]!;
      if (outputAt) {
        outputAt.push(outcome.outputs.length);
        if (badIds!.has(from)) continue;
      }
      const original = messages[from]!;
      const kept = rows[row + KEEP]!;
      outcome.sources.push(from);
      if (kept < 0) {
        outcome.outputs.push(original);
        continue;
      }
      const length = offsets[from + 1]! - offsets[from]!;
      const middleStart = middlesAt + rows[row + MIDDLE_START]!;
      const middleEnd = middlesAt + rows[row + MIDDLE_END]!;
      const resume = rows[row + RESUME_AT]!;
      let payload: Buffer;
      if (isWhole(kept, resume, length)) payload = payloadView(workBuffer!, workOffset + middleStart, middleEnd - middleStart);
      else {
        const start = at;
        const input = inputAt + offsets[from]!;
        if (kept > 0) {
          work!.copyWithin(at, input, input + kept);
          at += kept;
        }
        if (middleEnd > middleStart) {
          work!.copyWithin(at, middleStart, middleEnd);
          at += middleEnd - middleStart;
        }
        if (resume < length) {
          work!.copyWithin(at, input + resume, input + length);
          at += length - resume;
        }
        payload = payloadView(workBuffer!, workOffset + start, at - start);
      }
      const message: Message =
        original.meta === undefined && original.protocol === undefined
          ? new ChangedMessage(original.kind, original.id, original.timestamp, original.latency, payload)
          : { ...original, payload };
      outcome.outputs.push(message);
    }
    // A payload holding the record separator would forge records in a .gor output: refused here too.
    // The separator holds the byte 0xf0: one memchr over the batch's changed bytes clears the usual
    // batch (ASCII heads); each payload is searched only when that byte is there.
    let withSeparator: Set<number> | undefined;
    if (work !== undefined && work.subarray(0, changedEnd).indexOf(SEPARATOR_BYTE) >= 0) {
      for (let r = 0; r < rowCount; r++) {
        const row = r * ROW_WIDTH;
        if (rows[row + KEEP]! < 0 || badIds?.has(rows[row]!)) continue;
        const payload = outcome.outputs[outputAt ? outputAt[r]! : firstOutput + r]!.payload as Buffer;
        if (payload.indexOf(GOR_SEPARATOR, rows[row + CHECK_FROM]!) < 0) continue;
        withSeparator ??= new Set();
        withSeparator.add(rows[row]!);
      }
    }
    for (const change of result.idChanges) {
      if (badIds?.has(rows[change.output * ROW_WIDTH]!)) continue;
      const at = outputAt ? outputAt[change.output]! : firstOutput + change.output;
      outcome.outputs[at] = { ...outcome.outputs[at]!, id: change.id };
    }
    if (withSeparator) {
      let to = firstOutput;
      for (let k = firstOutput; k < outcome.outputs.length; k++) {
        if (withSeparator.has(outcome.sources[k]!)) continue;
        outcome.outputs[to] = outcome.outputs[k]!;
        outcome.sources[to++] = outcome.sources[k]!;
      }
      outcome.outputs.length = to;
      outcome.sources.length = to;
      for (const index of withSeparator) {
        const hook = hookOf(batch.kinds[index]!);
        outcome.failures.push({
          index,
          hook,
          kind: 'invalid',
          message: `${hook}() produced a message holding the .gor record separator`,
          location: this.file,
        });
      }
    }
    for (const [index, id] of badIds ?? []) {
      const hook = hookOf(batch.kinds[index]!);
      const shown = JSON.stringify(id.length > 60 ? `${id.slice(0, 60)}…` : id);
      outcome.failures.push({
        index,
        hook,
        kind: 'invalid',
        message: `${hook}() set an invalid id ${shown}: an id is 24 lowercase hex digits`,
        location: this.file,
      });
    }
    for (const failure of result.failures) {
      outcome.failures.push({
        index: failure.index,
        hook: failure.hook,
        kind: failure.kind === 'invalid' ? 'invalid' : 'error',
        message: `${failure.hook}() threw ${failure.message}`,
        location: this.locate(failure.stack),
      });
    }
    // Failures come back per range; keep them in message order for readers.
    if (result.failures.length > 0 || badIds || withSeparator) outcome.failures.sort((a, b) => a.index - b.index);
    for (const line of result.logs) outcome.logs.push(line);
    outcome.logsLeftOut += result.logsLeftOut;
    outcome.dropped += result.dropped;
  }

  /** `file:line:column` of the first stack frame in the script, else the file. */
  private locate(stack: string): string {
    const at = stack.indexOf(this.fileUrl + ':');
    if (at >= 0) {
      const m = /^:(\d+)(?::(\d+))?/.exec(stack.slice(at + this.fileUrl.length));
      if (m) return `${this.file}:${m[1]}${m[2] ? `:${m[2]}` : ''}`;
    }
    return this.file;
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.context?.release();
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}

function emptyOutcome(): BatchOutcome {
  return { outputs: [], sources: [], failures: [], logs: [], logsLeftOut: 0, rebuilds: 0, dropped: 0 };
}

/** A failure of the sandbox itself, not of the script. */
function sandboxFailure(error: unknown, file: string): RepriseError {
  return new RepriseError('RPR_SCRIPT_FAILED', `the sandbox failed: ${(error as Error)?.message ?? String(error)}`, {
    plugin: 'middleware-script',
    phase: 'transform',
    file,
    cause: error,
  });
}

/** The isolate sent a store out of bounds or malformed: only a script that tampered with the runtime can. */
function storeInterference(file: string): RepriseError {
  return new RepriseError(
    'RPR_SCRIPT_FAILED',
    'the sandbox sent back a store malformed or out of its bounds (the script interfered with its runtime)',
    {
      plugin: 'middleware-script',
      phase: 'transform',
      file,
    },
  );
}

/** A store key and its JSON; a change may have null instead, for a delete. */
function isStoreEntry(entry: unknown, isChange = false): boolean {
  return (
    Array.isArray(entry) &&
    entry.length === 2 &&
    typeof entry[0] === 'string' &&
    (typeof entry[1] === 'string' || (isChange && entry[1] === null))
  );
}

/** The ids and timestamps of a batch, for the prelude (sent with an off-thread batch, else fetched when read). */
function batchDetails(messages: readonly Message[]): BatchDetails {
  const timestamps = new BigUint64Array(messages.length);
  let ids = '';
  for (let i = 0; i < messages.length; i++) {
    ids += i === 0 ? messages[i]!.id : `\n${messages[i]!.id}`;
    timestamps[i] = messages[i]!.timestamp;
  }
  return { ids, timestamps };
}

/** A payload that came back whole from the isolate (see OutputRows). */
function isWhole(keep: number, resumeAt: number, length: number): boolean {
  return keep === 0 && resumeAt >= length;
}

const HOOKS: readonly string[] = ['request', 'response', 'replayedResponse'];

/** The numbers of an output row (OutputRows in sandbox-wire.ts; the prelude has the same width): source at 0, then these. */
const ROW_WIDTH = 6;
const KEEP = 1;
const MIDDLE_START = 2;
const MIDDLE_END = 3;
const RESUME_AT = 4;
const CHECK_FROM = 5;

/** What comes back from the isolate is checked before use: a script must not be able to crash the host. */
function checkShape(result: BatchResult, offsets: Uint32Array): void {
  const count = offsets.length - 1;
  const malformed = (): RepriseError =>
    new RepriseError('RPR_SCRIPT_FAILED', 'the sandbox returned a malformed result (the script interfered with its runtime)', {
      plugin: 'middleware-script',
      phase: 'transform',
    });
  if (result === null || typeof result !== 'object') {
    throw new RepriseError('RPR_SCRIPT_FAILED', 'the sandbox returned no result (the script interfered with its runtime)', {
      plugin: 'middleware-script',
      phase: 'transform',
    });
  }
  const { outputs, middles, idChanges, failures, storeChanges } = result;
  if (
    !Array.isArray(storeChanges) ||
    !storeChanges.every((c) => isStoreEntry(c, true)) ||
    outputs === null ||
    typeof outputs !== 'object' ||
    typeof middles !== 'string' ||
    !Array.isArray(idChanges) ||
    !Array.isArray(failures) ||
    !Array.isArray(result.logs) ||
    !Number.isInteger(result.dropped) ||
    result.dropped < 0 ||
    result.dropped > count
  )
    throw malformed();
  if (!(outputs instanceof Int32Array) || outputs.length % ROW_WIDTH !== 0) throw malformed();
  const rows = outputs;
  const rowCount = rows.length / ROW_WIDTH;
  for (let r = 0; r < rowCount; r++) {
    const row = r * ROW_WIDTH;
    const source = rows[row]!;
    const kept = rows[row + KEEP]!;
    const ok =
      source >= 0 &&
      source < count &&
      (kept < 0 ||
        (rows[row + MIDDLE_START]! >= 0 &&
          rows[row + MIDDLE_START]! <= rows[row + MIDDLE_END]! &&
          rows[row + MIDDLE_END]! <= middles.length &&
          rows[row + RESUME_AT]! >= kept &&
          kept <= offsets[source + 1]! - offsets[source]! &&
          rows[row + CHECK_FROM]! >= 0));
    if (!ok) throw malformed();
  }
  for (const change of idChanges) {
    if (
      change === null ||
      typeof change !== 'object' ||
      !Number.isInteger(change.output) ||
      change.output < 0 ||
      change.output >= rowCount ||
      typeof change.id !== 'string'
    )
      throw malformed();
  }
  for (const failure of failures) {
    if (failure === null || typeof failure !== 'object' || !Number.isInteger(failure.index) || failure.index < 0 || failure.index >= count)
      throw malformed();
    if (!HOOKS.includes(failure.hook) || typeof failure.message !== 'string' || typeof failure.stack !== 'string') throw malformed();
  }
}

/**
 * A message whose payload the script changed. A class, not an object literal: V8 may decide, from a few
 * early young-generation collections, to allocate a literal's objects straight in the old generation
 * (allocation-site pretenuring). For these short-lived messages that decision kept each one's young
 * payload alive until the next full collection: in about one run in four, twice the mark-compacts and
 * 0.3-0.6 s more per 1,000,000 requests (docs/BENCHMARKS.md, middleware). An object made by `new` has
 * no allocation site, so it is never pretenured.
 */
class ChangedMessage implements Message {
  constructor(
    public kind: Message['kind'],
    public id: string,
    public timestamp: bigint,
    public latency: bigint,
    public payload: Buffer,
  ) {}
}

const SETTLED = Promise.resolve();

function hookOf(kindCode: string): HookName {
  return kindCode === '1' ? 'request' : kindCode === '2' ? 'response' : 'replayedResponse';
}

/**
 * Packs a batch for one call: the payloads as one latin1 string (one char per byte) and offsets. A batch
 * for the isolate's own thread gets its own buffer (the next is packed before it comes back), and its
 * ids and timestamps when asked (the prelude would otherwise call back for them, and from that thread a
 * call back waits for this one).
 */
function packBatch(batch: readonly Message[], offThread: boolean, withDetails: boolean): PackedBatch {
  const n = batch.length;
  const offsets = new Uint32Array(n + 1);
  let total = 0;
  let onlyRequests = true;
  for (let i = 0; i < n; i++) {
    const m = batch[i]!;
    offsets[i] = total;
    total += m.payload.length;
    if (m.kind !== 'request') onlyRequests = false;
  }
  offsets[n] = total;
  let kinds = '';
  if (onlyRequests) kinds = requestKinds(n);
  else for (let i = 0; i < n; i++) kinds += KIND_CODE[batch[i]!.kind];
  // A batch of its own keeps room for its outputs: the usual edit adds a header or two per message.
  const room = offThread ? total + OUTPUT_ROOM_PER_MESSAGE * n : 0;
  const buffer = offThread ? Buffer.allocUnsafeSlow(room + total) : packingBuffer(total);
  const all = offThread ? buffer.subarray(room) : buffer;
  for (let i = 0; i < n; i++) all.set(batch[i]!.payload, offsets[i]!);
  return {
    kinds,
    offsets,
    payloads: all,
    own: offThread ? { buffer, room } : undefined,
    details: withDetails ? batchDetails(batch) : undefined,
    messages: batch,
  };
}

/**
 * What one call gets. The latin1 string of the payloads is made for the call and dropped after it (the
 * call copies it): kept with the batch while the isolate works, it would outlive young-generation
 * collections and be promoted, for nothing.
 */
function inputOf(batch: PackedBatch, start: number, end: number, call: number): BatchInput {
  return {
    kinds: batch.kinds.slice(0, end),
    payloads: batch.payloads.toString('latin1'),
    offsets: batch.offsets,
    start,
    call,
    ...batch.details,
  };
}

let requestKindsCache = '';

/** The kinds of a batch of n requests (the usual batch), built once. */
function requestKinds(n: number): string {
  if (requestKindsCache.length < n) requestKindsCache = KIND_CODE.request.repeat(Math.max(n, 256));
  return requestKindsCache.length === n ? requestKindsCache : requestKindsCache.slice(0, n);
}

/** Room per message for the outputs of a batch of its own: new payloads and the changed parts (see collect). */
const OUTPUT_ROOM_PER_MESSAGE = 96;

/** Batches up to this size are packed in one reused buffer (a call copies what it needs before the next). */
const REUSED_PACKING_BYTES = 1 << 20;
let reusedPacking: Buffer | undefined;

function packingBuffer(total: number): Buffer {
  if (total > REUSED_PACKING_BYTES) return Buffer.allocUnsafeSlow(total);
  if (reusedPacking === undefined || reusedPacking.length < total) {
    reusedPacking = Buffer.allocUnsafeSlow(Math.min(REUSED_PACKING_BYTES, Math.max(total, 2 * (reusedPacking?.length ?? 0), 65536)));
  }
  return reusedPacking.subarray(0, total);
}
