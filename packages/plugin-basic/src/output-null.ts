import { defineOutput } from '@reprise/core';

export const outputNull = defineOutput({
  kind: 'output',
  name: 'output-null',
  summary: 'Discard every message (for measuring the rest of a pipeline).',
  options: { type: 'object', properties: {} },
  create() {
    return { write() {} };
  },
});
