/** The `http` middleware: GoReplay's built-in filters and rewrites (`--http-*` flags). */
import { defineMiddleware, type Message } from '@reprise/core';
import { hasAnyRule, parseHttpRules } from './modifier-rules.js';
import { applyHttpRules } from './http-modifier.js';
import { BoundedIdSet } from './bounded-id-set.js';

/** How many dropped request ids are remembered, to drop their responses too. */
const FILTERED_IDS_CAPACITY = 100_000;

const list = (description: string, example: string) => ({
  type: 'array' as const,
  items: { type: 'string' as const },
  description,
  examples: [example],
});

export const http = defineMiddleware({
  kind: 'middleware',
  name: 'http',
  enabledBy: 'options',
  summary: "GoReplay's request filters and rewrites: allow/deny by URL, header, method, sampling, URL/header/param rewriting",
  rate: 'none',
  order: 10,
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      allowUrl: list('Keep only requests whose path and query match one of these regexps (repeatable)', '^/api/'),
      disallowUrl: list('Drop requests whose path and query match this regexp (repeatable)', '^/admin'),
      allowHeader: list(
        'Keep only requests having this header with a value matching the regexp (repeatable, all must match)',
        'api-version: ^v1',
      ),
      disallowHeader: list('Drop requests having this header with a value matching the regexp (repeatable)', 'User-Agent: Replayed by Gor'),
      allowMethod: list('Keep only requests with one of these methods (repeatable)', 'GET'),
      basicAuthFilter: list(
        'Keep only requests whose Basic credentials ("user:password", decoded) match the regexp; requests without Basic auth pass',
        '^customer[0-9].*',
      ),
      headerLimiter: list(
        'Keep a consistent share of requests by hashing a header value (FNV-1a, as GoReplay): the same value is always kept or always dropped',
        'X-User-Id: 10%',
      ),
      paramLimiter: list('Keep a consistent share of requests by hashing a query parameter value', 'user_id: 10%'),
      rewriteUrl: list(
        'Rewrite the path and query: "regexp:replacement", $1 for groups; the first matching rule applies',
        '/v1/(.*):/v2/$1',
      ),
      rewriteHeader: list(
        'Rewrite a header value: "Name: regexp,replacement", $1 for groups',
        'Host: (.*).example.com,$1.beta.example.com',
      ),
      setHeader: list('Set a header on every request, replacing its first value or adding it (repeatable)', 'X-Env: staging'),
      setParam: list('Set a query parameter on every request, replacing it or adding it (repeatable)', 'api_key=staging-key'),
    },
  },
  create(_value, options, ctx) {
    const rules = parseHttpRules(options);
    const isActive = hasAnyRule(rules);
    const filteredIds = new BoundedIdSet(FILTERED_IDS_CAPACITY);
    return {
      process(batch: Message[]): Message[] {
        if (!isActive) return batch;
        const out: Message[] = [];
        for (const message of batch) {
          if (message.kind !== 'request') {
            // The responses of a dropped request are dropped with it, as GoReplay does. A dropped request
            // is never replayed, so its original response is the last message with that id.
            if (filteredIds.has(message.id)) {
              if (message.kind === 'response') filteredIds.delete(message.id);
              continue;
            }
            out.push(message);
            continue;
          }
          const result = applyHttpRules(rules, message.payload);
          if (result.dropped) {
            filteredIds.add(message.id);
            ctx.stats.add(`filtered-${result.dropped}`);
            continue;
          }
          out.push(result.payload === message.payload ? message : { ...message, payload: result.payload });
        }
        return out;
      },
    };
  },
});
