// reprise-plugin-jsonl: an output component that appends request/response pairs as JSON lines.
import { appendFile } from 'node:fs/promises';
import { defineOutput } from '@reprise/core';
import { PairLines } from './pair-lines.js';

export const outputJsonl = defineOutput({
  kind: 'output',
  name: 'output-jsonl',
  summary: 'Append one JSON line per request/response pair to a file.',
  value: { placeholder: 'path', description: 'the JSON lines file to append to', example: 'pairs.jsonl' },
  options: {
    type: 'object',
    properties: {
      includeBodies: { type: 'boolean', default: false, description: 'Include request and response bodies as text.', examples: [true] },
      pairTimeoutMs: {
        type: 'integer',
        minimum: 0,
        default: 10000,
        description: 'How long a request waits for its response before it is written alone (ms).',
        examples: [2000],
      },
    },
  },
  create(path, options, ctx) {
    const pairs = new PairLines(options);
    let writing = Promise.resolve();
    const append = (lines) => {
      if (lines.length === 0) return writing;
      ctx.stats.add('lines', lines.length);
      // Writes are chained so lines never interleave; a failed write is counted, not thrown.
      writing = writing
        .then(() => appendFile(path, lines.join('\n') + '\n'))
        .catch((error) => {
          ctx.stats.add('failed', lines.length);
          ctx.logger.error(`cannot append to ${path}: ${error.message}`);
        });
      return writing;
    };
    return {
      write(batch) {
        return append(pairs.add(batch));
      },
      flush() {
        return append(pairs.expire(true));
      },
    };
  },
});

export default [outputJsonl];
