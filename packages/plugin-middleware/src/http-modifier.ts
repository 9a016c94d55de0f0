/**
 * Applies GoReplay's modifier rules to one request, in GoReplay's order: method filter, set headers,
 * set params, URL allow/deny, header allow/deny, basic-auth filter, header and param limiters,
 * URL rewrite (the first rule that matches), header rewrites. Pure: bytes in, bytes (or null) out.
 */
import type { HttpRules } from './modifier-rules.js';
import { RequestEditor, queryParam, setQueryParam } from './request-editor.js';
import { isSampledIn } from './fnv-hash.js';

/** Why a request was dropped, as a counter name. */
export type DropReason = 'method' | 'url' | 'header' | 'basic-auth' | 'limiter';

export type ModifierResult = { payload: Uint8Array; dropped?: undefined } | { payload?: undefined; dropped: DropReason };

export function applyHttpRules(rules: HttpRules, payload: Uint8Array): ModifierResult {
  const req = new RequestEditor(payload);
  // Like GoReplay, anything that is not an HTTP request passes untouched.
  if (!req.isRequest) return { payload };

  if (rules.allowMethod.length > 0 && !rules.allowMethod.includes(req.method.toUpperCase())) return { dropped: 'method' };

  for (const { name, value } of rules.setHeader) req.setHeader(name, value);
  for (const { name, value } of rules.setParam) req.target = setQueryParam(req.target, name, value);

  if (rules.allowUrl.length > 0) {
    const target = req.target;
    if (!rules.allowUrl.some((re) => target.search(re) >= 0)) return { dropped: 'url' };
  }
  if (rules.disallowUrl.length > 0) {
    const target = req.target;
    if (rules.disallowUrl.some((re) => target.search(re) >= 0)) return { dropped: 'url' };
  }
  // An allow-header rule drops requests without that header; a disallow-header rule ignores them.
  for (const { name, pattern } of rules.allowHeader) {
    const value = req.header(name);
    if (!value || value.search(pattern) < 0) return { dropped: 'header' };
  }
  for (const { name, pattern } of rules.disallowHeader) {
    const value = req.header(name);
    if (value && value.search(pattern) >= 0) return { dropped: 'header' };
  }
  if (rules.basicAuthFilter.length > 0) {
    const auth = req.header('Authorization');
    // Only Basic credentials are judged; requests without them pass, as in GoReplay.
    if (auth?.startsWith('Basic ')) {
      const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('latin1');
      for (const re of rules.basicAuthFilter) if (decoded.search(re) < 0) return { dropped: 'basic-auth' };
    }
  }
  for (const { name, percent } of rules.headerLimiter) {
    const value = req.header(name);
    if (value && !isSampledIn(value, percent)) return { dropped: 'limiter' };
  }
  for (const { name, percent } of rules.paramLimiter) {
    const value = queryParam(req.target, name);
    if (value !== undefined && !isSampledIn(value, percent)) return { dropped: 'limiter' };
  }

  for (const { pattern, replacement } of rules.rewriteUrl) {
    const target = req.target;
    if (target.search(pattern) < 0) continue;
    req.target = target.replace(pattern, replacement);
    break;
  }
  for (const { name, pattern, replacement } of rules.rewriteHeader) {
    const value = req.header(name);
    if (!value || value.search(pattern) < 0) continue;
    req.setHeader(name, value.replace(pattern, replacement));
  }
  return { payload: req.toBytes() };
}
