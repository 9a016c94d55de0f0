/** The `middleware` middleware: GoReplay's external middleware protocol (`--middleware "command"`). */
import { defineMiddleware, parseDurationMs, RepriseError, type Message } from '@reprise/core';
import { ExternalMiddleware } from './external-middleware.js';

export const middleware = defineMiddleware({
  kind: 'middleware',
  name: 'middleware',
  summary:
    "Pipe every message through an external program speaking GoReplay's middleware protocol (hex lines on stdin/stdout); existing GoReplay middlewares work unchanged",
  value: { description: 'The command, run by the shell', example: 'python3 ./middleware.py' },
  rate: 'none',
  order: 20,
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      flushTimeout: {
        type: 'string',
        format: 'duration',
        description: 'When the input ends, how long to wait for the middleware to write back what it holds and exit before stopping it',
        default: '5s',
        examples: ['30s'],
      },
    },
  },
  create(value, options, ctx) {
    if (!value) {
      throw new RepriseError('RPR_CONFIG_INVALID', 'needs a command, e.g. --middleware "python3 ./middleware.py"', {
        plugin: 'middleware',
      });
    }
    const external = new ExternalMiddleware({
      command: value,
      onMessages: (batch) => ctx.emit(batch),
      logger: ctx.logger,
      stats: ctx.stats,
      flushTimeoutMs: parseDurationMs(options.flushTimeout, 'middleware-flush-timeout'),
    });
    return {
      // Asynchronous: what the command writes back re-enters the pipeline through ctx.emit.
      async process(batch: Message[]): Promise<Message[]> {
        await external.write(batch);
        return [];
      },
      flush: () => external.end(),
      close: () => external.close(),
    };
  },
});
