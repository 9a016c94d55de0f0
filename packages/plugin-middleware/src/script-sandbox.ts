/**
 * One middleware script in its own isolate (isolated-vm): compiles the ES module, runs its hooks over
 * whole batches in one synchronous call, and contains failures. A throw affects only the message in hand
 * (caught inside the isolate); a timeout or an exhausted heap ends the call, so the batch is resumed
 * after the message in hand, in a rebuilt isolate. A rebuild resets module state; the script's `store`
 * lives here on the host and is kept.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ivm from 'isolated-vm';
import { GOR_SEPARATOR, RepriseError, type Message } from '@reprise/core';
import type { BatchInput, BatchResult, HookName, KindCode, SandboxApi, StoreCall } from './sandbox-wire.js';
import { ScriptStore, type ScriptStoreLimits } from './script-store.js';

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

/** `invalid`: the script set a field to a value that would corrupt the message (a bad id, a header with a line break). */
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

export interface ScriptOutput {
  /** Index of the input message it came from. */
  source: number;
  message: Message;
}

export interface BatchOutcome {
  /** In input order; a dropped message has none, an amplified one several. */
  outputs: ScriptOutput[];
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
  input: Omit<BatchInput, 'start'>;
  /** The payloads as packed into `input.payloads`, as bytes (spliced outputs are copied from them). */
  payloads: Buffer;
  messages: readonly Message[];
}

const KIND_CODE: Record<Message['kind'], KindCode> = { request: '1', response: '2', 'replayed-response': '3' };
const TIMEOUT_TEXT = 'Script execution timed out';
const ID_PATTERN = /^[0-9a-f]{24}$/;
/** A byte of every .gor record separator (0xf0, the first of its UTF-8 monkeys). */
const SEPARATOR_BYTE = GOR_SEPARATOR[1]!;
/**
 * The prelude is compiled by tsc like the rest of the package, and its built file is what the isolate
 * runs (the package's dist is one folder up from both src and dist, so this holds for either).
 */
const PRELUDE_FILE = fileURLToPath(new URL('../dist/sandbox-prelude.js', import.meta.url));
let preludeSource: string | undefined;

