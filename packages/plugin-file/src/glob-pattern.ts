/**
 * Glob patterns for --input-file, matched one path segment at a time: `*` (any characters but `/`),
 * `?` (one character), `[abc]`, `[a-z]`, `[!a-z]` / `[^a-z]` (a set), `**` (a whole segment: any
 * number of directories, including none) and `\x` (x literally). Like Go's filepath.Glob, `*`
 * also matches names starting with a dot.
 */
export type GlobSegment = { type: 'literal'; text: string } | { type: 'pattern'; regexp: RegExp } | { type: 'globstar' };

const MAGIC = /[*?[\\]/;

export function hasGlobMagic(text: string): boolean {
  return MAGIC.test(text);
}

/** Splits a pattern into its segments (on `/`); an absolute pattern starts with an empty literal. */
export function parseGlob(pattern: string): GlobSegment[] {
  return pattern.split('/').map((segment): GlobSegment => {
    if (segment === '**') return { type: 'globstar' };
    if (!hasGlobMagic(segment)) return { type: 'literal', text: segment };
    const regexp = segmentToRegExp(segment);
    // `a\*b` has no wildcard left once unescaped: keep it a literal so it is looked up, not listed.
    return regexp.literal === undefined ? { type: 'pattern', regexp: regexp.regexp } : { type: 'literal', text: regexp.literal };
  });
}

/** Whether a whole relative path (segments joined by `/`) matches the pattern: used by tests and by expansion. */
export function matchGlob(pattern: string, path: string): boolean {
  return matchSegments(parseGlob(pattern), path.split('/'), 0, 0);
}

function matchSegments(pattern: GlobSegment[], parts: string[], p: number, i: number): boolean {
  if (p === pattern.length) return i === parts.length;
  const segment = pattern[p]!;
  if (segment.type === 'globstar') {
    for (let skip = i; skip <= parts.length; skip++) if (matchSegments(pattern, parts, p + 1, skip)) return true;
    return false;
  }
  if (i === parts.length) return false;
  const ok = segment.type === 'literal' ? segment.text === parts[i] : segment.regexp.test(parts[i]!);
  return ok && matchSegments(pattern, parts, p + 1, i + 1);
}

function segmentToRegExp(segment: string): { regexp: RegExp; literal?: string } {
  let source = '';
  let literal = '';
  let isLiteral = true;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '\\' && i + 1 < segment.length) {
      const next = segment[++i]!;
      source += escapeRegExp(next);
      literal += next;
    } else if (c === '*') {
      source += '[^/]*';
      isLiteral = false;
    } else if (c === '?') {
      source += '[^/]';
      isLiteral = false;
    } else if (c === '[') {
      const set = parseSet(segment, i);
      if (set === undefined) {
        // An unclosed `[` is a literal bracket, as in most shells.
        source += '\\[';
        literal += '[';
      } else {
        source += set.source;
        i = set.end;
        isLiteral = false;
      }
    } else {
      source += escapeRegExp(c);
      literal += c;
    }
  }
  return { regexp: new RegExp(`^${source}$`, 'u'), literal: isLiteral ? literal : undefined };
}

/** `[...]` starting at `start`: its regexp source and the index of its `]`, or undefined if unclosed. */
function parseSet(segment: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (segment[i] === '!' || segment[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  for (; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === ']' && !first) return { source: `[${negate ? '^/' : ''}${body}]`, end: i };
    first = false;
    if (c === '\\' && i + 1 < segment.length) {
      body += escapeSetChar(segment[++i]!);
    } else if (c === '-' && body !== '' && segment[i + 1] !== ']') {
      body += '-';
    } else {
      body += escapeSetChar(c);
    }
  }
  return undefined;
}

function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

function escapeSetChar(c: string): string {
  return /[\]\\^-]/.test(c) ? `\\${c}` : c;
}
