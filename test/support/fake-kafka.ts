/**
 * A protocol-level fake Kafka broker for tests (no real broker can be installed here): one node on
 * 127.0.0.1, port 0, optionally TLS, speaking just enough of the Kafka protocol for a client to produce
 * and fetch — ApiVersions v3, Metadata v12, Produce v9, ListOffsets v8, Fetch v12 (flexible versions:
 * compact strings and arrays, tagged fields), written from the protocol's published message layouts.
 * Topics are created on first use with `partitions` partitions; produced record batches are stored as
 * received (only their base offset is assigned) and served back by Fetch, with long polling.
 */
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';

const API_PRODUCE = 0;
const API_FETCH = 1;
const API_LIST_OFFSETS = 2;
const API_METADATA = 3;
const API_VERSIONS = 18;
/** The one version of each API this broker speaks: the client picks the highest it knows within the range. */
const SUPPORTED: Array<[number, number]> = [
  [API_PRODUCE, 9],
  [API_FETCH, 12],
  [API_LIST_OFFSETS, 8],
  [API_METADATA, 12],
  [API_VERSIONS, 3],
];
const NODE_ID = 1;
const UNSUPPORTED_VERSION = 35;

export interface StoredBatch {
  baseOffset: bigint;
  /** The record batch as produced, with its base offset set. */
  bytes: Buffer;
}

export interface FakeKafka {
  host: string;
  port: number;
  /** `127.0.0.1:port`, for --*-kafka-host. */
  address: string;
  /** Stored batches by topic, then partition. */
  topics: Map<string, StoredBatch[][]>;
  /** Requests seen, by API key (to check what a client did). */
  requestCounts: Map<number, number>;
  close(): Promise<void>;
}

