/**
 * The differences between two responses of one exchange, as `field kind` keys with the first
 * values seen: status, a gRPC status, headers and trailers (minus the ignore list) and the body
 * through a comparator.
 */
import { wrapPluginError } from '@reprise/core';
import type { Comparator, DifferenceKind, EmitDifference } from './comparator.js';
import type { ResponseView } from './response-view.js';

export interface FieldDifference {
  field: string;
  kind: DifferenceKind;
  baseline: unknown;
  candidate: unknown;
}

/** `field\0kind` → the first occurrence in this pair (folded array paths repeat). */
export type PairDifferences = Map<string, FieldDifference>;

/** A response and its body as parsed by a comparator, parsed at most once per comparator. */
export class ComparedResponse {
  private parsedBy: Comparator | undefined;
  private parsed: { ok: true; value: unknown } | { ok: false } = { ok: false };

  constructor(readonly view: ResponseView) {}

  parse(comparator: Comparator): { ok: true; value: unknown } | { ok: false } {
    if (this.parsedBy !== comparator) {
      this.parsedBy = comparator;
      try {
        this.parsed = { ok: true, value: comparator.parse ? comparator.parse(this.view.body, this.view.headers) : this.view.body };
      } catch {
        this.parsed = { ok: false };
      }
    }
    return this.parsed;
  }
}

export function diffKey(field: string, kind: DifferenceKind): string {
  return `${field}\u0000${kind}`;
}

export function diffResponses(
  a: ComparedResponse,
  b: ComparedResponse,
  /** The comparator, or a function giving it (called only when the bodies differ). */
  comparatorOrLazy: Comparator | (() => Comparator),
  isIgnored: (field: string) => boolean,
): PairDifferences {
  const out: PairDifferences = new Map();
  const add = (field: string, kind: DifferenceKind, baseline: unknown, candidate: unknown) => {
    if (isIgnored(field)) return;
    const key = diffKey(field, kind);
    if (!out.has(key)) out.set(key, { field, kind, baseline, candidate });
  };
  const va = a.view;
  const vb = b.view;
  if (va.status !== vb.status) add('status', 'changed', va.status, vb.status);
  diffOptional('grpc-status', va.grpcStatus, vb.grpcStatus, add);
  diffOptional('grpc-message', va.grpcMessage, vb.grpcMessage, add);
  const sameBody = va.body.equals(vb.body);
  diffHeaders(va, vb, !sameBody, add);
  diffTrailers(va.trailers, vb.trailers, add);
  if (sameBody) return out;
  const comparator = typeof comparatorOrLazy === 'function' ? comparatorOrLazy() : comparatorOrLazy;
  const emit: EmitDifference = (path, kind, baseline, candidate) => add(bodyField(path), kind, baseline, candidate);
  const pa = a.parse(comparator);
  let compared = false;
  try {
    if (pa.ok && comparator.compareBytes) compared = comparator.compareBytes(va.body, pa.value, vb.body, emit);
    else {
      const pb = b.parse(comparator);
      if (pa.ok && pb.ok) {
        comparator.compare(pa.value, pb.value, emit);
        compared = true;
      }
    }
  } catch (error) {
    throw wrapPluginError(error, `comparator ${comparator.name}`, 'compare');
  }
  if (!compared) add('body', 'type', bodyText(va), bodyText(vb));
  return out;
}

/** `''` → `body`, `[]` → `body[]`, `user.email` → `body.user.email`. */
export function bodyField(path: string): string {
  if (path === '') return 'body';
  return path.startsWith('[') ? `body${path}` : `body.${path}`;
}

type Add = (field: string, kind: DifferenceKind, baseline: unknown, candidate: unknown) => void;

function diffHeaders(a: ResponseView, b: ResponseView, bodiesDiffer: boolean, add: Add): void {
  // Content-Length follows the body (compared on its own) and the framing; it says nothing more.
  const skipLength =
    bodiesDiffer ||
    a.headers.has('transfer-encoding') ||
    b.headers.has('transfer-encoding') ||
    a.headers.get('content-encoding') !== b.headers.get('content-encoding');
  for (const [name, value] of a.headers) {
    if ((skipLength && name === 'content-length') || GRPC_STATUS_FIELDS.has(name)) continue;
    const other = b.headers.get(name);
    if (other === undefined) add(headerField(name), 'missing', value, undefined);
    else if (name === 'set-cookie' ? cookieNames(value) !== cookieNames(other) : value !== other)
      add(headerField(name), 'changed', value, other);
  }
  for (const [name, value] of b.headers) {
    if ((skipLength && name === 'content-length') || GRPC_STATUS_FIELDS.has(name)) continue;
    if (!a.headers.has(name)) add(headerField(name), 'extra', undefined, value);
  }
}

/**
 * A gRPC status and message are compared as `grpc-status` / `grpc-message` wherever they travel
 * (trailers, or the headers of a Trailers-Only response), never again as a header or trailer.
 */
const GRPC_STATUS_FIELDS: ReadonlySet<string> = new Set(['grpc-status', 'grpc-message']);

function diffOptional(field: string, a: string | undefined, b: string | undefined, add: Add): void {
  if (a === b) return;
  if (b === undefined) add(field, 'missing', a, undefined);
  else if (a === undefined) add(field, 'extra', undefined, b);
  else add(field, 'changed', a, b);
}

/** Trailers (a chunked body's trailer section) as `trailer.<lower-case name>`. */
function diffTrailers(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>, add: Add): void {
  if (a.size === 0 && b.size === 0) return;
  for (const [name, value] of a) if (!GRPC_STATUS_FIELDS.has(name)) diffOptional(`trailer.${name}`, value, b.get(name), add);
  for (const [name, value] of b) if (!GRPC_STATUS_FIELDS.has(name) && !a.has(name)) add(`trailer.${name}`, 'extra', undefined, value);
}

/** `header.<name>` for the names seen (a few dozen): one string each, hashed once by the ignore list's Set. */
const headerFields = new Map<string, string>();

function headerField(name: string): string {
  let field = headerFields.get(name);
  if (field === undefined) {
    field = `header.${name}`;
    if (headerFields.size < 1000) headerFields.set(name, field);
  }
  return field;
}

/** Set-Cookie values are sessions: compare the cookie names set, sorted. */
function cookieNames(setCookie: string): string {
  return setCookie
    .split('\n')
    .map((c) => c.slice(0, Math.max(0, c.indexOf('='))).trim())
    .sort()
    .join(',');
}

function bodyText(view: ResponseView): string {
  return view.body.subarray(0, 2048).toString('utf8');
}
