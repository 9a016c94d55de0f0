/**
 * Groups requests into endpoints: `METHOD /template`. A path segment that looks like an identifier
 * becomes a parameter (`/users/123` → `/users/:id`); the query string is not part of the template.
 * `--endpoint` patterns win over the learnt template.
 */
import { RepriseError } from '@reprise/core';

const NUMBER = /^-?\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Hex ids (object ids, hashes): 8+ hex digits with at least one digit and one letter or 12+ of any. */
const HEX = /^[0-9a-f]{8,}$/i;
/** Tokens, base64/base64url: 16+ characters with digits, upper- and lower-case letters (slugs are lower case). */
const TOKEN = /^[A-Za-z0-9_\-+=]{16,}$/;

/** The parameter a path segment stands for, or undefined when it is a literal. */
export function segmentParameter(segment: string): string | undefined {
  if (segment === '') return undefined;
  if (NUMBER.test(segment)) return ':id';
  if (UUID.test(segment)) return ':uuid';
  if (HEX.test(segment) && (segment.length >= 12 || (/\d/.test(segment) && /[a-f]/i.test(segment)))) return ':hex';
  if (TOKEN.test(segment) && /\d/.test(segment) && /[a-z]/.test(segment) && /[A-Z]/.test(segment)) return ':token';
  return undefined;
}

/** `/users/123/posts?x=1` → `/users/:id/posts`. */
export function pathTemplate(target: string): string {
  let path = target;
  const cut = path.search(/[?#]/);
  if (cut >= 0) path = path.slice(0, cut);
  // An absolute-form request target (proxy style) keeps only its path.
  if (!path.startsWith('/')) {
    const scheme = path.indexOf('://');
    const slash = scheme < 0 ? -1 : path.indexOf('/', scheme + 3);
    path = slash < 0 ? '/' : path.slice(slash);
  }
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) segments[i] = segmentParameter(segments[i]!) ?? segments[i]!;
  return segments.join('/');
}

export interface EndpointPattern {
  /** The pattern as given, also the endpoint name it assigns. */
  text: string;
  method: string;
  regex: RegExp;
}

/**
 * Parses `--endpoint` patterns: `METHOD /path` where METHOD may be `*`, a `:name` segment matches
 * one segment and a trailing `*` matches the rest of the path.
 */
export function parseEndpointPattern(text: string): EndpointPattern {
  const match = /^\s*([A-Za-z]+|\*)\s+(\/\S*)\s*$/.exec(text);
  if (!match) {
    throw new RepriseError(
      'RPR_CONFIG_INVALID',
      `"${text}" is not an endpoint pattern: expected "METHOD /path", e.g. "GET /v1/items/:sku"`,
      {
        plugin: 'compare',
        option: 'endpoint',
      },
    );
  }
  const method = match[1]!.toUpperCase();
  const path = match[2]!;
  const parts = path.split('/').map((segment, i, all) => {
    if (segment === '*' && i === all.length - 1) return '.*';
    if (/^:[A-Za-z_][\w-]*$/.test(segment)) return '[^/]+';
    if (segment.startsWith(':')) {
      throw new RepriseError('RPR_CONFIG_INVALID', `"${text}": parameter "${segment}" needs a name of letters, digits and _`, {
        plugin: 'compare',
        option: 'endpoint',
      });
    }
    return segment.replace(/[.+?^${}()|[\]\\*]/g, '\\$&');
  });
  return { text: `${method} ${path}`, method, regex: new RegExp(`^${parts.join('/')}/?$`) };
}

/** Assigns `METHOD /template` to requests; patterns first, then the learnt template. */
export class EndpointNamer {
  private readonly patterns: EndpointPattern[];
  /** `METHOD target` → name, for repeated targets (bounded). */
  private readonly cache = new Map<string, string>();

  constructor(patterns: readonly string[] = []) {
    this.patterns = patterns.map(parseEndpointPattern);
  }

  name(method: string, target: string): string {
    const key = `${method} ${target}`;
    let name = this.cache.get(key);
    if (name === undefined) {
      name = this.resolve(method, target);
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(key, name);
    }
    return name;
  }

  private resolve(method: string, target: string): string {
    if (this.patterns.length > 0) {
      const cut = target.search(/[?#]/);
      const path = cut >= 0 ? target.slice(0, cut) : target;
      for (const p of this.patterns) if ((p.method === '*' || p.method === method) && p.regex.test(path)) return p.text;
    }
    return `${method} ${pathTemplate(target)}`;
  }
}
