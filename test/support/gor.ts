/** Builds .gor files for tests with the core codec. */
import { readFileSync, writeFileSync } from 'node:fs';
import { encodeRecords, GOR_SEPARATOR, type Message } from '@reprise/core';

export function getRequests(count: number, opts: { gapMs?: number; startNs?: bigint; path?: (i: number) => string } = {}): Message[] {
  const start = opts.startNs ?? 1_795_574_173_000_000_000n;
  const gap = BigInt(Math.round((opts.gapMs ?? 1) * 1e6));
  return Array.from({ length: count }, (_, i) => ({
    kind: 'request' as const,
    id: (0x100000 + i).toString(16).padStart(24, 'a'),
    timestamp: start + gap * BigInt(i),
    latency: 0n,
    payload: new TextEncoder().encode(
      `GET ${opts.path ? opts.path(i) : `/item/${i}`} HTTP/1.1\r\nHost: recorded.example\r\nUser-Agent: test\r\n\r\n`,
    ),
  }));
}

export function writeGor(path: string, messages: Message[]): void {
  writeFileSync(path, encodeRecords(messages));
}

/** The records of a .gor file as raw byte strings (header line + payload), in file order. */
export function rawRecords(path: string): string[] {
  const text = readFileSync(path).toString('latin1');
  const separator = GOR_SEPARATOR.toString('latin1');
  return text.split(separator).filter((r) => r.length > 0);
}

/** Parses the exit summary: counters per component label prefix. */
export function summaryCounters(stderr: string, labelPrefix: string): Record<string, number> {
  const line = stderr.split('\n').find((l) => l.trimStart().startsWith(labelPrefix) && l.includes(' in='));
  if (!line) throw new Error(`no summary line for ${labelPrefix} in:\n${stderr}`);
  return Object.fromEntries([...line.matchAll(/ ([a-z0-9-]+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

export interface ParsedRecord {
  type: string;
  id: string;
  timestamp: bigint;
  latency: bigint;
  /** The raw HTTP message, latin1. */
  payload: string;
}

/** The records of a .gor file with their header fields apart, in file order. */
export function readRecords(path: string): ParsedRecord[] {
  return rawRecords(path).map((record) => {
    const lineEnd = record.indexOf('\n');
    const [type, id, timestamp, latency] = record.slice(0, lineEnd).split(' ');
    return { type: type!, id: id!, timestamp: BigInt(timestamp!), latency: BigInt(latency ?? '0'), payload: record.slice(lineEnd + 1) };
  });
}
