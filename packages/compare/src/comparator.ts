/** A difference kind: `missing` = in the baseline, not in the candidate; `extra` = the opposite. */
export type DifferenceKind = 'changed' | 'missing' | 'extra' | 'type';

/**
 * Reports one difference. `path` is relative to the body: `''` for the body as a whole,
 * `user.email`, `items[].price`, `[]` for a top-level array's elements. The values (any JSON-able
 * value or string) are only turned into examples while a field has fewer than 5.
 */
export type EmitDifference = (path: string, kind: DifferenceKind, baseline?: unknown, candidate?: unknown) => void;

/**
 * Compares two decoded bodies of one content type. Comparators are a plugin kind: an npm plugin
 * lists `{ "kind": "comparator", "name": "…" }` in its manifest and its entry's default export
 * includes the definition made with `defineComparator`. The first comparator whose `matches` is
 * true for the baseline's body is used for all responses of the exchange; the built-ins (json, text,
 * binary) come last (after the gRPC and protobuf ones, which match only their content types).
 *
 * `parse` (optional; default: the bytes as they are) gets the decoded body and the response's
 * headers by lower-case name (e.g. `grpc-encoding`); it runs at most once per response, so a body
 * compared with two others is parsed once; byte-identical bodies are not parsed at all. When it
 * throws for the baseline, the text comparator is used instead; when it throws for another
 * response only, the analyzer reports `body` with kind `type`.
 *
 * `compareBytes` (optional) spares the second parse: given the baseline's body with its parse and
 * the candidate's body, it emits what `compare` would on the two parsed bodies and returns true,
 * or returns false, having emitted nothing, when the candidate's body does not parse.
 */
export interface Comparator<Parsed = unknown> {
  kind: 'comparator';
  name: string;
  summary?: string;
  /** `contentType` is the lower-cased media type without parameters (`application/json`), or ''. */
  matches(contentType: string, body: Uint8Array): boolean;
  parse?(body: Uint8Array, headers: ReadonlyMap<string, string>): Parsed;
  compare(baseline: Parsed, candidate: Parsed, emit: EmitDifference): void;
  compareBytes?(baseline: Uint8Array, parsedBaseline: Parsed, candidate: Uint8Array, emit: EmitDifference): boolean;
}

export function defineComparator<Parsed>(definition: Omit<Comparator<Parsed>, 'kind'> & { kind?: 'comparator' }): Comparator<Parsed> {
  return { ...definition, kind: 'comparator' };
}
