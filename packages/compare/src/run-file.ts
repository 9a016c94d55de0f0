/**
 * The run file (`--save-run`, read by `reprise report`): every exchange of a comparison, appended
 * as it completes, so any report can be rebuilt offline with the same result. Format (version 1):
 *
 *   reprise-run 1 {"createdAt":"…","settings":{…}}\n            one header line
 *   X {"id":"…","parts":["request","baseline",…],"meta":[…],"errors":[…],"bytes":N}\n
 *   <N bytes: the parts' messages as .gor records, in `parts` order>
 *   X {…}\n<…>                                                   one block per exchange
 *
 * `parts` names each record's role: request, original, baseline, candidate. `"baseline":"original"`
 * in the descriptor means the baseline is the recorded original (stored once). `meta` holds each
 * message's annotations (`target`), which .gor records do not carry. A reader keeps one exchange
 * in memory; a truncated last block (the run was killed) is a problem reported, not an error.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { GorDecoder, RepriseError, encodeRecords, type Message } from '@reprise/core';
import type { Exchange, ExchangeError } from './exchange.js';

export const RUN_FILE_VERSION = 1;
const MAGIC = 'reprise-run';
const BLOCK = 'X ';

export interface RunHeader {
  version: number;
  createdAt: string;
  /** The comparison's settings (targets, mode, flags), echoed in reports. */
  settings: Record<string, unknown>;
}

type Part = 'request' | 'original' | 'baseline' | 'candidate';

interface BlockDescriptor {
  id: string;
  parts: Part[];
  meta: Array<Record<string, string> | null>;
  errors?: ExchangeError[];
  baseline?: 'original';
  bytes: number;
}

export interface RunFileProblem {
  /** Byte offset of the block concerned. */
  offset: number;
  reason: string;
}

export function encodeRunHeader(header: RunHeader): Buffer {
  return Buffer.from(`${MAGIC} ${RUN_FILE_VERSION} ${JSON.stringify({ createdAt: header.createdAt, settings: header.settings })}\n`);
}

/** One exchange as a block: descriptor line and records. */
export function encodeExchange(exchange: Exchange): Buffer {
  const messages: Message[] = [exchange.request];
  const parts: Part[] = ['request'];
  if (exchange.original) {
    messages.push(exchange.original);
    parts.push('original');
  }
  const baselineIsOriginal =
    exchange.original !== undefined && exchange.baseline.length === 1 && exchange.baseline[0] === exchange.original;
  if (!baselineIsOriginal) {
    for (const m of exchange.baseline) messages.push(m);
    for (let i = 0; i < exchange.baseline.length; i++) parts.push('baseline');
  }
  for (const m of exchange.candidate) messages.push(m);
  for (let i = 0; i < exchange.candidate.length; i++) parts.push('candidate');
  const records = encodeRecords(messages);
  const descriptor: BlockDescriptor = {
    id: exchange.id,
    parts,
    meta: messages.map((m) => m.meta ?? null),
    ...(exchange.errors?.length ? { errors: exchange.errors } : {}),
    ...(baselineIsOriginal ? { baseline: 'original' as const } : {}),
    bytes: records.length,
  };
  return Buffer.concat([Buffer.from(`${BLOCK}${JSON.stringify(descriptor)}\n`), records]);
}

export type RunDecoded =
  | { type: 'header'; header: RunHeader }
  | { type: 'exchange'; exchange: Exchange; offset: number }
  | { type: 'problem'; problem: RunFileProblem };

/** Streaming decoder of a run file's bytes (pure: fed chunks, returns what they complete). */
export class RunDecoder {
  private pending: Buffer = Buffer.alloc(0);
  /** Chunks not yet joined to `pending` (see push). */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  /** File offset of pending[0]. */
  private offset = 0;
  private sawHeader = false;
  /** After a bad descriptor: looking for the next line that starts a block. */
  private syncing = false;
  private descriptor: { value: BlockDescriptor; bodyStart: number } | undefined;

  constructor(private readonly file?: string) {}

