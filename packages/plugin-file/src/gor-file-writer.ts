import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { encodeRecords, recordByteLength, RepriseError, writeRecordInto, type Message } from '@reprise/core';
import { formatTimePattern, hasTimePattern, isGzipPath, rotatedPath } from './file-naming.js';
import { localStorage } from './local-storage.js';
import type { FileStorage, WritableFile } from './storage.js';

const gzip = promisify(gzipCallback);

export interface GorFileWriterOptions {
  /** The output path, possibly with %Y %m %d %H %M %S. */
  path: string;
  /** Where the files go (default: the local file system). */
  storage?: FileStorage;
  /** Keep existing content (else an existing file is truncated when it is opened). */
  isAppend: boolean;
  /** Start the next file when the current one would exceed this many record bytes; Infinity for never. */
  sizeLimitBytes: number;
  /** Buffered records are written at least this often. */
  flushIntervalMs: number;
  /** The clock for time patterns (tests may pass their own). */
  now?: () => Date;
  /** Called with a background write failure; it is also thrown by the next write, flush or close. */
  onError?: (error: unknown) => void;
}

/** Buffered bytes that make `write` wait for a disk write: bounds memory and is the backpressure. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/**
 * Records are copied into reusable chunks of this size; a full chunk is written at once (in the
 * background) and returns to a spare list once on disk. Small chunks written early keep memory
 * flat under load: a fresh buffer per batch, or big chunks filled for a whole flush interval, made
 * memory climb during a capture (docs/BENCHMARKS.md, capture memory).
 */
const CHUNK_BYTES = 256 * 1024;
const SPARE_CHUNKS = HIGH_WATER_BYTES / CHUNK_BYTES;

/**
 * Appends records to a .gor file, buffering them in memory and writing what is buffered (when a
 * chunk fills, at each flush interval, on flush) with one system call, so the file only ever holds
 * whole records. Files are switched (time pattern,
 * size limit) between records. A `.gz` file is written as one gzip member per write: each is
 * complete with its trailer, so the file stays readable up to the last write whatever happens later.
 * All file operations run one after another on one queue.
 */
export class GorFileWriter {
  private file: WritableFile | undefined;
  private currentPath = '';
  /** The formatted time pattern the current file belongs to, and its size-rotation index. */
  private currentBase = '';
  private index = 0;
  /** Record bytes in the current file, counting those still buffered. */
  private sizeBytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The chunk being filled and how much of it is used; chunks in `pending` are written, then spare. */
  private chunk: Buffer | undefined;
  private chunkUsed = 0;
  private sealedChunks: Buffer[] = [];
  private readonly spareChunks: Buffer[] = [];
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;
  /** A background write is queued and has not started: another one would find nothing new. */
  private isBackgroundWriteQueued = false;
  private closing: Promise<void> | undefined;
  private readonly isTimed: boolean;
  private readonly now: () => Date;

  constructor(private readonly options: GorFileWriterOptions) {
    this.isTimed = hasTimePattern(options.path);
    this.now = options.now ?? (() => new Date());
  }

  /** Paths written so far, in order (for logs and tests). */
  readonly paths: string[] = [];

