/**
 * Glob patterns for --input-file: `*` (any characters but `/`), `?` (one character), `[abc]`,
 * `[a-z]`, `[!a-z]` / `[^a-z]` (a set), `**` (a whole segment: any number of directories, including
 * none) and `\x` (x literally). Like Go's filepath.Glob, `*` also matches names starting with a dot,
 * and braces, extglobs and a leading `!` are taken literally. Matching is picomatch's.
 */
import picomatch from 'picomatch';

/** picomatch held to the syntax above; `posix` is what makes `[!a-z]` a negated set. */
const OPTIONS: picomatch.PicomatchOptions = { dot: true, nobrace: true, noextglob: true, nonegate: true, posix: true };

export type GlobSegment =
  | { type: 'literal'; text: string }
  | { type: 'pattern'; matches: (name: string) => boolean }
  | { type: 'globstar' };

const MAGIC = /[*?[\\]/;

export function hasGlobMagic(text: string): boolean {
  return MAGIC.test(text);
}

/** Splits a pattern into its segments (on `/`), for a walk that lists only the directories it needs. */
export function parseGlob(pattern: string): GlobSegment[] {
  return pattern.split('/').map((segment): GlobSegment => {
    if (segment === '**') return { type: 'globstar' };
    // `a\*b` has no wildcard once unescaped: keep it a literal so it is looked up, not listed.
    if (!hasGlobMagic(segment.replace(/\\./g, ''))) return { type: 'literal', text: segment.replace(/\\(.)/g, '$1') };
    return { type: 'pattern', matches: picomatch(segment, OPTIONS) };
  });
}

/** A test of whole relative paths (segments joined by `/`) against the pattern: S3 keys. */
export function globMatcher(pattern: string): (path: string) => boolean {
  return picomatch(pattern, OPTIONS);
}