  push(chunk: Uint8Array, out: RunDecoded[] = []): RunDecoded[] {
    this.waiting.push(Buffer.from(chunk));
    this.waitingBytes += chunk.length;
    // A large exchange arriving in many chunks is joined once, when all of it is there.
    if (this.descriptor && this.pending.length + this.waitingBytes < this.descriptor.value.bytes) return out;
    this.pending = Buffer.concat([this.pending, ...this.waiting]);
    this.waiting = [];
    this.waitingBytes = 0;
    for (;;) {
      if (!this.sawHeader) {
        const line = this.takeLine();
        if (line === undefined) return out;
        out.push({ type: 'header', header: this.parseHeader(line) });
        this.sawHeader = true;
        continue;
      }
      if (this.syncing && !this.resync()) return out;
      if (!this.descriptor) {
        const start = this.offset;
        const line = this.takeLine();
        if (line === undefined) return out;
        const value = parseDescriptor(line);
        if (typeof value === 'string') {
          out.push({ type: 'problem', problem: { offset: start, reason: `${value}; skipped to the next exchange` } });
          this.syncing = !this.pending.subarray(0, BLOCK.length + 1).equals(Buffer.from(`${BLOCK}{`));
          continue;
        }
        this.descriptor = { value, bodyStart: this.offset };
      }
      const { value, bodyStart } = this.descriptor;
      if (this.pending.length < value.bytes) return out;
      const records = this.pending.subarray(0, value.bytes);
      this.pending = this.pending.subarray(value.bytes);
      this.offset += value.bytes;
      this.descriptor = undefined;
      const blockOffset = bodyStart;
      const exchange = decodeBlock(value, records);
      out.push(
        typeof exchange === 'string'
          ? { type: 'problem', problem: { offset: blockOffset, reason: exchange } }
          : { type: 'exchange', exchange, offset: blockOffset },
      );
    }
  }

  /** The input ended: an incomplete block is reported as truncated. */
  end(out: RunDecoded[] = []): RunDecoded[] {
    if (!this.sawHeader) throw this.notARunFile();
    this.pending = Buffer.concat([this.pending, ...this.waiting]);
    this.waiting = [];
    this.waitingBytes = 0;
    if (this.syncing) this.pending = Buffer.alloc(0); // the rest of a block already reported
    if (this.descriptor || this.pending.length > 0) {
      const offset = this.descriptor ? this.descriptor.bodyStart : this.offset;
      const id = this.descriptor ? ` (exchange ${this.descriptor.value.id})` : '';
      out.push({ type: 'problem', problem: { offset, reason: `truncated last exchange${id}: the file ends inside it; it is skipped` } });
      this.descriptor = undefined;
      this.pending = Buffer.alloc(0);
    }
    return out;
  }

  private takeLine(): string | undefined {
    const nl = this.pending.indexOf(0x0a);
    if (nl < 0) {
      if (!this.sawHeader && this.pending.length > 1 << 20) throw this.notARunFile();
      return undefined;
    }
    const line = this.pending.subarray(0, nl).toString('utf8');
    this.pending = this.pending.subarray(nl + 1);
    this.offset += nl + 1;
    return line;
  }

  /** Skips to the next line that starts a block; false when more input is needed. */
  private resync(): boolean {
    const at = this.pending.indexOf(`\n${BLOCK}{`);
    const skip = at < 0 ? Math.max(0, this.pending.length - BLOCK.length - 1) : at + 1;
    this.pending = this.pending.subarray(skip);
    this.offset += skip;
    if (at >= 0) this.syncing = false;
    return at >= 0;
  }

  private parseHeader(line: string): RunHeader {
    const match = /^reprise-run (\d+) (\{.*\})$/.exec(line);
    if (!match) throw this.notARunFile();
    const version = Number(match[1]);
    if (version !== RUN_FILE_VERSION) {
      throw new RepriseError(
        'RPR_GOR_CORRUPT',
        `run file version ${version} is not supported (this reprise reads version ${RUN_FILE_VERSION})`,
        { file: this.file, offset: 0 },
      );
    }
    try {
      const body = JSON.parse(match[2]!) as { createdAt?: unknown; settings?: unknown };
      return { version, createdAt: String(body.createdAt ?? ''), settings: (body.settings ?? {}) as Record<string, unknown> };
    } catch {
      throw this.notARunFile();
    }
  }

  private notARunFile(): RepriseError {
    return new RepriseError('RPR_GOR_CORRUPT', `not a reprise run file: the first line must be "${MAGIC} ${RUN_FILE_VERSION} {…}"`, {
      file: this.file,
      offset: 0,
    });
  }
}

const PARTS = new Set(['request', 'original', 'baseline', 'candidate']);

function parseDescriptor(line: string): BlockDescriptor | string {
  if (!line.startsWith(BLOCK)) return 'expected an exchange line starting with "X "';
  let d: BlockDescriptor;
  try {
    d = JSON.parse(line.slice(BLOCK.length)) as BlockDescriptor;
  } catch {
    return 'the exchange line is not JSON';
  }
  const valid =
    typeof d === 'object' &&
    d !== null &&
    typeof d.id === 'string' &&
    Array.isArray(d.parts) &&
    d.parts.every((p) => PARTS.has(p)) &&
    d.parts[0] === 'request' &&
    Array.isArray(d.meta) &&
    d.meta.length === d.parts.length &&
    Number.isSafeInteger(d.bytes) &&
    d.bytes >= 0;
  return valid ? d : 'the exchange line lacks id, parts, meta or bytes';
}