  /** Opens the first file (truncating it unless appending) and starts the flush timer. */
  async open(): Promise<void> {
    await this.switchTo(this.baseName(), 0);
    this.timer = setInterval(() => this.backgroundFlush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  write(batch: readonly Message[]): void | Promise<void> {
    this.throwIfFailed();
    if (this.closing) {
      throw new RepriseError('RPR_PLUGIN_FAILED', 'write after close', { plugin: 'output-file', phase: 'write', file: this.currentPath });
    }
    if (batch.length === 0) return;
    if (this.options.sizeLimitBytes !== Infinity || (this.isTimed && this.baseName() !== this.currentBase)) {
      return this.writeSlowly(batch);
    }
    this.sizeBytes += this.append(batch, 0, batch.length);
    if (this.pendingBytes >= HIGH_WATER_BYTES) return this.enqueue(() => this.writePending());
  }

  /** Writes everything buffered and waits until it is on disk. */
  flush(): Promise<void> {
    this.throwIfFailed();
    return this.enqueue(async () => {
      await this.writePending();
      await this.file?.sync();
    });
  }

  /** Flushes, syncs and closes the file (a valid gzip ending included). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      await this.enqueue(async () => {
        await this.writePending();
        const file = this.file;
        this.file = undefined;
        await file?.close();
      });
      this.throwIfFailed();
    })();
    return this.closing;
  }

  /** The path of the file being written. */
  get path(): string {
    return this.currentPath;
  }

  /** The slow path: a new time-pattern file, or a size limit checked record by record. */
  private async writeSlowly(batch: readonly Message[]): Promise<void> {
    if (this.isTimed) {
      const base = this.baseName();
      if (base !== this.currentBase) await this.switchTo(base, 0);
    }
    const limit = this.options.sizeLimitBytes;
    if (limit === Infinity) {
      this.sizeBytes += this.append(batch, 0, batch.length);
    } else {
      let segmentStart = 0;
      for (let i = 0; i < batch.length; i++) {
        const length = recordByteLength(batch[i]!);
        // A record larger than the limit still goes whole into a file of its own.
        if (this.sizeBytes > 0 && this.sizeBytes + length > limit) {
          if (i > segmentStart) this.append(batch, segmentStart, i);
          segmentStart = i;
          await this.switchTo(this.currentBase, this.index + 1);
        }
        this.sizeBytes += length;
      }
      this.append(batch, segmentStart, batch.length);
    }
    if (this.pendingBytes >= HIGH_WATER_BYTES) await this.enqueue(() => this.writePending());
  }

  /** Copies records `start..end` into the current chunk (a record bigger than a chunk gets its own buffer); returns their bytes. */
  private append(batch: readonly Message[], start: number, end: number): number {
    let appended = 0;
    for (let i = start; i < end; i++) {
      const message = batch[i]!;
      this.chunk ??= this.spareChunks.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
      let next = writeRecordInto(this.chunk, this.chunkUsed, message);
      if (next < 0) {
        this.sealChunk();
        this.backgroundFlush();
        if (recordByteLength(message) > CHUNK_BYTES) {
          const bytes = encodeRecords(batch, i, i + 1);
          this.pending.push(bytes);
          this.pendingBytes += bytes.length;
          appended += bytes.length;
          continue;
        }
        this.chunk = this.spareChunks.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
        next = writeRecordInto(this.chunk, 0, message);
      }
      appended += next - this.chunkUsed;
      this.pendingBytes += next - this.chunkUsed;
      this.chunkUsed = next;
    }
    return appended;
  }

  /** Moves the used part of the current chunk to the pending writes. */
  private sealChunk(): void {
    if (!this.chunk) return;
    if (this.chunkUsed > 0) {
      this.pending.push(this.chunk.subarray(0, this.chunkUsed));
      this.sealedChunks.push(this.chunk);
    } else {
      this.spareChunks.push(this.chunk);
    }
    this.chunk = undefined;
    this.chunkUsed = 0;
  }

  /** Ends the current file (its buffered records included) and opens `rotatedPath(base, index)`. */
  private switchTo(base: string, index: number): Promise<void> {
    return this.enqueue(async () => {
      await this.writePending();
      if (this.file) {
        const file = this.file;
        this.file = undefined;
        await file.close();
      }
      const path = rotatedPath(base, index);
      const file = await (this.options.storage ?? localStorage).openWrite(path, this.options.isAppend);
      this.file = file;
      this.currentPath = path;
      this.currentBase = base;
      this.index = index;
      this.sizeBytes = file.initialSizeBytes;
      this.paths.push(path);
    });
  }

  /** Writes the buffered records to the current file: one system call (one gzip member). */
  private async writePending(): Promise<void> {
    if (this.pendingBytes === 0 || !this.file) return;
    this.sealChunk();
    const buffers = this.pending;
    const total = this.pendingBytes;
    const written = this.sealedChunks;
    this.pending = [];
    this.pendingBytes = 0;
    this.sealedChunks = [];
    if (isGzipPath(this.currentPath)) {
      await this.file.write([await gzip(buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers, total))]);
    } else {
      await this.file.write(buffers);
    }
    // Only now may the chunks be filled again: their bytes are on their way to disk.
    for (const chunk of written) if (this.spareChunks.length < SPARE_CHUNKS) this.spareChunks.push(chunk);
  }

  private backgroundFlush(): void {
    if (this.pendingBytes === 0 || this.isBackgroundWriteQueued || this.closing || this.failure !== undefined) return;
    this.isBackgroundWriteQueued = true;
    this.enqueue(() => {
      this.isBackgroundWriteQueued = false;
      return this.writePending();
    }).catch(() => {
      // recorded by enqueue; thrown by the next write
    });
  }

  private enqueue(operation: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => {
      this.throwIfFailed();
      return operation();
    });
    this.queue = run.catch((error: unknown) => {
      if (this.failure === undefined) {
        this.failure = error;
        this.options.onError?.(error);
      }
    });
    return run;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private baseName(): string {
    return this.isTimed ? formatTimePattern(this.options.path, this.now()) : this.options.path;
  }
}