export async function startFakeKafka(
  t: { after(fn: () => Promise<void> | void): void },
  options: { partitions?: number; tls?: TlsOptions } = {},
): Promise<FakeKafka> {
  const partitions = options.partitions ?? 2;
  const topics = new Map<string, StoredBatch[][]>();
  const requestCounts = new Map<number, number>();
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    // Requests on one connection are answered in order (as Kafka does), even when a fetch waits.
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) break;
        const frame = pending.subarray(4, 4 + size);
        pending = pending.subarray(4 + size);
        queue = queue.then(async () => {
          const response = await handle(frame);
          if (response && !socket.destroyed) socket.write(frame4(response));
        });
      }
    });
  };
  const server: Server = options.tls ? createTlsServer(options.tls, onConnection) : createTcpServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const topicLog = (name: string): StoredBatch[][] => {
    let log = topics.get(name);
    if (!log) {
      log = Array.from({ length: partitions }, () => []);
      topics.set(name, log);
    }
    return log;
  };
  const endOffset = (log: StoredBatch[]): bigint => {
    const last = log[log.length - 1];
    return last ? last.baseOffset + BigInt(last.bytes.readInt32BE(23)) + 1n : 0n; // lastOffsetDelta is at byte 23
  };

  async function handle(frame: Buffer): Promise<Buffer | undefined> {
    const r = new Reader(frame);
    const apiKey = r.int16();
    const version = r.int16();
    const correlationId = r.int32();
    r.nullableString(); // client_id (not compact, even in flexible headers)
    r.taggedFields();
    requestCounts.set(apiKey, (requestCounts.get(apiKey) ?? 0) + 1);
    const w = new Writer().int32(correlationId);
    if (apiKey === API_VERSIONS) {
      // ApiVersions responses have no tagged fields in their header, so old clients can read them.
      const isKnown = version === 3;
      w.int16(isKnown ? 0 : UNSUPPORTED_VERSION);
      w.compactArray(SUPPORTED, ([key, v]) => w.int16(key).int16(v).int16(v).taggedFields());
      return w.int32(0).taggedFields().done();
    }
    if (SUPPORTED.find(([key]) => key === apiKey)?.[1] !== version)
      throw new Error(`fake Kafka: API ${apiKey} v${version} is not implemented`);
    w.taggedFields(); // response header v1
    switch (apiKey) {
      case API_METADATA: {
        const requested = r.compactArray(() => {
          r.skip(16); // topic id
          const name = r.compactNullableString();
          r.taggedFields();
          return name;
        });
        const names = requested ?? [...topics.keys()];
        w.int32(0);
        w.compactArray([0], () => w.int32(NODE_ID).compactString('127.0.0.1').int32(port).compactNullableString(null).taggedFields());
        w.compactNullableString('fake-cluster').int32(NODE_ID);
        w.compactArray(names, (name) => {
          const log = topicLog(name!);
          w.int16(0).compactNullableString(name).uuid(name!).bool(false);
          w.compactArray(log, (_, index) => {
            w.int16(0).int32(index).int32(NODE_ID).int32(0);
            w.compactArray([NODE_ID], (id) => w.int32(id));
            w.compactArray([NODE_ID], (id) => w.int32(id));
            w.compactArray([], () => {});
            w.taggedFields();
          });
          w.int32(-2147483648).taggedFields();
        });
        return w.taggedFields().done();
      }
      case API_PRODUCE: {
        r.compactNullableString(); // transactional_id
        const acks = r.int16();
        r.int32(); // timeout
        const results = r.compactArray(() => {
          const name = r.compactString();
          const log = topicLog(name);
          const parts = r.compactArray(() => {
            const index = r.int32();
            const records = r.compactBytes();
            r.taggedFields();
            const baseOffset = endOffset(log[index]!);
            const bytes = Buffer.from(records);
            bytes.writeBigInt64BE(baseOffset, 0); // the broker assigns offsets; the CRC does not cover them
            log[index]!.push({ baseOffset, bytes });
            return { index, baseOffset };
          })!;
          r.taggedFields();
          return { name, parts };
        })!;
        for (const wake of waiters) wake();
        if (acks === 0) return undefined;
        w.compactArray(results, ({ name, parts }) => {
          w.compactString(name);
          w.compactArray(parts, ({ index, baseOffset }) => {
            w.int32(index).int16(0).int64(baseOffset).int64(-1n).int64(0n);
            w.compactArray([], () => {});
            w.compactNullableString(null).taggedFields();
          });
          w.taggedFields();
        });
        return w.int32(0).taggedFields().done();
      }
      case API_LIST_OFFSETS: {
        r.int32(); // replica_id
        r.int8(); // isolation_level
        const asked = r.compactArray(() => {
          const name = r.compactString();
          const parts = r.compactArray(() => {
            const index = r.int32();
            r.int32(); // current_leader_epoch
            const timestamp = r.int64();
            r.taggedFields();
            return { index, timestamp };
          })!;
          r.taggedFields();
          return { name, parts };
        })!;
        w.int32(0);
        w.compactArray(asked, ({ name, parts }) => {
          const log = topicLog(name);
          w.compactString(name);
          // -2: the earliest offset; -1 (or any time): the end of the partition.
          w.compactArray(parts, ({ index, timestamp }) =>
            w
              .int32(index)
              .int16(0)
              .int64(-1n)
              .int64(timestamp === -2n ? 0n : endOffset(log[index]!))
              .int32(0)
              .taggedFields(),
          );
          w.taggedFields();
        });
        return w.taggedFields().done();
      }
      case API_FETCH: {
        r.int32(); // replica_id
        const maxWaitMs = r.int32();
        r.int32(); // min_bytes
        r.int32(); // max_bytes
        r.int8(); // isolation_level
        r.int32(); // session_id
        r.int32(); // session_epoch
        const asked = r.compactArray(() => {
          const name = r.compactString();
          const parts = r.compactArray(() => {
            const index = r.int32();
            r.int32(); // current_leader_epoch
            const offset = r.int64();
            r.int32(); // last_fetched_epoch
            r.int64(); // log_start_offset
            r.int32(); // partition_max_bytes
            r.taggedFields();
            return { index, offset };
          })!;
          r.taggedFields();
          return { name, parts };
        })!;
        const collect = () =>
          asked.map(({ name, parts }) => {
            const log = topicLog(name);
            return {
              name,
              parts: parts.map(({ index, offset }) => {
                const batches = log[index]!.filter((b) => b.baseOffset + BigInt(b.bytes.readInt32BE(23)) >= offset);
                return { index, end: endOffset(log[index]!), records: Buffer.concat(batches.map((b) => b.bytes)) };
              }),
            };
          });
        let answer = collect();
        if (answer.every((t) => t.parts.every((p) => p.records.length === 0)) && maxWaitMs > 0) {
          await new Promise<void>((resolve) => {
            const wake = () => {
              waiters.delete(wake);
              clearTimeout(timer);
              resolve();
            };
            const timer = setTimeout(wake, maxWaitMs);
            waiters.add(wake);
          });
          answer = collect();
        }
        w.int32(0).int16(0).int32(0);
        w.compactArray(answer, ({ name, parts }) => {
          w.compactString(name);
          w.compactArray(parts, ({ index, end, records }) => {
            w.int32(index).int16(0).int64(end).int64(end).int64(0n);
            w.compactArray([], () => {});
            w.int32(-1).compactBytes(records).taggedFields();
          });
          w.taggedFields();
        });
        return w.taggedFields().done();
      }
    }
    return undefined;
  }

  const fake: FakeKafka = {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    topics,
    requestCounts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const wake of waiters) wake();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  t.after(() => fake.close());
  return fake;
}

