/**
 * Two parsed JSON values compared structurally: objects key by key, array elements folded into one
 * path (`items[].price`). Arrays of scalars are compared as multisets, so a shuffled list is no
 * difference; arrays holding objects are compared index by index, so a shuffle shows up at the
 * same rate between two responses of one side and is cancelled as noise.
 */
import type { EmitDifference } from '../comparator.js';

type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as JsonType;
}

const SAFE_KEY = /^[^.[\]"]+$/;

export function childPath(path: string, key: string): string {
  if (!SAFE_KEY.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
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

// Paths are built only where a value differs: most values of two similar bodies are equal scalars.
function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>, path: string, emit: EmitDifference): void {
  let shared = 0;
  for (const key in a) {
    const va = a[key];
    const vb = b[key];
    if (va === vb && (va !== undefined || Object.hasOwn(b, key))) {
      shared++;
      continue;
    }
    if (vb === undefined && !Object.hasOwn(b, key)) emit(childPath(path, key), 'missing', va, undefined);
    else {
      shared++;
      compareValues(va, vb, childPath(path, key), emit);
    }
  }
  let keysOfB = 0;
  for (const _ in b) keysOfB++;
  if (keysOfB === shared) return;
  for (const key in b) if (!Object.hasOwn(a, key)) emit(childPath(path, key), 'extra', undefined, b[key]);
}

function compareArrays(a: unknown[], b: unknown[], path: string, emit: EmitDifference): void {
  const elements = `${path}[]`;
  if (isScalarArray(a) && isScalarArray(b)) {
    if (!sameMultiset(a, b)) emit(elements, a.length > b.length ? 'missing' : a.length < b.length ? 'extra' : 'changed', a, b);
    return;
  }
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) if (a[i] !== b[i]) compareValues(a[i], b[i], elements, emit);
  if (a.length > common) emit(elements, 'missing', a[common], undefined);
  else if (b.length > common) emit(elements, 'extra', undefined, b[common]);
}

function isScalarArray(values: unknown[]): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && typeof v === 'object') return false;
  }
  return true;
}

function sameMultiset(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  let start = 0;
  while (start < a.length && a[start] === b[start]) start++;
  if (start === a.length) return true;
  if (a.length - start <= 16) {
    // Small arrays: match each remaining element of b to an unused equal one of a.
    const used = new Uint8Array(a.length);
    outer: for (let j = start; j < b.length; j++) {
      for (let i = start; i < a.length; i++) {
        if (!used[i] && a[i] === b[j]) {
          used[i] = 1;
          continue outer;
        }
      }
      return false;
    }
    return true;
  }
  const counts = new Map<unknown, number>();
  for (let i = start; i < a.length; i++) counts.set(a[i], (counts.get(a[i]) ?? 0) + 1);
  for (let j = start; j < b.length; j++) {
    const n = counts.get(b[j]);
    if (!n) return false;
    counts.set(b[j], n - 1);
  }
  return true;
}
