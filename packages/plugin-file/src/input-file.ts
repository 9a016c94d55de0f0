import { setTimeout as sleep } from 'node:timers/promises';
import {
  defineInput,
  parseDurationMs,
  RepriseError,
  type InputInstance,
  type Message,
  type OptionsOf,
  type OptionsSchema,
  type PluginContext,
} from '@reprise/core';
import { FileRecordSource } from './record-source.js';
import { ReplayClock, type ReplayPace } from './replay-clock.js';
import { storageFor, type FileStorage } from './storage.js';

/**
 * Records held ahead of the replay to put them back in timestamp order. Unlike GoReplay's
 * read-ahead (100, which throttled replay to ~1,500 req/s) this window never slows reading: it is a
 * heap, filled a chunk at a time. 10,000 covers a request written up to 10,000 records late.
 */
export const DEFAULT_READ_DEPTH = 10_000;
/** Messages per batch handed to the pipeline. */
export const BATCH_SIZE = 256;

const inputFileOptions = {
  type: 'object',
  additionalProperties: false,
  properties: {
    readDepth: {
      type: 'integer',
      minimum: 0,
      default: DEFAULT_READ_DEPTH,
      description:
        'Records read ahead of the replay to put out-of-order records (as GoReplay writes them) back in timestamp order; ' +
        'it costs memory, never speed',
      examples: [DEFAULT_READ_DEPTH, 100_000],
    },
    maxWait: {
      type: 'string',
      format: 'duration',
      description: 'Longest wait between two messages, after speed scaling: longer recorded gaps are cut to it (0 or unset: no cap)',
      examples: ['1s', '500ms'],
    },
    loop: {
      type: 'boolean',
      default: false,
      description: 'Start again from the first record when every file has been replayed',
      examples: [true],
    },
    noWait: {
      type: 'boolean',
      default: false,
      description: 'Ignore the recorded gaps and replay as fast as the outputs accept: the way to replay at full speed',
      examples: [true],
    },
    dryRun: {
      type: 'boolean',
      default: false,
      description: 'Read the files and report how many records they hold and the time span they cover, without replaying them',
      examples: [true],
    },
  },
} as const satisfies OptionsSchema;

type FileReplayOptions = Readonly<OptionsOf<typeof inputFileOptions>>;

export const inputFile = defineInput({
  kind: 'input',
  name: 'input-file',
  summary: 'Replay .gor files (GoReplay format, plain or .gz) in timestamp order, at the recorded pace',
  value: {
    placeholder: 'path',
    description:
      'A .gor file or a glob (*, ?, [a-z], **), local or s3://bucket/key (globs too; a key naming no object is a prefix); several files are merged in timestamp order, ' +
      '.gz files are read compressed. ' +
      'Suffix |200% to replay twice as fast (|50% at half speed), |N for at most N messages per second',
    example: 'requests-*.gor|200%',
  },
  rate: 'plugin',
  options: inputFileOptions,
  async create(value, options, ctx) {
    if (!value) {
      throw new RepriseError('RPR_CONFIG_INVALID', 'needs a file path or glob, e.g. --input-file requests.gor', {
        plugin: 'input-file',
        phase: 'create',
      });
    }
    const storage = await storageFor(value, 'input-file');
    const files = await storage.expand(value);
    if (files.length === 0) {
      throw new RepriseError('RPR_INPUT_NOT_FOUND', `no file matches ${value}`, { plugin: 'input-file', phase: 'create', file: value });
    }
    return new FileReplay(files, storage, paceOf(options, ctx), options, ctx);
  },
});

function paceOf(options: FileReplayOptions, ctx: PluginContext): ReplayPace {
  let speed = 1;
  let perSecond = Infinity;
  if (ctx.rate?.kind === 'percent') speed = ctx.rate.value / 100;
  if (ctx.rate?.kind === 'per-second') perSecond = ctx.rate.value;
  if (!(speed > 0) || !(perSecond > 0)) {
    throw new RepriseError('RPR_CONFIG_INVALID', 'a replay speed of 0 would never send anything (examples: |50%, |200%, |1000)', {
      plugin: 'input-file',
      phase: 'create',
    });
  }
  const maxWaitMs = options.maxWait === undefined ? 0 : parseDurationMs(options.maxWait, 'input-file-max-wait');
  return { speed: options.noWait ? Infinity : speed, maxWaitMs: maxWaitMs > 0 ? maxWaitMs : Infinity, perSecond };
}

class FileReplay implements InputInstance {
  private sources: FileRecordSource[] = [];
  private baseTimestamp: bigint | undefined;
  private isClosed = false;
  private readonly clock: ReplayClock;
  private readonly depth: number;
  /** Aborted by close() or by the pipeline's signal: ends a sleep at once. */
  private readonly stopped = new AbortController();
  private readonly stopSignal: AbortSignal;

