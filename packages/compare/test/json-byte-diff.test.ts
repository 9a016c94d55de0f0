import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DifferenceKind } from '../src/comparator.js';
import { diffJsonBytes } from '../src/comparators/json-byte-diff.js';
import { compareValues } from '../src/comparators/json-compare-values.js';
import { readJson } from '../src/comparators/parsed-json.js';

/** A seeded generator, so a failure is reproduced by its seed. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Random = ReturnType<typeof generator>;

const KEYS = ['id', 'name', 'price', 'a', 'b', '1', '10', 'x.y', 'clé', 'quote"d', 'items', 'tags'];
const STRINGS = ['', 'a', 'hello world', 'é€😀', 'line\nbreak', 'quote " and \\ slash', 'A/B', '1'];

function scalar(r: Random): unknown {
  return r.pick([() => r.int(1000) - 500, () => r.int(100) / 8, () => r.pick(STRINGS), () => true, () => false, () => null])();
}

function value(r: Random, depth: number): unknown {
  const roll = r.next();
  if (depth <= 0 || roll < 0.35) return scalar(r);
  if (roll < 0.55) return Array.from({ length: r.int(5) }, () => scalar(r));
  if (roll < 0.7) return Array.from({ length: r.int(4) }, () => value(r, depth - 1));
  const out: Record<string, unknown> = {};
  for (let n = r.int(6); n > 0; n--) out[r.pick(KEYS)] = value(r, depth - 1);
  return out;
}

/** The value changed in one place: a scalar, a key removed or added, an array shuffled or cut. */
function mutate(r: Random, v: unknown, depth = 0): unknown {
  if (Array.isArray(v)) {
    const copy = v.map((x) => x);
    const roll = r.next();
    if (copy.length > 0 && roll < 0.5) copy[r.int(copy.length)] = mutate(r, copy[r.int(copy.length)], depth + 1);
    else if (roll < 0.7) copy.reverse();
    else if (roll < 0.85) copy.pop();
    else copy.push(scalar(r));
    return copy;
  }
  if (v !== null && typeof v === 'object') {
    const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const roll = r.next();
    if (keys.length > 0 && roll < 0.6) {
      const key = r.pick(keys);
      copy[key] = mutate(r, copy[key], depth + 1);
    } else if (keys.length > 0 && roll < 0.75) delete copy[r.pick(keys)];
    else copy[r.pick(KEYS)] = value(r, 2);
    return copy;
  }
  return r.next() < 0.8 ? scalar(r) : value(r, 2);
}

/**
 * JSON text of a value with the liberties a server may take, drawn from its own generator: spaces
 * around tokens, escaped spellings of characters, other spellings of numbers, a key written twice.
 */
function write(v: unknown, r: Random): string {
  const space = () => (r.next() < 0.15 ? r.pick([' ', '\n', '\t ', '\r\n']) : '');
  const text = (s: string) =>
    r.next() < 0.2
      ? `"${[...s].map((c) => (c === '"' || c === '\\' || c < ' ' ? JSON.stringify(c).slice(1, -1) : r.next() < 0.3 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('')}"`
      : JSON.stringify(s);
  const number = (n: number) => (Number.isInteger(n) && r.next() < 0.1 ? r.pick([`${n}.0`, `${n}e0`, `${n}E+0`]) : JSON.stringify(n));
  const go = (x: unknown): string => {
    if (typeof x === 'string') return text(x);
    if (typeof x === 'number') return number(x);
    if (Array.isArray(x)) return `[${space()}${x.map((e) => `${go(e)}${space()}`).join(`,${space()}`)}]`;
    if (x !== null && typeof x === 'object') {
      const members = Object.entries(x).map(([k, e]) => `${text(k)}${space()}:${space()}${go(e)}`);
      // A key twice: JSON.parse keeps the last value, written last.
      if (members.length > 0 && r.next() < 0.1) members.unshift(`${text(Object.keys(x)[0]!)}:${go(scalar(r))}`);
      return `{${space()}${members.join(`,${space()}`)}${space()}}`;
    }
    return JSON.stringify(x);
  };
  return `${space()}${go(v)}${space()}`;
}

type Firsts = Map<string, { baseline: unknown; candidate: unknown }>;

/** What the analyzer keeps of a pair: each field and kind once, with the values of its first occurrence. */
function firsts(run: (emit: (path: string, kind: DifferenceKind, baseline?: unknown, candidate?: unknown) => void) => void): Firsts {
  const out: Firsts = new Map();
  run((path, kind, baseline, candidate) => {
    const key = `${path} ${kind}`;
    if (!out.has(key)) out.set(key, { baseline, candidate });
  });
  return out;
}

function parsedWay(a: string, b: string): Firsts {
  return firsts((emit) => compareValues(JSON.parse(a), JSON.parse(b), '', emit));
}

function byteWay(a: string, b: string): Firsts | false {
  const bytesA = Buffer.from(a);
  let done = false;
  const found = firsts((emit) => {
    done = diffJsonBytes(bytesA, readJson(bytesA), Buffer.from(b), emit);
  });
  return done ? found : false;
}

test('byte-wise and parsed comparisons find the same differences with the same first values (5,000 random pairs)', () => {
  for (let seed = 1; seed <= 5000; seed++) {
    const r = generator(seed);
    const original = { data: value(r, 4), meta: { seq: r.int(10) } };
    const a = write(original, generator(seed * 7));
    // Same writer draws for both sides, so the bytes agree up to the change; a third of the pairs
    // keep the value and change only how it is written.
    const changed = r.next() < 0.33 ? original : mutate(r, original);
    const b = write(changed, generator(seed * (r.next() < 0.5 ? 7 : 11)));
    assert.deepEqual(byteWay(a, b), parsedWay(a, b), `seed ${seed}:\n${a}\n${b}`);
  }
});

