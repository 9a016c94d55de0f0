/**
 * The compare command's collecting output: recorded responses and the targets' replayed responses
 * reach it through the pipeline (after every middleware) and are joined into exchanges. Requests
 * are registered by the target driver when it sends them, so a request that never went out
 * (filtered, dropped) is never waited for. With `candidateFromInput` nothing is replayed: requests
 * are registered here, expecting one reply, and the input's own replayed responses are the candidate.
 */
import type { Role } from '@reprise/compare';
import { defineOutput } from '@reprise/core';
import type { ComponentUse } from '@reprise/engine';
import type { ExchangeJoiner } from './exchange-joiner.js';

export function exchangeSinkUse(joiner: ExchangeJoiner, candidateFromInput = false): ComponentUse {
  const definition = defineOutput({
    kind: 'output',
    name: 'compare-exchanges',
    summary: 'Joins requests with their recorded and replayed responses for the comparison',
    options: { type: 'object', additionalProperties: false, properties: {} },
    create: (_value, _options, ctx) => ({
      write(batch) {
        for (const message of batch) {
          if (message.kind === 'request') {
            if (candidateFromInput) joiner.sent(message, 1);
          } else if (message.kind === 'response') joiner.original(message);
          else if (message.kind === 'replayed-response') {
            const role = candidateFromInput ? 'candidate' : (message.meta?.role as Role | undefined);
            if (role === 'baseline' || role === 'candidate') joiner.replied(role, message);
          }
        }
      },
      async flush() {
        joiner.finish();
        const { exchanges, incomplete, withoutOriginal } = joiner.counts;
        ctx.stats.add('exchanges', exchanges);
        if (incomplete) ctx.stats.add('incomplete', incomplete);
        if (incomplete && candidateFromInput) {
          ctx.logger.warn(
            `${incomplete} requests had no replayed response (type 3) in the input, counted as candidate errors (are all results published? record with --output-http-track-response)`,
          );
        }
        if (withoutOriginal) {
          ctx.stats.add('without-original', withoutOriginal);
          ctx.logger.warn(
            `${withoutOriginal} requests had no recorded response to compare with (record with --input-raw-track-response, or give --baseline)`,
          );
        }
      },
    }),
  });
  return { definition, options: {} };
}