function readPrelude(): string {
  try {
    preludeSource ??= readFileSync(PRELUDE_FILE, 'utf8');
  } catch (error) {
    throw new RepriseError(
      'RPR_INTERNAL',
      `cannot read the script sandbox's prelude ${PRELUDE_FILE} (is the package built?): ${(error as Error).message}`,
      {
        plugin: 'middleware-script',
        phase: 'create',
        cause: error,
      },
    );
  }
  return preludeSource;
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
  private isDisposed = false;
  private readonly store: ScriptStore;

  constructor(private readonly options: ScriptSandboxOptions) {
    this.file = resolve(options.file);
    this.fileUrl = pathToFileURL(this.file).href;
    this.store = new ScriptStore(options.storeLimits);
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
  }

  /** Builds (or rebuilds) the isolate: prelude, then the script's module; returns the hooks it exports. */
  private build(): HookName[] {
    const preludeCode = readPrelude();
    const isolate = new ivm.Isolate({ memoryLimit: Math.max(8, this.options.memoryLimitMb) });
    try {
      const context = isolate.createContextSync();
      const prelude = isolate.compileModuleSync(preludeCode, { filename: 'reprise:sandbox-prelude' });
      prelude.instantiateSync(context, (specifier) => {
        throw new Error(`the sandbox prelude imports nothing at run time (import "${specifier}")`);
      });
      prelude.evaluateSync();
      const api = prelude.namespace;
      const install = api.getSync('install', { reference: true }) as ApiReference<'install'>;
      this.runRef = api.getSync('run', { reference: true }) as ApiReference<'run'>;
      this.partialRef = api.getSync('partial', { reference: true }) as ApiReference<'partial'>;
      const bindStore = api.getSync('bindStore', { reference: true }) as ivm.Reference<(call: ivm.Callback<StoreCall>) => void>;
      bindStore.applySync(undefined, [new ivm.Callback(this.storeCall)]);
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

  /** The isolate's `store` calls land here, synchronously (no thread hop): op, key, and for set the JSON. Reads are mirrored in the isolate. */
  private readonly storeCall: StoreCall = (op, key, json) => {
    switch (op) {
      case 'get':
        return this.store.get(key);
      case 'set':
        return this.store.set(key, String(json));
      case 'delete':
        return this.store.delete(key);
      default:
        return undefined;
    }
  };

  /** Keys in the script's store (kept across rebuilds). */
  get storeSize(): number {
    return this.store.size;
  }

  private rebuild(): void {
    if (!this.isolate.isDisposed) this.isolate.dispose();
    this.build();
  }

  /** Runs the script's hooks over a batch. Never throws for a script failure: those are reported. */
  runBatch(batch: readonly Message[]): BatchOutcome {
    if (this.isDisposed) throw new RepriseError('RPR_INTERNAL', 'the script sandbox is closed', { plugin: 'middleware-script' });
    const outcome: BatchOutcome = { outputs: [], failures: [], logs: [], logsLeftOut: 0, rebuilds: 0, dropped: 0 };
    if (batch.length === 0) return outcome;
    const packed = packBatch(batch);
    this.runRange(packed, 0, batch.length, outcome);
    // Outputs come in input order: a message with neither an output nor a failure was dropped by the script.
    let sources = 0;
    let last = -1;
    for (const o of outcome.outputs) {
      if (o.source === last) continue;
      last = o.source;
      sources++;
    }
    outcome.dropped = batch.length - sources - outcome.failures.length;
    return outcome;
  }

  private call(batch: PackedBatch, start: number, end: number): BatchResult {
    const input: BatchInput = { ...batch.input, kinds: batch.input.kinds.slice(0, end), start };
    return this.runRef.applySync(undefined, [input], {
      arguments: { copy: true },
      result: { copy: true },
      timeout: this.options.timeLimitMs,
    }) as BatchResult;
  }

  private runRange(batch: PackedBatch, start: number, end: number, outcome: BatchOutcome): void {
    let from = start;
    while (from < end) {
      try {
        const result = this.call(batch, from, end);
        this.collect(result, batch, outcome);
        return;
      } catch (error) {
        const text = (error as Error).message ?? String(error);
        if (text.includes(TIMEOUT_TEXT) && !this.isolate.isDisposed) {
          // The isolate survives a timeout: keep what the batch produced before the message in hand,
          // then give that message a call of its own (the batch may simply have been long).
          const partial = this.partialRef.applySync(undefined, [], { result: { copy: true }, timeout: 1000 }) as BatchResult | null;
          const inHand = partial ? partial.inHand : from;
          if (partial) this.collect(partial, batch, outcome);
          this.runOne(batch, inHand, outcome);
          from = inHand + 1;
          continue;
        }
        if (this.isolate.isDisposed) {
          // Out of memory: the isolate and what the batch produced are gone. Replay the rest one by one
          // in a fresh isolate, so only the message that exhausts the heap again is lost.
          this.rebuild();
          outcome.rebuilds++;
          for (let i = from; i < end; i++) this.runOne(batch, i, outcome);
          return;
        }
        throw new RepriseError('RPR_SCRIPT_FAILED', `the sandbox failed: ${text}`, {
          plugin: 'middleware-script',
          phase: 'transform',
          file: this.file,
          cause: error,
        });
      }
    }
  }

  private runOne(batch: PackedBatch, index: number, outcome: BatchOutcome): void {
    let result: BatchResult;
    try {
      result = this.call(batch, index, index + 1);
    } catch (error) {
      const text = (error as Error).message ?? String(error);
      if (this.isolate.isDisposed)
        this.fail(outcome, index, batch, 'memory', `exhausted its memory limit of ${this.options.memoryLimitMb} MB`);
      else if (text.includes(TIMEOUT_TEXT)) this.fail(outcome, index, batch, 'timeout', `timed out after ${this.options.timeLimitMs} ms`);
      else
        throw new RepriseError('RPR_SCRIPT_FAILED', `the sandbox failed: ${text}`, {
          plugin: 'middleware-script',
          phase: 'transform',
          file: this.file,
          cause: error,
        });
      // Whatever the script was doing is suspect (a loop half-way through, a heap at its limit): start afresh.
      this.rebuild();
      outcome.rebuilds++;
      return;
    }
    this.collect(result, batch, outcome);
  }

  private fail(outcome: BatchOutcome, index: number, batch: PackedBatch, kind: ScriptFailureKind, message: string): void {
    const hook = hookOf(batch.input.kinds[index]!);
    outcome.failures.push({ index, hook, kind, message: `${hook}() ${message}`, location: this.file });
  }

  private collect(result: BatchResult, batch: PackedBatch, outcome: BatchOutcome): void {
    checkShape(result, batch.input.offsets);
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
    const offsets = batch.input.offsets;
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
    const inputAt = middlesAt + result.middles.length;
    const work = inputAt > 0 ? Buffer.allocUnsafeSlow(inputAt + (size > 0 ? batch.payloads.length : 0)) : undefined;
    if (result.middles.length > 0) work!.write(result.middles, middlesAt, 'latin1');
    if (size > 0) work!.set(batch.payloads, inputAt);
    let at = 0;
    const firstOutput = outcome.outputs.length;
    // Per changed payload: its output and its row.
    const changedRows: number[] = [];
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
      if (kept < 0) {
        outcome.outputs.push({ source: from, message: original });
        continue;
      }
      const length = offsets[from + 1]! - offsets[from]!;
      const middleStart = middlesAt + rows[row + MIDDLE_START]!;
      const middleEnd = middlesAt + rows[row + MIDDLE_END]!;
      const resume = rows[row + RESUME_AT]!;
      let payload: Buffer;
      if (isWhole(kept, resume, length)) payload = work!.subarray(middleStart, middleEnd);
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
        payload = work!.subarray(start, at);
      }
      changedRows.push(outcome.outputs.length, r);
      const message: Message =
        original.meta === undefined && original.protocol === undefined
          ? { kind: original.kind, id: original.id, timestamp: original.timestamp, latency: original.latency, payload }
          : { ...original, payload };
      outcome.outputs.push({ source: from, message });
    }
    // A payload holding the record separator would forge records in a .gor output: refused here too.
    // The separator holds the byte 0xf0: one memchr over the batch's changed bytes clears the usual
    // batch (ASCII heads); each payload is searched only when that byte is there.
    let withSeparator: Set<number> | undefined;
    if (work !== undefined && work.subarray(0, inputAt).indexOf(SEPARATOR_BYTE) >= 0) {
      for (let k = 0; k < changedRows.length; k += 2) {
        const payload = outcome.outputs[changedRows[k]!]!.message.payload as Buffer;
        if (payload.indexOf(GOR_SEPARATOR, rows[changedRows[k + 1]! * ROW_WIDTH + CHECK_FROM]!) < 0) continue;
        withSeparator ??= new Set();
        withSeparator.add(rows[changedRows[k + 1]! * ROW_WIDTH]!);
      }
    }
    for (const change of result.idChanges) {
      if (badIds?.has(rows[change.output * ROW_WIDTH]!)) continue;
      const output = outcome.outputs[outputAt ? outputAt[change.output]! : firstOutput + change.output]!;
      output.message = { ...output.message, id: change.id };
    }
    if (withSeparator) {
      const kept = outcome.outputs.slice(firstOutput).filter((output) => !withSeparator!.has(output.source));
      outcome.outputs.length = firstOutput;
      outcome.outputs.push(...kept);
      for (const index of withSeparator) {
        const hook = hookOf(batch.input.kinds[index]!);
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
      const hook = hookOf(batch.input.kinds[index]!);
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
  const { outputs, middles, idChanges, failures } = result;
  if (
    outputs === null ||
    typeof outputs !== 'object' ||
    typeof middles !== 'string' ||
    !Array.isArray(idChanges) ||
    !Array.isArray(failures) ||
    !Array.isArray(result.logs)
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

function hookOf(kindCode: string): HookName {
  return kindCode === '1' ? 'request' : kindCode === '2' ? 'response' : 'replayedResponse';
}

/** Packs a batch for one call: the payloads as one latin1 string (one char per byte) and offsets. */
function packBatch(batch: readonly Message[]): PackedBatch {
  const n = batch.length;
  const offsets = new Uint32Array(n + 1);
  let kinds = '';
  let ids = '';
  const timestamps = new BigUint64Array(n);
  let total = 0;
  let idWidth = 24;
  for (let i = 0; i < n; i++) {
    const m = batch[i]!;
    if (m.id.length !== 24) idWidth = 0;
    offsets[i] = total;
    total += m.payload.length;
    kinds += KIND_CODE[m.kind];
    ids += i === 0 ? m.id : `\n${m.id}`;
    timestamps[i] = m.timestamp;
  }
  offsets[n] = total;
  const all = packingBuffer(total);
  for (let i = 0; i < n; i++) all.set(batch[i]!.payload, offsets[i]!);
  return {
    input: { kinds, ids, timestamps, payloads: all.toString('latin1', 0, total), offsets, idWidth },
    payloads: all,
    messages: batch,
  };
}

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