  constructor(
    readonly files: string[],
    private readonly storage: FileStorage,
    pace: ReplayPace,
    private readonly options: FileReplayOptions,
    private readonly ctx: PluginContext,
  ) {
    this.clock = new ReplayClock(pace);
    this.depth = options.readDepth;
    this.stopSignal = AbortSignal.any([ctx.signal, this.stopped.signal]);
  }

  async *read(): AsyncIterable<Message[]> {
    if (this.options.dryRun) {
      await this.dryRun();
      return;
    }
    const startMs = performance.now();
    for (;;) {
      let count = 0;
      this.sources = this.openSources();
      try {
        for await (const batch of this.replayRound(startMs)) {
          count += batch.length;
          yield batch;
        }
      } finally {
        this.closeSources();
      }
      // A loop over files with no good record would spin forever: stop instead.
      if (!this.options.loop || count === 0 || this.isStopped()) return;
      this.clock.restart();
    }
  }

  async close(): Promise<void> {
    this.isClosed = true;
    this.stopped.abort();
    this.closeSources();
  }

  /** One pass over every file: records merged by timestamp and paced by the clock. */
  private async *replayRound(startMs: number): AsyncGenerator<Message[]> {
    const { clock, sources } = this;
    const isUnpaced = clock.isUnpaced;
    let batch: Message[] = [];
    let nowMs = performance.now() - startMs;
    let dueMs: number | undefined;
    for (;;) {
      if (this.isStopped()) return;
      // The source whose head is earliest; every head is final once its source is ready.
      let best: FileRecordSource | undefined;
      let bestKey = Infinity;
      for (let i = 0; i < sources.length; i++) {
        const source = sources[i]!;
        while (!source.isReady) await source.fill();
        const key = source.peekKey();
        if (key !== undefined && key < bestKey) {
          best = source;
          bestKey = key;
        }
      }
      if (best === undefined) break;
      if (!isUnpaced) {
        dueMs ??= clock.next(bestKey);
        if (dueMs - nowMs >= 1) {
          nowMs = performance.now() - startMs;
          if (dueMs - nowMs >= 1) {
            if (batch.length > 0) {
              yield batch;
              batch = [];
            } else if (!(await this.sleep(dueMs - nowMs))) {
              return;
            }
            nowMs = performance.now() - startMs;
            continue;
          }
        }
        dueMs = undefined;
      }
      batch.push(best.pop()!);
      if (batch.length >= BATCH_SIZE) {
        yield batch;
        batch = [];
        if (!isUnpaced) nowMs = performance.now() - startMs;
      }
    }
    if (batch.length > 0 && !this.isStopped()) yield batch;
  }

  private async dryRun(): Promise<void> {
    const sources = this.openSources();
    this.sources = sources;
    let count = 0;
    let firstKey = Infinity;
    let lastKey = -Infinity;
    try {
      for (const source of sources) {
        while (!source.isExhausted && !this.isStopped()) {
          await source.fill();
          for (let key = source.peekKey(); key !== undefined; key = source.peekKey()) {
            if (key < firstKey) firstKey = key;
            if (key > lastKey) lastKey = key;
            source.pop();
            count++;
          }
        }
      }
    } finally {
      this.closeSources();
    }
    const spanMs = count === 0 ? 0 : (lastKey - firstKey) / 1e6;
    this.ctx.stats.add('records', count);
    this.ctx.logger.info(
      `dry run: ${count} records in ${this.files.length} file(s), recorded duration ${formatDuration(spanMs)} (${this.files.join(', ')})`,
    );
  }

  private openSources(): FileRecordSource[] {
    const hooks = {
      keyOf: (timestamp: bigint): number => {
        this.baseTimestamp ??= timestamp;
        return Number(timestamp - this.baseTimestamp);
      },
      onCorrupt: (error: RepriseError): void => {
        this.ctx.logger.error(error.message);
        this.ctx.stats.add('failed');
        this.ctx.stats.add('corrupt');
      },
    };
    return this.files.map((file) => new FileRecordSource(file, this.depth, hooks, this.storage));
  }

  private closeSources(): void {
    for (const source of this.sources) source.close();
    this.sources = [];
  }

  private isStopped(): boolean {
    return this.isClosed || this.ctx.signal.aborted;
  }

  /** Sleeps unless stopped; false when the signal cut it short. */
  private async sleep(ms: number): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: this.stopSignal });
      return true;
    } catch {
      return false;
    }
  }
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(3)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(3)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${(seconds - minutes * 60).toFixed(3)}s`;
  return `${Math.floor(minutes / 60)}h${minutes % 60}m${Math.round(seconds % 60)}s`;
}
