/**
 * JSON bodies compared structurally: objects key by key, array elements folded into one path
 * (`items[].price`). Arrays of scalars are compared as multisets, so a shuffled list is no
 * difference; arrays holding objects are compared index by index, so a shuffle shows up at the
 * same rate between two responses of one side and is cancelled as noise.
 */
import { defineComparator, type EmitDifference } from '../comparator.js';

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

export const jsonComparator = defineComparator<unknown>({
  name: 'json',
  summary: 'JSON bodies, structurally',
  matches(contentType, body) {
    if (contentType.includes('json')) return true;
    if (contentType !== '' && contentType !== 'text/plain') return false;
    const first = firstNonSpace(body);
    return first === OPEN_BRACE || first === OPEN_BRACKET;
  },
  parse(body) {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  },
  compare(baseline, candidate, emit) {
    compareValues(baseline, candidate, '', emit);
  },
});

function firstNonSpace(body: Uint8Array): number | undefined {
  for (let i = 0; i < body.length; i++) {
    const b = body[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  }
  return undefined;
}

type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as JsonType;
}

function childPath(path: string, key: string): string {
  const safe = /^[^.[\]"]+$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (safe.startsWith('[')) return path + safe;
  return path === '' ? safe : `${path}.${safe}`;
}

export function compareValues(a: unknown, b: unknown, path: string, emit: EmitDifference): void {
  if (a === b) return;
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (ta !== tb) return emit(path, 'type', a, b);
  if (ta === 'object') return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>, path, emit);
  if (ta === 'array') return compareArrays(a as unknown[], b as unknown[], path, emit);
  emit(path, 'changed', a, b); // two different scalars of one type
}

function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>, path: string, emit: EmitDifference): void {
  for (const key in a) {
    if (!Object.hasOwn(a, key)) continue;
    if (!Object.hasOwn(b, key)) emit(childPath(path, key), 'missing', a[key], undefined);
    else compareValues(a[key], b[key], childPath(path, key), emit);
  }
  for (const key in b) {
    if (Object.hasOwn(b, key) && !Object.hasOwn(a, key)) emit(childPath(path, key), 'extra', undefined, b[key]);
  }
}

function compareArrays(a: unknown[], b: unknown[], path: string, emit: EmitDifference): void {
  const elements = `${path}[]`;
  if (isScalarArray(a) && isScalarArray(b)) {
    if (!sameMultiset(a, b)) emit(elements, a.length > b.length ? 'missing' : a.length < b.length ? 'extra' : 'changed', a, b);
    return;
  }
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) compareValues(a[i], b[i], elements, emit);
  if (a.length > common) emit(elements, 'missing', a[common], undefined);
  else if (b.length > common) emit(elements, 'extra', undefined, b[common]);
}

function isScalarArray(values: unknown[]): boolean {
  for (const v of values) if (v !== null && typeof v === 'object') return false;
  return true;
}

function sameMultiset(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  let inOrder = true;
  for (let i = 0; i < a.length && inOrder; i++) inOrder = a[i] === b[i];
  if (inOrder) return true;
  const counts = new Map<unknown, number>();
  for (const v of a) counts.set(v, (counts.get(v) ?? 0) + 1);
  for (const v of b) {
    const n = counts.get(v);
    if (!n) return false;
    counts.set(v, n - 1);
  }
  return true;
}
