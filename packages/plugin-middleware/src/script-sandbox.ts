/**
 * One middleware script in its own isolate (isolated-vm): compiles the ES module, runs its hooks over
 * whole batches in one synchronous call, and contains failures. A throw affects only the message in hand
 * (caught inside the isolate); a timeout or an exhausted heap ends the call, so the batch is resumed
 * after the message in hand, in a rebuilt isolate. A rebuild resets module state; the script's `store`
 * lives here on the host and is kept.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ivm from 'isolated-vm';
import { GOR_SEPARATOR, RepriseError, type Message } from '@reprise/core';
import { SANDBOX_PRELUDE } from './sandbox-prelude.js';
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
  hook: string;
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

interface RunResult {
  o: ArrayLike<number>;
  s: string;
  ids: Array<number | string>;
  e: Array<number | string>;
  l: string[];
  ld: number;
  p: number;
}

interface BatchArgs {
  kinds: string;
  ids: string;
  /** Nanoseconds, one per message. */
  timestamps: BigUint64Array;
  payloads: string;
  offsets: Uint32Array;
  /** The input messages, reused as they are when the script left them unchanged. */
  messages: readonly Message[];
}

const KIND_CODE = { request: '1', response: '2', 'replayed-response': '3' } as const;
const TIMEOUT_TEXT = 'Script execution timed out';
const ID_PATTERN = /^[0-9a-f]{24}$/;