function decodeBlock(d: BlockDescriptor, records: Buffer): Exchange | string {
  const decoder = new GorDecoder();
  const decoded = decoder.push(records);
  decoder.end(decoded);
  if (decoded.length !== d.parts.length || decoded.some((r) => r.type !== 'record')) {
    return `exchange ${d.id}: its ${d.parts.length} records are corrupt; it is skipped`;
  }
  const exchange: Exchange = { id: d.id, request: undefined as unknown as Message, baseline: [], candidate: [] };
  decoded.forEach((r, i) => {
    if (r.type !== 'record') return;
    const message = r.message;
    const meta = d.meta[i];
    if (meta) message.meta = meta;
    const part = d.parts[i]!;
    if (part === 'request') exchange.request = message;
    else if (part === 'original') exchange.original = message;
    else exchange[part].push(message);
  });
  if (d.baseline === 'original' && exchange.original) exchange.baseline = [exchange.original];
  if (d.errors?.length) exchange.errors = d.errors;
  return exchange;
}

/** Appends exchanges to a run file as they complete; memory is the stream's buffer only. */
export class RunFileWriter {
  private failure: Error | undefined;
  private written = 0;

  private constructor(
    private readonly stream: WriteStream,
    readonly path: string,
  ) {
    stream.on('error', (error) => (this.failure = error));
  }

  static async create(path: string, settings: Record<string, unknown>): Promise<RunFileWriter> {
    const stream = createWriteStream(path);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (error) => reject(writeError(path, error)));
    });
    const writer = new RunFileWriter(stream, path);
    stream.write(encodeRunHeader({ version: RUN_FILE_VERSION, createdAt: new Date().toISOString(), settings }));
    return writer;
  }

  get exchanges(): number {
    return this.written;
  }

  /** Resolves at once unless the stream's buffer is full (then on drain). */
  async write(exchange: Exchange): Promise<void> {
    if (this.failure) throw writeError(this.path, this.failure);
    this.written++;
    if (!this.stream.write(encodeExchange(exchange))) {
      await new Promise<void>((resolve) => this.stream.once('drain', resolve));
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.stream.end(() => (this.failure ? reject(writeError(this.path, this.failure)) : resolve()));
    });
  }
}

function writeError(path: string, error: Error): RepriseError {
  return new RepriseError('RPR_PLUGIN_FAILED', `cannot write the run file: ${error.message}`, {
    plugin: 'compare',
    option: 'save-run',
    file: path,
    cause: error,
  });
}

export interface RunFile {
  header: RunHeader;
  /** Exchanges in file order; `problems` fills as they are read. */
  exchanges: AsyncIterable<Exchange>;
  problems: RunFileProblem[];
}

/** Opens a run file: the header is read at once, exchanges are streamed. */
export async function openRunFile(path: string): Promise<RunFile> {
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  const decoder = new RunDecoder(path);
  const problems: RunFileProblem[] = [];
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const queue: RunDecoded[] = [];
  let header: RunHeader | undefined;
  let ended = false;

  const fill = async (): Promise<void> => {
    while (queue.length === 0 && !ended) {
      let next: IteratorResult<Buffer>;
      try {
        next = await iterator.next();
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new RepriseError('RPR_INPUT_NOT_FOUND', 'run file does not exist', { file: path });
        throw new RepriseError('RPR_PLUGIN_FAILED', `cannot read the run file: ${(error as Error).message}`, {
          plugin: 'compare',
          file: path,
          cause: error,
        });
      }
      if (next.done) {
        ended = true;
        decoder.end(queue);
      } else decoder.push(next.value, queue);
    }
  };

  while (!header) {
    await fill();
    const first = queue.shift();
    if (!first) throw new RepriseError('RPR_GOR_CORRUPT', 'the run file is empty', { file: path, offset: 0 });
    if (first.type === 'header') header = first.header;
  }

  async function* exchanges(): AsyncGenerator<Exchange> {
    try {
      for (;;) {
        await fill();
        const item = queue.shift();
        if (!item) return;
        if (item.type === 'exchange') yield item.exchange;
        else if (item.type === 'problem') problems.push(item.problem);
      }
    } finally {
      stream.destroy();
    }
  }
  return { header, exchanges: exchanges(), problems };
}
