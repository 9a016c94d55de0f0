/** `--prettify-http`: GoReplay's flag, as a middleware that runs before every other one. */
import { defineMiddleware, type Message } from '@reprise/core';
import { prettifyHttp } from './prettify-http.js';

export const prettifyHttpMiddleware = defineMiddleware({
  kind: 'middleware',
  name: 'prettify-http',
  summary:
    'Decode chunked and gzip/deflate/br bodies of requests and responses and give them a matching Content-Length ' +
    '(Transfer-Encoding and Content-Encoding removed), before every other middleware and output. A body that does not ' +
    'decode is left as it was and counted in prettify-corrupt',
  rate: 'none',
  // Before the modifiers (10): filters, scripts and outputs all see decoded bodies.
  order: 5,
  options: { type: 'object', additionalProperties: false, properties: {} },
  create(_value, _options, ctx) {
    return {
      process(batch: Message[]): Message[] {
        let out: Message[] | undefined;
        for (let i = 0; i < batch.length; i++) {
          const message = batch[i]!;
          const result = prettifyHttp(message.payload);
          if (result.outcome === 'unchanged') continue;
          if (result.outcome === 'corrupt') {
            ctx.stats.add('prettify-corrupt');
            continue;
          }
          ctx.stats.add('prettified');
          out ??= batch.slice();
          out[i] = { ...message, payload: result.payload };
        }
        return out ?? batch;
      },
    };
  },
});
