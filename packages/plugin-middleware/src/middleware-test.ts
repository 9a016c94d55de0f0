/**
 * The library behind `reprise middleware test SCRIPT --input-file FILE [--target URL]`: runs a script over
 * recorded messages and tells, per message, what it did. How people write and debug middleware.
 * With a replay function, every request the script passes on is sent for real and its replayed
 * response goes through the script too, so `replayedResponse` runs as in a live run.
 */
import { parseDurationMs, type Message } from '@reprise/core';
import { ScriptSandbox } from './script-sandbox.js';
import { diffMessages } from './message-diff.js';
import { middlewareScript } from './script-component.js';

export type MiddlewareTestOutcome = 'unchanged' | 'changed' | 'dropped' | 'amplified' | 'failed';

export interface MiddlewareTestResult {
  input: Message;
  outcome: MiddlewareTestOutcome;
  /** What the script passed on for this message (several when amplified). */
  outputs: Message[];
  /** One readable diff per output (`- old` / `+ new` lines); empty lines list when unchanged. */
  diffs: string[][];
  /** For `failed`: what went wrong and where (`file:line:column`). */
  error?: string;
}

export interface MiddlewareTestReport {
  script: string;
  hooks: readonly string[];
  results: MiddlewareTestResult[];
  /** The script's console output. */
  logs: string[];
}

export interface MiddlewareTestOptions {
  /** Default: --middleware-script-memory-limit's default, as in a live run. */
  memoryLimitMb?: number;
  /** Default: --middleware-script-timeout's default, as in a live run. */
  timeLimitMs?: number;
  /** Messages per call into the isolate, as in the pipeline. */
  batchSize?: number;
  /**
   * Sends a request the script passed on to a real target; resolves to the replayed responses
   * (none when the request failed). Only runMiddlewareTestAsync uses it.
   */
  replay?: (request: Message) => Promise<Message[]>;
}

const LIVE_DEFAULTS = middlewareScript.options.properties;

/** Runs the script over the messages in order (state carries over, as in a real run), in batches as the pipeline does. */
export function runMiddlewareTest(
  scriptPath: string,
  messages: Iterable<Message>,
  options: MiddlewareTestOptions = {},
): MiddlewareTestReport {
  const run = new TestRun(scriptPath, options);
  try {
    for (const m of messages) run.add(m);
    return run.finish();
  } finally {
    run.dispose();
  }
}

/** The same, for messages from an async source (a file being decoded as it is read). */
export async function runMiddlewareTestAsync(
  scriptPath: string,
  messages: AsyncIterable<Message> | Iterable<Message>,
  options: MiddlewareTestOptions = {},
): Promise<MiddlewareTestReport> {
  const run = new TestRun(scriptPath, options);
  try {
    if (options.replay) {
      const list: Message[] = [];
      for await (const m of messages) list.push(m);
      await run.replayAll(list, options.replay);
    } else {
      for await (const m of messages) run.add(m);
    }
    return run.finish();
  } finally {
    run.dispose();
  }
}

/** Feeds messages to a sandbox batch by batch and records, per message, what became of it. */
class TestRun {
  private readonly sandbox: ScriptSandbox;
  private readonly batchSize: number;
  private readonly report: MiddlewareTestReport;
  private batch: Message[] = [];

  constructor(scriptPath: string, options: MiddlewareTestOptions) {
    // Throws a RepriseError (RPR_SCRIPT_FAILED, RPR_INPUT_NOT_FOUND) when the script cannot be loaded.
    this.sandbox = new ScriptSandbox({
      file: scriptPath,
      memoryLimitMb: options.memoryLimitMb ?? (LIVE_DEFAULTS.memoryLimit!.default as number),
      timeLimitMs: options.timeLimitMs ?? parseDurationMs(LIVE_DEFAULTS.timeout!.default as string, 'middleware-script-timeout'),
    });
    this.batchSize = Math.max(1, options.batchSize ?? 256);
    this.report = { script: this.sandbox.file, hooks: this.sandbox.hooks, results: [], logs: [] };
  }

  add(message: Message): void {
    this.batch.push(message);
    if (this.batch.length >= this.batchSize) this.runBatch();
  }

  finish(): MiddlewareTestReport {
    if (this.batch.length > 0) this.runBatch();
    return this.report;
  }

  dispose(): void {
    this.sandbox.dispose();
  }

