/**
 * Compares a JSON body that has been read (checked and laid out, parsed-json.ts) with another
 * without parsing the other: the equal bytes of the two are skipped eight at a time, and only
 * where they part is the smallest value around the spot parsed on both sides and compared like
 * parsed bodies. That value is found in the first body's layout (json-layout.ts), built once and
 * shared by its comparisons (with the candidate and with a second baseline response). Two
 * responses of one endpoint share most of their bytes, so most of both bodies are never parsed.
 *
 * The differences are the ones `compareValues` finds on the two parsed bodies: equal bytes in the
 * same place of the same structure are equal values, and every part that differs is compared
 * parsed: a value held by an object; a whole array (its elements compare as a multiset or by
 * index); a whole object when keys or punctuation differ, or when it repeats a key (JSON.parse keeps
 * the last value, so the parts compared alone could say otherwise).
 */
import type { DifferenceKind } from '../comparator.js';
import { compareValues } from './json-compare-values.js';
import { ARRAY, INVALID, type JsonLayout, OBJECT, parseSlice, valueEnd } from './json-layout.js';
import { asBuffer, layoutOf, type ParsedJson } from './parsed-json.js';

interface Found {
  /** The layout node compared parsed, and where its bytes begin in the parsed body. */
  node: number;
  from: number;
  path: string;
  kind: DifferenceKind;
  baseline: unknown;
  candidate: unknown;
}

/**
 * Calls `emit` for each difference between a body read as `parsedA` (`_a`, its bytes, are
 * `parsedA.bytes`) and body `b`, and returns true; returns false, having emitted nothing, when
 * `b` is not JSON.
 */
export function diffJsonBytes(
  _a: Uint8Array,
  parsedA: ParsedJson,
  b: Uint8Array,
  emit: (path: string, kind: DifferenceKind, baseline: unknown, candidate: unknown) => void,
): boolean {
  const found = diffWithLayout(layoutOf(parsedA), parsedA, asBuffer(b));
  if (found === undefined) return false;
  for (const f of found) emit(f.path, f.kind, f.baseline, f.candidate);
  return true;
}

function diffWithLayout(layout: JsonLayout, parsedA: ParsedJson, b: Buffer): Found[] | undefined {
  const a = layout.bytes;
  const wordsB = new DataView(b.buffer, b.byteOffset, b.length);
  const found: Found[] = [];
  /** (position in a, offset of b from a) from that position on: changes after each part compared. */
  const shifts: number[] = [0, 0];
  let i = 0;
  let j = 0;
  for (;;) {
    const same = equalRun(layout.words, i, wordsB, j);
    i += same;
    j += same;
    if (i >= a.length && j >= b.length) break;
    let node = layout.innermost(i);
    // At the first byte of an array's element, the other body may hold no element there: the array.
    if (node >= 0 && i === layout.from[node] && layout.parent[node]! >= 0 && layout.kind[layout.parent[node]!] === ARRAY)
      node = layout.parent[node]!;
    if (node < 0 || layout.parent[node]! < 0) return compareWhole(parsedA, b);
    const startA = layout.from[node]!;
    const endA = layout.to[node]!;
    const part = compareNode(layout, node, b, startA + shiftAt(shifts, startA));
    if (part === undefined) return undefined;
    // What was found inside this part before is found again, parsed.
    while (found.length > 0 && found[found.length - 1]!.from >= startA) found.pop();
    found.push(...part.found);
    while (shifts.length > 2 && shifts[shifts.length - 2]! > startA) {
      shifts.pop();
      shifts.pop();
    }
    i = endA;
    j = part.endB;
    shifts.push(i, j - i);
  }
  return repeatedKeysParsed(layout, parsedA, b, found, shifts);
}

/** The node's bytes parsed on both sides and compared; undefined when `b` is not JSON there. */
function compareNode(layout: JsonLayout, node: number, b: Buffer, startB: number): { found: Found[]; endB: number } | undefined {
  const endB = valueEnd(b, startB);
  if (endB < 0) return undefined;
  const vb = parseSlice(b, startB, endB);
  if (vb === INVALID) return undefined;
  const from = layout.from[node]!;
  const found: Found[] = [];
  compareValues(parseSlice(layout.bytes, from, layout.to[node]!), vb, layout.pathOf(node), (path, kind, baseline, candidate) => {
    found.push({ node, from, path, kind, baseline, candidate });
  });
  return { found, endB };
}

/**
 * An object that repeats a key and holds a difference found in parts is compared again, whole and
 * parsed, outermost first.
 */
function repeatedKeysParsed(layout: JsonLayout, parsedA: ParsedJson, b: Buffer, found: Found[], shifts: number[]): Found[] | undefined {
  for (;;) {
    let outer = -1;
    for (const f of found) {
      for (let k = layout.parent[f.node]!; k >= 0; k = layout.parent[k]!) {
        if (layout.kind[k] === OBJECT && layout.hasRepeatedKey(k) && (outer < 0 || layout.from[k]! < layout.from[outer]!)) outer = k;
      }
    }
    if (outer < 0) return found;
    if (layout.parent[outer]! < 0) return compareWhole(parsedA, b);
    const startA = layout.from[outer]!;
    const endA = layout.to[outer]!;
    const part = compareNode(layout, outer, b, startA + shiftAt(shifts, startA));
    if (part === undefined) return undefined;
    found = [...found.filter((f) => f.from < startA), ...part.found, ...found.filter((f) => f.from >= endA)];
  }
}

function compareWhole(parsedA: ParsedJson, b: Buffer): Found[] | undefined {
  const vb = parseSlice(b, 0, b.length);
  if (vb === INVALID) return undefined;
  const found: Found[] = [];
  compareValues(parsedA.value, vb, '', (path, kind, baseline, candidate) => {
    found.push({ node: 0, from: 0, path, kind, baseline, candidate });
  });
  return found;
}

function shiftAt(shifts: readonly number[], position: number): number {
  let k = shifts.length - 2;
  while (k > 0 && shifts[k]! > position) k -= 2;
  return shifts[k + 1]!;
}

/**
 * How many bytes from `i` in `a` equal those from `j` in `b`: eight at a time, then one by one.
 * Eight bytes read as a float64 compare equal only when identical (NaN never does), except +0 and
 * -0, which hold zero bytes that JSON text (`a` is valid) never holds.
 */
function equalRun(a: DataView, i: number, b: DataView, j: number): number {
  const max = Math.min(a.byteLength - i, b.byteLength - j);
  let n = 0;
  while (n + 8 <= max && a.getFloat64(i + n, true) === b.getFloat64(j + n, true)) n += 8;
  while (n < max && a.getUint8(i + n) === b.getUint8(j + n)) n++;
  return n;
}
