/**
 * A readable diff between two HTTP messages: the start line, headers (removed, added, changed, by name)
 * and the body (the changed lines, after the common beginning and end are set aside).
 */
import { parseHttpHead } from '@reprise/core';

export function diffMessages(before: Uint8Array, after: Uint8Array): string[] {
  const a = split(before);
  const b = split(after);
  const out: string[] = [];
  if (a.startLine !== b.startLine) out.push(`- ${a.startLine}`, `+ ${b.startLine}`);
  out.push(...diffHeaders(a.headers, b.headers));
  if (a.body !== b.body) out.push(...diffBody(a.body, b.body));
  return out;
}

interface Parts {
  startLine: string;
  headers: Array<[string, string]>;
  body: string;
}

function split(bytes: Uint8Array): Parts {
  const head = parseHttpHead(bytes);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (!head)
    return { startLine: buffer.toString('latin1', 0, Math.min(buffer.length, 200)).split('\n')[0]!.trimEnd(), headers: [], body: '' };
  return {
    startLine: head.startLine.filter((s) => s !== '').join(' '),
    headers: head.headers,
    body: buffer.toString('utf8', head.bodyOffset),
  };
}

function diffHeaders(a: Array<[string, string]>, b: Array<[string, string]>): string[] {
  const out: string[] = [];
  const key = (name: string) => name.toLowerCase();
  const before = new Map<string, string[]>();
  for (const [k, v] of a) before.set(key(k), [...(before.get(key(k)) ?? []), `${k}: ${v}`]);
  const after = new Map<string, string[]>();
  for (const [k, v] of b) after.set(key(k), [...(after.get(key(k)) ?? []), `${k}: ${v}`]);
  for (const [name, lines] of before) {
    const now = after.get(name);
    if (!now) for (const l of lines) out.push(`- ${l}`);
    else if (now.join('\n') !== lines.join('\n')) {
      for (const l of lines) out.push(`- ${l}`);
      for (const l of now) out.push(`+ ${l}`);
    }
  }
  for (const [name, lines] of after) if (!before.has(name)) for (const l of lines) out.push(`+ ${l}`);
  return out;
}

const MAX_BODY_LINES = 20;

function diffBody(a: string, b: string): string[] {
  const x = a.split(/\r?\n/);
  const y = b.split(/\r?\n/);
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length;
  let endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) {
    endX--;
    endY--;
  }
  const out = [`@@ body, line ${start + 1}`];
  const clip = (lines: string[], sign: string) => {
    for (const l of lines.slice(0, MAX_BODY_LINES)) out.push(`${sign} ${l.length > 200 ? `${l.slice(0, 200)}…` : l}`);
    if (lines.length > MAX_BODY_LINES) out.push(`${sign} … ${lines.length - MAX_BODY_LINES} more lines`);
  };
  clip(x.slice(start, endX), '-');
  clip(y.slice(start, endY), '+');
  return out;
}