  /**
   * One message at a time, in order; each request the script passes on is replayed and its replayed
   * response is run next, or, when the recording holds the original response of that id, right after
   * it (as in a live run, where the original usually comes back first), so `original` is known.
   */
  async replayAll(messages: readonly Message[], replay: (request: Message) => Promise<Message[]>): Promise<void> {
    const recordedResponseIds = new Set(messages.filter((m) => m.kind === 'response').map((m) => m.id));
    const seenResponseIds = new Set<string>();
    const held = new Map<string, Message[]>();
    for (const message of messages) {
      this.batch.push(message);
      const [result] = this.runBatch();
      if (message.kind === 'response') {
        seenResponseIds.add(message.id);
        const waiting = held.get(message.id);
        held.delete(message.id);
        for (const replayed of waiting ?? []) this.runOne(replayed);
      }
      for (const out of result!.outputs) {
        if (out.kind !== 'request') continue;
        for (const replayed of await replay(out)) {
          if (recordedResponseIds.has(replayed.id) && !seenResponseIds.has(replayed.id))
            held.set(replayed.id, [...(held.get(replayed.id) ?? []), replayed]);
          else this.runOne(replayed);
        }
      }
    }
    for (const waiting of held.values()) for (const replayed of waiting) this.runOne(replayed);
  }

  private runOne(message: Message): void {
    this.batch.push(message);
    this.runBatch();
  }

  /** Runs what is pending; returns the results it added to the report. */
  private runBatch(): MiddlewareTestResult[] {
    const batch = this.batch;
    this.batch = [];
    const firstResult = this.report.results.length;
    const outcome = this.sandbox.runBatch(batch);
    const byIndex = batch.map((): Message[] => []);
    for (const [k, message] of outcome.outputs.entries()) byIndex[outcome.sources[k]!]!.push(message);
    const errors = new Map(outcome.failures.map((f) => [f.index, `${f.location}: ${f.message}`]));
    batch.forEach((input, i) => {
      const outputs = byIndex[i]!;
      const error = errors.get(i);
      const diffs = outputs.map((out) => {
        const lines = out.payload === input.payload ? [] : diffMessages(input.payload, out.payload);
        if (out.id !== input.id) lines.unshift(`~ id ${input.id} → ${out.id}`);
        return lines;
      });
      const outcomeOf: MiddlewareTestOutcome =
        error !== undefined
          ? 'failed'
          : outputs.length === 0
            ? 'dropped'
            : outputs.length > 1
              ? 'amplified'
              : diffs[0]!.length > 0
                ? 'changed'
                : 'unchanged';
      this.report.results.push({ input, outcome: outcomeOf, outputs, diffs, ...(error !== undefined ? { error } : {}) });
    });
    this.report.logs.push(...outcome.logs);
    if (outcome.rebuilds > 0)
      this.report.logs.push(`(the isolate was rebuilt: module state was reset, store kept with ${this.sandbox.storeSize} keys)`);
    if (outcome.logsLeftOut > 0) this.report.logs.push(`(${outcome.logsLeftOut} more console lines left out)`);
    return this.report.results.slice(firstResult);
  }
}

/** A plain-text report: one block per message, then totals. */
export function formatMiddlewareTestReport(report: MiddlewareTestReport): string {
  const lines: string[] = [`script ${report.script} (hooks: ${report.hooks.join(', ')})`, ''];
  const totals: Record<MiddlewareTestOutcome, number> = { unchanged: 0, changed: 0, dropped: 0, amplified: 0, failed: 0 };
  for (const r of report.results) {
    totals[r.outcome]++;
    const title = `${r.input.kind} ${r.input.id} ${firstLine(r.input.payload)}`;
    const extra = r.outcome === 'amplified' ? ` into ${r.outputs.length}` : '';
    lines.push(`${r.outcome.toUpperCase()}${extra}  ${title}`);
    if (r.error) lines.push(`    ${r.error}`);
    r.diffs.forEach((diff, k) => {
      if (r.outputs.length > 1) lines.push(`  copy ${k + 1}${diff.length === 0 ? ': unchanged' : ':'}`);
      for (const d of diff) lines.push(`    ${d}`);
    });
  }
  if (report.logs.length > 0) {
    lines.push('', 'console:');
    for (const l of report.logs) lines.push(`  ${l}`);
  }
  lines.push(
    '',
    `${report.results.length} messages: ${Object.entries(totals)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
  );
  return lines.join('\n');
}

function firstLine(payload: Uint8Array): string {
  const b = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.length, 200));
  return b.toString('latin1').split('\n')[0]!.trimEnd();
}