function frame4(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

class Reader {
  private at = 0;
  constructor(private readonly bytes: Buffer) {}
  int8(): number {
    return this.bytes.readInt8(this.at++);
  }
  int16(): number {
    const v = this.bytes.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  int32(): number {
    const v = this.bytes.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  int64(): bigint {
    const v = this.bytes.readBigInt64BE(this.at);
    this.at += 8;
    return v;
  }
  skip(n: number): void {
    this.at += n;
  }
  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.bytes[this.at++]!;
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
      shift += 7;
    }
  }
  nullableString(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    const s = this.bytes.toString('utf8', this.at, this.at + length);
    this.at += length;
    return s;
  }
  compactNullableString(): string | null {
    const length = this.uvarint() - 1;
    if (length < 0) return null;
    const s = this.bytes.toString('utf8', this.at, this.at + length);
    this.at += length;
    return s;
  }
  compactString(): string {
    return this.compactNullableString() ?? '';
  }
  compactBytes(): Buffer {
    const length = this.uvarint() - 1;
    const b = this.bytes.subarray(this.at, this.at + Math.max(length, 0));
    this.at += Math.max(length, 0);
    return b;
  }
  compactArray<T>(item: () => T): T[] | null {
    const length = this.uvarint() - 1;
    if (length < 0) return null;
    return Array.from({ length }, item);
  }
  taggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      this.skip(this.uvarint());
    }
  }
}

class Writer {
  private parts: Buffer[] = [];
  private fixed(size: number, write: (b: Buffer) => void): this {
    const b = Buffer.alloc(size);
    write(b);
    this.parts.push(b);
    return this;
  }
  int8(v: number): this {
    return this.fixed(1, (b) => b.writeInt8(v));
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  int16(v: number): this {
    return this.fixed(2, (b) => b.writeInt16BE(v));
  }
  int32(v: number): this {
    return this.fixed(4, (b) => b.writeInt32BE(v));
  }
  int64(v: bigint): this {
    return this.fixed(8, (b) => b.writeBigInt64BE(v));
  }
  uvarint(v: number): this {
    const bytes: number[] = [];
    let rest = v >>> 0;
    while (rest >= 0x80) {
      bytes.push((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    bytes.push(rest);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  /** A topic's id: 16 bytes derived from its name (stable, never all zeros). */
  uuid(name: string): this {
    const b = Buffer.alloc(16, 0x11);
    Buffer.from(name).copy(b, 0, 0, 16);
    this.parts.push(b);
    return this;
  }
  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    const b = Buffer.from(s);
    this.uvarint(b.length + 1);
    this.parts.push(b);
    return this;
  }
  compactString(s: string): this {
    return this.compactNullableString(s);
  }
  compactBytes(b: Buffer): this {
    this.uvarint(b.length + 1);
    this.parts.push(b);
    return this;
  }
  compactArray<T>(items: T[], item: (value: T, index: number) => unknown): this {
    this.uvarint(items.length + 1);
    items.forEach(item);
    return this;
  }
  taggedFields(): this {
    return this.uvarint(0);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export interface StoredRecord {
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

/** The records a topic holds, partition by partition, from the stored batches (uncompressed, magic 2). */
export function storedRecords(fake: FakeKafka, topic: string): StoredRecord[] {
  const out: StoredRecord[] = [];
  (fake.topics.get(topic) ?? []).forEach((log, partition) => {
    for (const { baseOffset, bytes } of log) {
      if (bytes[16] !== 2) throw new Error(`fake Kafka: batch magic ${bytes[16]} is not 2`);
      if ((bytes.readInt16BE(21) & 0x7) !== 0) throw new Error('fake Kafka: compressed batches are not decoded here');
      const count = bytes.readInt32BE(57);
      let at = 61;
      // Record fields are zigzag varints (RFC: Kafka protocol, "Record").
      const varint = (): number => {
        let value = 0;
        let shift = 0;
        for (;;) {
          const byte = bytes[at++]!;
          value |= (byte & 0x7f) << shift;
          if ((byte & 0x80) === 0) break;
          shift += 7;
        }
        return (value >>> 1) ^ -(value & 1);
      };
      const field = (): Buffer | null => {
        const length = varint();
        if (length < 0) return null;
        const b = bytes.subarray(at, at + length);
        at += length;
        return b;
      };
      for (let i = 0; i < count; i++) {
        varint(); // length
        at++; // attributes
        varint(); // timestamp delta
        const offsetDelta = varint();
        const key = field();
        const value = field();
        const headers = varint();
        for (let h = 0; h < headers; h++) {
          field();
          field();
        }
        out.push({ partition, offset: baseOffset + BigInt(offsetDelta), key, value });
      }
    }
  });
  return out;
}
