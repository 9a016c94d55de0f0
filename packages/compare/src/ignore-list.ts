/**
 * Fields not compared by default: headers that differ between any two responses of the same
 * service (clocks, request ids, cache validators, tracing, connection framing). Users edit the list
 * (`ignore` option); real differences in those values are not a regression signal.
 * `header.content-length` is handled apart: compared only when the decoded bodies are equal.
 * `header.set-cookie` is compared by cookie names only (values are session ids).
 */
export const DEFAULT_IGNORED_FIELDS: readonly string[] = Object.freeze([
  'header.date',
  'header.age',
  'header.expires',
  'header.last-modified',
  'header.etag',
  'header.x-request-id',
  'header.request-id',
  'header.x-correlation-id',
  'header.x-amzn-trace-id',
  'header.x-trace-id',
  'header.traceparent',
  'header.tracestate',
  'header.server-timing',
  'header.x-response-time',
  'header.x-runtime',
  'header.cf-ray',
  'header.connection',
  'header.keep-alive',
  'header.transfer-encoding',
]);

/** A matcher for field patterns where `*` stands for any characters (`header.x-*`, `body.meta.*`). */
export function fieldMatcher(patterns: readonly string[]): (field: string) => boolean {
  const exact = new Set<string>();
  const wild: RegExp[] = [];
  for (const p of patterns) {
    if (p.includes('*')) wild.push(new RegExp(`^${p.split('*').map(escapeRegExp).join('.*')}$`));
    else exact.add(p);
  }
  if (wild.length === 0) return (field) => exact.has(field);
  const cache = new Map<string, boolean>();
  return (field) => {
    let hit = cache.get(field);
    if (hit === undefined) {
      hit = exact.has(field) || wild.some((r) => r.test(field));
      if (cache.size < 10_000) cache.set(field, hit);
    }
    return hit;
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
