/**
 * Two schema-less protobuf messages compared field by field, with paths in field numbers: `2`,
 * nested `2.1`, a repeated field (more than one value on either side) folded as `3[]`. As for
 * JSON, repeated scalars are compared as multisets and repeated messages element by element; a
 * field read differently (varint vs string, message vs bytes) is of kind `type`. Values with the
 * same bytes are equal: only those that differ are read.
 */
import { WireType } from '@bufbuild/protobuf/wire';
import { latin1Text } from '@reprise/core';
import type { EmitDifference } from '../comparator.js';
import { interpret, isSameWireBytes, type ProtoField, type ProtoFields, type ProtoValue, protoValueJson } from './protobuf-fields.js';

export function compareProtoFields(a: ProtoFields, b: ProtoFields, path: string, emit: EmitDifference): void {
  for (const [field, va] of a) {
    const vb = b.get(field);
    // Most fields are the same bytes on both sides: skipped before their path is even built.
    if (vb !== undefined && isSameWireList(va, vb)) continue;
    const repeated = va.length > 1 || (vb !== undefined && vb.length > 1);
    const fieldPath = `${path === '' ? '' : `${path}.`}${field}${repeated ? '[]' : ''}`;
    if (vb === undefined) emit(fieldPath, 'missing', json(va), undefined);
    else if (repeated) compareRepeated(va, vb, fieldPath, emit);
    else compareValues(va[0]!, vb[0]!, fieldPath, emit);
  }
  for (const [field, vb] of b) {
    if (a.has(field)) continue;
    emit(`${path === '' ? '' : `${path}.`}${field}${vb.length > 1 ? '[]' : ''}`, 'extra', undefined, json(vb));
  }
}

function isSameWireList(a: ProtoField[], b: ProtoField[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!isSameWireBytes(a[i]!, b[i]!)) return false;
  return true;
}

function compareValues(fieldA: ProtoField, fieldB: ProtoField, path: string, emit: EmitDifference): void {
  if (isSameWireBytes(fieldA, fieldB)) return;
  const a = interpret(fieldA);
  const b = interpret(fieldB);
  if (a.wire !== b.wire) return emit(path, 'type', protoValueJson(fieldA), protoValueJson(fieldB));
  if (a.wire === 'message') return compareProtoFields(a.fields, (b as typeof a).fields, path, emit);
  if (!sameValue(a, b)) emit(path, 'changed', protoValueJson(fieldA), protoValueJson(fieldB));
}

function compareRepeated(a: ProtoField[], b: ProtoField[], path: string, emit: EmitDifference): void {
  if (!a.some(isMessage) && !b.some(isMessage)) {
    if (!sameMultiset(a, b)) emit(path, a.length > b.length ? 'missing' : a.length < b.length ? 'extra' : 'changed', json(a), json(b));
    return;
  }
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) compareValues(a[i]!, b[i]!, path, emit);
  if (a.length > common) emit(path, 'missing', protoValueJson(a[common]!), undefined);
  else if (b.length > common) emit(path, 'extra', undefined, protoValueJson(b[common]!));
}

function isMessage(value: ProtoField): boolean {
  return interpret(value).wire === 'message';
}

function sameScalar(fieldA: ProtoField, fieldB: ProtoField): boolean {
  return isSameWireBytes(fieldA, fieldB) || sameValue(interpret(fieldA), interpret(fieldB));
}

/** Two interpreted values, equal when of one kind (not messages) and one value. */
function sameValue(a: ProtoValue, b: ProtoValue): boolean {
  if (a.wire !== b.wire || a.wire === 'message' || b.wire === 'message') return false;
  if (a.value instanceof Uint8Array) return b.value instanceof Uint8Array && Buffer.compare(a.value, b.value) === 0;
  return a.value === b.value;
}

function scalarKey(value: ProtoField): string {
  // A length-delimited value is read from its bytes alone, and different bytes read differently: its bytes are its key.
  if (value.wire === WireType.LengthDelimited) return `bytes:${latin1Text(value.source, value.start, value.end)}`;
  const json = protoValueJson(value);
  return `${interpret(value).wire}:${typeof json === 'string' ? json : JSON.stringify(json)}`;
}

function sameMultiset(a: ProtoField[], b: ProtoField[]): boolean {
  if (a.length !== b.length) return false;
  // Most repeated fields are equal in order: only what follows the common prefix needs counting.
  let start = 0;
  while (start < a.length && sameScalar(a[start]!, b[start]!)) start++;
  if (start === a.length) return true;
  const counts = new Map<string, number>();
  for (let i = start; i < a.length; i++) {
    const key = scalarKey(a[i]!);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (let i = start; i < b.length; i++) {
    const key = scalarKey(b[i]!);
    const n = counts.get(key);
    if (!n) return false;
    counts.set(key, n - 1);
  }
  return true;
}

function json(values: ProtoField[]): unknown {
  return values.length === 1 ? protoValueJson(values[0]!) : values.map(protoValueJson);
}