export class ScriptSandbox {
  readonly file: string;
  readonly hooks: readonly string[];
  private readonly fileUrl: string;
  private readonly code: string;
  private isolate!: ivm.Isolate;
  private context!: ivm.Context;
  private runRef!: ivm.Reference<any>;
  private partialRef!: ivm.Reference<any>;
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
  private build(): string[] {
    const isolate = new ivm.Isolate({ memoryLimit: Math.max(8, this.options.memoryLimitMb) });
    try {
      const context = isolate.createContextSync();
      const api = context.evalSync(SANDBOX_PRELUDE, { reference: true, filename: 'reprise:sandbox' }) as ivm.Reference<any>;
      const install = api.getSync('install', { reference: true }) as ivm.Reference<any>;
      this.runRef = api.getSync('run', { reference: true }) as ivm.Reference<any>;
      this.partialRef = api.getSync('partial', { reference: true }) as ivm.Reference<any>;
      const bindStore = api.getSync('bindStore', { reference: true }) as ivm.Reference<any>;
      bindStore.applySync(undefined, [new ivm.Callback(this.storeCall)]);
      const module = isolate.compileModuleSync(this.code, { filename: this.fileUrl });
      module.instantiateSync(context, (specifier) => {
        throw new Error(`imports are not available in a middleware script (import "${specifier}")`);
      });
      module.evaluateSync({ timeout: this.options.timeLimitMs });
      const hooks = install.applySync(undefined, [module.namespace.derefInto()], { result: { copy: true } }) as string[];
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
  private readonly storeCall = (op: string, key: string, json?: string): string | boolean | undefined => {
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
    const args = encodeBatch(batch);
    this.runRange(args, 0, batch.length, outcome);
    // Outputs come in input order: a message with neither an output nor a failure was dropped by the script.
    let sources = 0;
    let last = -1;
    for (const o of outcome.outputs) if (o.source !== last) (last = o.source), sources++;
    outcome.dropped = batch.length - sources - outcome.failures.length;
    return outcome;
  }

  private call(args: BatchArgs, start: number, end: number): RunResult {
    return this.runRef.applySync(
      undefined,
      // Strings cross as primitives; the offsets as one typed-array copy.
      [
        args.kinds.slice(0, end),
        args.ids,
        new ivm.ExternalCopy(args.timestamps).copyInto({ release: true }),
        args.payloads,
        new ivm.ExternalCopy(args.offsets).copyInto({ release: true }),
        start,
      ],
      { result: { copy: true }, timeout: this.options.timeLimitMs },
    ) as RunResult;
  }

  private runRange(args: BatchArgs, start: number, end: number, outcome: BatchOutcome): void {
    let from = start;
    while (from < end) {
      try {
        const result = this.call(args, from, end);
        this.collect(result, args, outcome);
        return;
      } catch (error) {
        const text = (error as Error).message ?? String(error);
        if (text.includes(TIMEOUT_TEXT) && !this.isolate.isDisposed) {
          // The isolate survives a timeout: keep what the batch produced before the message in hand,
          // then give that message a call of its own (the batch may simply have been long).
          const partial = this.partialRef.applySync(undefined, [], { result: { copy: true }, timeout: 1000 }) as RunResult | null;
          const inHand = partial ? partial.p : from;
          if (partial) this.collect(partial, args, outcome);
          this.runOne(args, inHand, outcome);
          from = inHand + 1;
          continue;
        }
        if (this.isolate.isDisposed) {
          // Out of memory: the isolate and what the batch produced are gone. Replay the rest one by one
          // in a fresh isolate, so only the message that exhausts the heap again is lost.
          this.rebuild();
          outcome.rebuilds++;
          for (let i = from; i < end; i++) this.runOne(args, i, outcome);
          return;
        }
        throw new RepriseError('RPR_SCRIPT_FAILED', `the sandbox failed: ${text}`, { plugin: 'middleware-script', phase: 'transform', file: this.file, cause: error });
      }
    }
  }

  private runOne(args: BatchArgs, index: number, outcome: BatchOutcome): void {
    let result: RunResult;
    try {
      result = this.call(args, index, index + 1);
    } catch (error) {
      const text = (error as Error).message ?? String(error);
      if (this.isolate.isDisposed) this.fail(outcome, index, args, 'memory', `exhausted its memory limit of ${this.options.memoryLimitMb} MB`);
      else if (text.includes(TIMEOUT_TEXT)) this.fail(outcome, index, args, 'timeout', `timed out after ${this.options.timeLimitMs} ms`);
      else throw new RepriseError('RPR_SCRIPT_FAILED', `the sandbox failed: ${text}`, { plugin: 'middleware-script', phase: 'transform', file: this.file, cause: error });
      // Whatever the script was doing is suspect (a loop half-way through, a heap at its limit): start afresh.
      this.rebuild();
      outcome.rebuilds++;
      return;
    }
    this.collect(result, args, outcome);
  }

  private fail(outcome: BatchOutcome, index: number, args: BatchArgs, kind: ScriptFailureKind, message: string): void {
    const hook = hookOf(args.kinds[index]!);
    outcome.failures.push({ index, hook, kind, message: `${hook}() ${message}`, location: this.file });
  }

  private collect(result: RunResult, args: BatchArgs, outcome: BatchOutcome): void {
    checkShape(result, args.messages.length);
    const { o, ids, e } = result;
    // The ids go into .gor record headers: checked here too, whatever the isolate let through.
    let badIds: Map<number, string> | undefined;
    for (let k = 0; k < ids.length; k += 2) {
      if (!ID_PATTERN.test(ids[k + 1] as string)) (badIds ??= new Map()).set(o[(ids[k] as number) * 5]!, ids[k + 1] as string);
    }
    const changed = result.s.length > 0 ? Buffer.from(result.s, 'latin1') : undefined;
    // One buffer holds every changed payload of the batch; each message gets a view into it.
    let size = 0;
    for (let k = 0; k < o.length; k += 5) {
      if (o[k + 1]! < 0) continue;
      size += o[k + 1]! + (o[k + 3]! - o[k + 2]!) + Math.max(0, args.messages[o[k]!]!.payload.length - o[k + 4]!);
    }
    const out = size > 0 ? Buffer.allocUnsafeSlow(size) : undefined;
    let at = 0;
    const firstOutput = outcome.outputs.length;
    let withSeparator: Set<number> | undefined;
    // Where each output went, needed only when some were refused (the rest keep their order).
    const outputAt: number[] | undefined = badIds ? [] : undefined;
    for (let k = 0; k < o.length; k += 5) {
      const source = o[k]!;
      if (badIds) {
        outputAt!.push(outcome.outputs.length);
        if (badIds.has(source)) continue;
      }
      const original = args.messages[source]!;
      const keep = o[k + 1]!;
      if (keep < 0) {
        outcome.outputs.push({ source, message: original });
        continue;
      }
      const start = at;
      const payload = original.payload;
      const resumeAt = o[k + 4]!;
      if (keep > 0) out!.set(keep === payload.length ? payload : payload.subarray(0, keep), at);
      at += keep;
      if (o[k + 3]! > o[k + 2]!) at += changed!.copy(out!, at, o[k + 2]!, o[k + 3]!);
      if (resumeAt < payload.length) {
        out!.set(payload.subarray(resumeAt), at);
        at += payload.length - resumeAt;
      }
      const changedPayload = out!.subarray(start, at);
      // A payload holding the record separator would forge records in a .gor output: refused here too.
      if (changedPayload.indexOf(GOR_SEPARATOR, Math.max(0, keep - GOR_SEPARATOR.length + 1)) >= 0) (withSeparator ??= new Set()).add(source);
      const message: Message =
        original.meta === undefined && original.protocol === undefined
          ? { kind: original.kind, id: original.id, timestamp: original.timestamp, latency: original.latency, payload: changedPayload }
          : { ...original, payload: changedPayload };
      outcome.outputs.push({ source, message });
    }
    for (let k = 0; k < ids.length; k += 2) {
      if (badIds?.has(o[(ids[k] as number) * 5]!)) continue;
      const output = outcome.outputs[outputAt ? outputAt[ids[k] as number]! : firstOutput + (ids[k] as number)]!;
      output.message = { ...output.message, id: ids[k + 1] as string };
    }
    if (withSeparator) {
      const kept = outcome.outputs.slice(firstOutput).filter((output) => !withSeparator!.has(output.source));
      outcome.outputs.length = firstOutput;
      outcome.outputs.push(...kept);
      for (const index of withSeparator) {
        const hook = hookOf(args.kinds[index]!);
        outcome.failures.push({ index, hook, kind: 'invalid', message: `${hook}() produced a message holding the .gor record separator`, location: this.file });
      }
    }
    for (const [index, id] of badIds ?? []) {
      const hook = hookOf(args.kinds[index]!);
      const shown = JSON.stringify(id.length > 60 ? `${id.slice(0, 60)}…` : id);
      outcome.failures.push({ index, hook, kind: 'invalid', message: `${hook}() set an invalid id ${shown}: an id is 24 lowercase hex digits`, location: this.file });
    }
    for (let k = 0; k < e.length; k += 5) {
      const stack = e[k + 4] as string;
      outcome.failures.push({
        index: e[k] as number,
        hook: e[k + 1] as string,
        kind: e[k + 2] === 'invalid' ? 'invalid' : 'error',
        message: `${e[k + 1]}() threw ${e[k + 3]}`,
        location: this.locate(stack),
      });
    }
    // Failures come back per range; keep them in message order for readers.
    if (e.length > 0 || badIds || withSeparator) outcome.failures.sort((a, b) => a.index - b.index);
    for (const line of result.l) outcome.logs.push(line);
    outcome.logsLeftOut += result.ld;
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

/** What comes back from the isolate is checked before use: a script must not be able to crash the host. */
function checkShape(result: RunResult, count: number): void {
  if (result === null || typeof result !== 'object') {
    throw new RepriseError('RPR_SCRIPT_FAILED', 'the sandbox returned no result (the script interfered with its runtime)', { plugin: 'middleware-script', phase: 'transform' });
  }
  const { o, ids, e } = result;
  let ok = o instanceof Int32Array && o.length % 5 === 0 && typeof result.s === 'string';
  ok &&= Array.isArray(ids) && ids.length % 2 === 0 && Array.isArray(e) && e.length % 5 === 0 && Array.isArray(result.l);
  for (let k = 0; ok && k < o.length; k += 5) {
    const source = o[k]!;
    const keep = o[k + 1]!;
    ok = source >= 0 && source < count && (keep < 0 || (o[k + 2]! >= 0 && o[k + 2]! <= o[k + 3]! && o[k + 3]! <= result.s.length && o[k + 4]! >= keep));
  }
  for (let k = 0; ok && k < ids.length; k += 2) ok = typeof ids[k] === 'number' && (ids[k] as number) >= 0 && (ids[k] as number) < o.length / 5 && typeof ids[k + 1] === 'string';
  for (let k = 0; ok && k < e.length; k += 5) ok = typeof e[k] === 'number' && (e[k] as number) >= 0 && (e[k] as number) < count;
  if (!ok) {
    throw new RepriseError('RPR_SCRIPT_FAILED', 'the sandbox returned a malformed result (the script interfered with its runtime)', { plugin: 'middleware-script', phase: 'transform' });
  }
}

function hookOf(kindCode: string): string {
  return kindCode === '1' ? 'request' : kindCode === '2' ? 'response' : 'replayedResponse';
}

/** Packs a batch for one call: the payloads as one latin1 string (one char per byte) and offsets. */
function encodeBatch(batch: readonly Message[]): BatchArgs {
  const n = batch.length;
  const offsets = new Uint32Array(n + 1);
  let kinds = '';
  let ids = '';
  const timestamps = new BigUint64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const m = batch[i]!;
    offsets[i] = total;
    total += m.payload.length;
    kinds += KIND_CODE[m.kind];
    ids += i === 0 ? m.id : `\n${m.id}`;
    timestamps[i] = m.timestamp;
  }
  offsets[n] = total;
  const all = Buffer.allocUnsafe(total);
  for (let i = 0; i < n; i++) all.set(batch[i]!.payload, offsets[i]!);
  return { kinds, ids, timestamps, payloads: all.toString('latin1', 0, total), offsets, messages: batch };
}