test('the bench-like body: noise in ids, clocks and a shuffled list, a price changed in an array of objects', () => {
  const body = (requestId: string, servedAt: string, tags: string[], price: number) =>
    JSON.stringify({
      requestId,
      servedAt,
      user: { id: 7, bio: 'x'.repeat(300) },
      tags,
      items: [
        { sku: 'a', price: 1 },
        { sku: 'b', price },
      ],
      links: { self: '/u/7' },
    });
  const a = body('r1', '2026-01-01T00:00:00Z', ['x', 'y', 'z'], 2);
  const b = body('r22', '2026-01-01T00:00:01Z', ['z', 'x', 'y'], 3);
  assert.deepEqual([...(byteWay(a, b) as Firsts).keys()].sort(), ['items[].price changed', 'requestId changed', 'servedAt changed']);
  assert.deepEqual(byteWay(a, b), parsedWay(a, b));
});

test('a key written twice counts with its last value, as JSON.parse reads it', () => {
  assert.deepEqual(byteWay('{"k":1,"k":2,"x":0}', '{"k":5,"k":2,"x":1}'), parsedWay('{"k":1,"k":2,"x":0}', '{"k":5,"k":2,"x":1}'));
  assert.deepEqual([...(byteWay('{"o":{"k":1,"k":2},"x":0}', '{"o":{"k":3,"k":2},"x":0}') as Firsts).keys()], []);
  assert.deepEqual([...(byteWay('{"o":{"k":1,"k":2}}', '{"o":{"k":1,"k":3}}') as Firsts).keys()], ['o.k changed']);
  assert.deepEqual([...(byteWay('{"\\u006b":1,"k":2}', '{"\\u006b":3,"k":2}') as Firsts).keys()], [], 'the same key spelt two ways');
});

test('a second body that is not JSON is refused whole, with nothing emitted', () => {
  for (const b of ['{"a":1', '{"a":1}x', '{"a":tru}', '{"a":"x\u0001"}', '{"a":01}', '', '{"a":1,}', '[1,2', '{"a":[1,2}']) {
    const emitted: string[] = [];
    const done = diffJsonBytes(Buffer.from('{"a":1}'), readJson(Buffer.from('{"a":1}')), Buffer.from(b), (path) => emitted.push(path));
    assert.deepEqual([done, emitted], [false, []], b);
  }
});

test('readJson accepts exactly what JSON.parse accepts (listed cases and 20,000 random edits of JSON text)', () => {
  const accepts = (text: string | Buffer) => {
    const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
    try {
      readJson(bytes);
      return true;
    } catch {
      return false;
    }
  };
  const parses = (bytes: Buffer) => {
    try {
      JSON.parse(bytes.toString('utf8'));
      return true;
    } catch {
      return false;
    }
  };
  const listed = ['1', '-0', '-0.5e-3', '1E+2', '"\\u00e9\\/\\b"', ' [ ] ', '{}', 'true', 'null', '"\u00ff"', '[1,[2,{"a":[]}]]'];
  const refused = [
    '',
    ' ',
    '01',
    '1.',
    '.5',
    '+1',
    '1e',
    '-',
    'tru',
    'nul',
    'True',
    '"\\x"',
    '"\\u12g4"',
    '"a',
    '[1,]',
    '{"a"}',
    '{"a":}',
    '{,}',
    '[1 2]',
    '{"a":1 "b":2}',
    '1 2',
    '\ufeff{}',
    '"\t"',
    '[}',
    '{]',
    'NaN',
    'Infinity',
  ];
  for (const t of listed) assert.equal(accepts(t), true, t);
  for (const t of refused) assert.equal(accepts(t), parses(Buffer.from(t)), JSON.stringify(t));
  const alphabet = Buffer.from('{}[]",:\\ \t\n\r0123456789.-+eEtrufalsn\u00e9x');
  for (let seed = 1; seed <= 20000; seed++) {
    const r = generator(seed);
    const bytes = Buffer.from(write(value(r, 3), r));
    for (let edits = 1 + r.int(2); edits > 0; edits--) {
      const at = r.int(bytes.length + 1);
      const byte = r.next() < 0.9 ? alphabet[r.int(alphabet.length)]! : r.int(256);
      const roll = r.next();
      const edited =
        roll < 0.4
          ? Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at)])
          : roll < 0.7
            ? Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)])
            : Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at + 1)]);
      assert.equal(accepts(edited), parses(edited), `seed ${seed}: ${JSON.stringify(edited.toString('latin1'))}`);
      const a = bytes.toString('utf8');
      if (parses(edited)) assert.deepEqual(byteWay(a, edited.toString('utf8')), parsedWay(a, edited.toString('utf8')), `seed ${seed}`);
    }
  }
});

test('a body of very many values, then smaller ones: each laid out whole (the arrays grow, then shrink)', () => {
  const big = (price: number) =>
    JSON.stringify({ items: Array.from({ length: 40_000 }, (_, i) => ({ id: i, price: i === 39_999 ? price : 1 })) });
  assert.deepEqual([...(byteWay(big(1), big(2)) as Firsts).keys()], ['items[].price changed']);
  const middle = (price: number) =>
    JSON.stringify({ items: Array.from({ length: 5000 }, (_, i) => ({ id: i, price: i === 4999 ? price : 1 })) });
  assert.deepEqual(byteWay(middle(1), middle(3)), parsedWay(middle(1), middle(3)));
  assert.deepEqual([...(byteWay('{"a":1}', '{"a":2}') as Firsts).keys()], ['a changed']);
});
