/**
 * Parses GoReplay's `--http-*` modifier flags into rules. Syntax as documented by GoReplay:
 *   --http-allow-url REGEXP              --http-disallow-url REGEXP
 *   --http-allow-header "Name: REGEXP"   --http-disallow-header "Name: REGEXP"
 *   --http-allow-method GET              --http-basic-auth-filter REGEXP (on the decoded "user:password")
 *   --http-header-limiter "Name: 10%"    --http-param-limiter "name: 10%"
 *   --http-rewrite-url "REGEXP:REPLACEMENT"  --http-rewrite-header "Name: REGEXP,REPLACEMENT"
 *   --http-set-header "Name: value"      --http-set-param "name=value"
 */
import { RepriseError } from '@reprise/core';
import type { http } from './http-component.js';

/** The `http` middleware's options, derived from its schema (http-component.ts). */
export type HttpModifierOptions = Parameters<typeof http.create>[1];

export interface HeaderPattern {
  name: string;
  pattern: RegExp;
}

export interface HashLimit {
  name: string;
  percent: number;
}

export interface Rewrite {
  pattern: RegExp;
  /** JavaScript replacement syntax; GoReplay's `$1` and `${1}` are both accepted. */
  replacement: string;
}

export interface HeaderRewrite extends Rewrite {
  name: string;
}

export interface HttpRules {
  allowUrl: RegExp[];
  disallowUrl: RegExp[];
  allowHeader: HeaderPattern[];
  disallowHeader: HeaderPattern[];
  allowMethod: string[];
  basicAuthFilter: RegExp[];
  headerLimiter: HashLimit[];
  paramLimiter: HashLimit[];
  rewriteUrl: Rewrite[];
  rewriteHeader: HeaderRewrite[];
  setHeader: Array<{ name: string; value: string }>;
  setParam: Array<{ name: string; value: string }>;
}

const COMPONENT = 'http';

function invalid(option: string, message: string): RepriseError {
  return new RepriseError('RPR_CONFIG_INVALID', message, { plugin: COMPONENT, option });
}

function regexp(source: string, option: string, flags = ''): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw invalid(option, `"${source}" is not a valid regular expression: ${(error as Error).message}`);
  }
}

/** `Name: rest` → [Name, rest]; the colon is required. */
function splitNameValue(text: string, option: string, example: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw invalid(option, `"${text}" must look like ${example}`);
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
}

function percentOf(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text);
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 0 && n <= 100)) throw invalid(option, `"${text}" must be a percentage between 0% and 100%`);
  return n;
}

/** Payloads are handled as latin1 text (one char per byte): values typed as UTF-8 become their bytes. */
function asBytes(text: string): string {
  return /[\x80-\uffff]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

/** Go's template syntax `${1}`/`${name}` becomes JavaScript's `$1`/`$<name>`. */
function replacementOf(text: string): string {
  return asBytes(text)
    .replace(/\$\{(\d+)\}/g, '$$$1')
    .replace(/\$\{([A-Za-z_]\w*)\}/g, '$$<$1>');
}

export function parseHttpRules(o: HttpModifierOptions): HttpRules {
  return {
    allowUrl: (o.allowUrl ?? []).map((s) => regexp(s, 'allowUrl')),
    disallowUrl: (o.disallowUrl ?? []).map((s) => regexp(s, 'disallowUrl')),
    allowHeader: (o.allowHeader ?? []).map((s) => {
      const [name, source] = splitNameValue(s, 'allowHeader', '"api-version: ^v1"');
      return { name, pattern: regexp(source, 'allowHeader') };
    }),
    disallowHeader: (o.disallowHeader ?? []).map((s) => {
      const [name, source] = splitNameValue(s, 'disallowHeader', '"User-Agent: Replayed by Gor"');
      return { name, pattern: regexp(source, 'disallowHeader') };
    }),
    allowMethod: (o.allowMethod ?? []).map((s) => s.trim().toUpperCase()),
    basicAuthFilter: (o.basicAuthFilter ?? []).map((s) => regexp(s, 'basicAuthFilter')),
    headerLimiter: (o.headerLimiter ?? []).map((s) => {
      const [name, pct] = splitNameValue(s, 'headerLimiter', '"X-User-Id: 10%"');
      return { name, percent: percentOf(pct, 'headerLimiter') };
    }),
    paramLimiter: (o.paramLimiter ?? []).map((s) => {
      const [name, pct] = splitNameValue(s, 'paramLimiter', '"user_id: 10%"');
      return { name, percent: percentOf(pct, 'paramLimiter') };
    }),
    rewriteUrl: (o.rewriteUrl ?? []).map((s) => {
      // Split at the first colon: the pattern may not contain one, the replacement may.
      const colon = s.indexOf(':');
      if (colon <= 0) throw invalid('rewriteUrl', `"${s}" must look like "/v1/(.*):/v2/$1"`);
      return { pattern: regexp(s.slice(0, colon), 'rewriteUrl', 'g'), replacement: replacementOf(s.slice(colon + 1)) };
    }),
    rewriteHeader: (o.rewriteHeader ?? []).map((s) => {
      const [name, rest] = splitNameValue(s, 'rewriteHeader', '"Host: (.*).example.com,$1.beta.example.com"');
      const comma = rest.indexOf(',');
      if (comma < 0) throw invalid('rewriteHeader', `"${s}" must look like "Host: (.*).example.com,$1.beta.example.com"`);
      return {
        name,
        pattern: regexp(rest.slice(0, comma), 'rewriteHeader', 'g'),
        replacement: replacementOf(rest.slice(comma + 1)),
      };
    }),
    setHeader: (o.setHeader ?? []).map((s) => {
      const [name, value] = splitNameValue(s, 'setHeader', '"X-Env: staging"');
      return { name, value: asBytes(value) };
    }),
    setParam: (o.setParam ?? []).map((s) => {
      const eq = s.indexOf('=');
      if (eq <= 0) throw invalid('setParam', `"${s}" must look like "api_key=staging-key"`);
      return { name: s.slice(0, eq).trim(), value: asBytes(s.slice(eq + 1).trim()) };
    }),
  };
}

export function hasAnyRule(rules: HttpRules): boolean {
  return Object.values(rules).some((list: unknown[]) => list.length > 0);
}
