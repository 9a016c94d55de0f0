import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { corruptionError, GorDecoder, RepriseError, type GorDecoded, type Message } from '@reprise/core';
import { ReorderWindow } from './reorder-window.js';
import type { FileStorage } from './storage.js';

export interface SourceHooks {
  /** The ordering key of a timestamp: nanoseconds from a base shared by every file. */
  keyOf(timestamp: bigint): number;
  /** A corrupt or truncated record, or a damaged gzip stream; the source goes on (or ends). */
  onCorrupt(error: RepriseError): void;
}

const CHUNK_BYTES = 256 * 1024;

/**
 * One .gor file (plain or gzip, local or on S3), read chunk by chunk and put back in timestamp order by a
 * read-ahead window of `depth` records. The head is final once more than `depth` records are
 * behind it, or the file has ended.
 */
export class FileRecordSource {
  private readonly window = new ReorderWindow<Message>();
  private readonly decoder = new GorDecoder();
  /** Decoded records not yet in the window (a chunk holds more than the window may take). */
  private staged: GorDecoded[] = [];
  private stagedAt = 0;
  private iterator: AsyncIterator<Buffer> | undefined;
  private stream: Readable | undefined;
  private isEnded = false;
  private isClosed = false;

  constructor(
    readonly path: string,
    private readonly depth: number,
    private readonly hooks: SourceHooks,
    private readonly storage: FileStorage,
  ) {}

  get isReady(): boolean {
    return this.window.size > this.depth || (this.isEnded && this.stagedAt === this.staged.length);
  }

  get isExhausted(): boolean {
    return this.isEnded && this.window.size === 0;
  }

  /** Key of the earliest record held; meaningful when isReady. */
  peekKey(): number | undefined {
    return this.window.peekKey();
  }

  pop(): Message | undefined {
    const message = this.window.pop();
    if (this.stagedAt < this.staged.length) this.topUp();
    return message;
  }

  /** Reads and decodes one more chunk (or ends the source). */
  async fill(): Promise<void> {
    if (this.stagedAt < this.staged.length) {
      this.topUp();
      return;
    }
    if (this.isEnded) return;
    this.iterator ??= this.open();
    let result: IteratorResult<Buffer>;
    try {
      result = await this.iterator.next();
    } catch (error) {
      // A read cut short by close() is not an error.
      if (!this.isClosed) this.fail(error);
      return;
    }
    if (this.isClosed) return;
    this.staged.length = 0;
    this.stagedAt = 0;
    if (result.done) {
      this.decoder.end(this.staged);
      this.isEnded = true;
    } else {
      this.decoder.push(result.value, this.staged);
    }
    this.topUp();
  }

  close(): void {
    this.isClosed = true;
    this.stream?.destroy();
    this.stream = undefined;
    this.isEnded = true;
    this.window.clear();
    this.staged = [];
    this.stagedAt = 0;
  }

  /** Moves staged records into the window until it holds depth + 1 (or nothing is staged). */
  private topUp(): void {
    const { window, hooks, staged, depth } = this;
    let at = this.stagedAt;
    while (at < staged.length && window.size <= depth) {
      const item = staged[at++]!;
      if (item.type === 'record') window.push(item.message, hooks.keyOf(item.message.timestamp));
      else hooks.onCorrupt(corruptionError(item, { plugin: 'input-file', file: this.path }));
    }
    this.stagedAt = at;
  }

  private open(): AsyncIterator<Buffer> {
    const file = this.storage.openRead(this.path);
    let stream: Readable = file;
    if (this.path.endsWith('.gz')) {
      const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
      // pipeline forwards a read error to gunzip, so the iterator below sees it.
      pipeline(file, gunzip, () => {});
      stream = gunzip;
    }
    this.stream = stream;
    return stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private fail(error: unknown): void {
    if (error instanceof RepriseError) throw error; // from the storage, already saying what and where
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT') {
      throw new RepriseError('RPR_INPUT_NOT_FOUND', `${this.path} disappeared before it could be read`, {
        plugin: 'input-file',
        phase: 'read',
        file: this.path,
        cause: error,
      });
    }
    if (typeof code === 'string' && code.startsWith('Z_')) {
      // A damaged or cut gzip stream: keep what was decoded, report the rest as corrupt.
      // Records still staged stay staged; the truncated tail is reported after them.
      this.staged = this.staged.slice(this.stagedAt);
      this.stagedAt = 0;
      this.decoder.end(this.staged);
      this.topUp();
      this.hooks.onCorrupt(
        new RepriseError('RPR_GOR_CORRUPT', `gzip stream is damaged (${(error as Error).message})`, {
          plugin: 'input-file',
          file: this.path,
          offset: this.decoder.position,
          cause: error,
        }),
      );
      this.isEnded = true;
      this.stream?.destroy();
      return;
    }
    throw new RepriseError('RPR_PLUGIN_FAILED', `cannot read ${this.path}: ${(error as Error)?.message ?? error}`, {
      plugin: 'input-file',
      phase: 'read',
      file: this.path,
      cause: error,
    });
  }
}
