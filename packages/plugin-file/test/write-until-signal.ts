/**
 * Child process for the SIGTERM test: records batches to the path in argv[2] as fast as it can,
 * and on SIGTERM closes the output (as the pipeline does on stop) and exits.
 */
import { outputFile } from '../src/output-file.js';
import type { OutputInstance } from '@reprise/core';
import { validatedOptions } from '@reprise/core/testing';
import { makeContext, request } from './context.js';

const path = process.argv[2]!;
const output = (await outputFile.create(
  path,
  validatedOptions(outputFile, { flushInterval: '5ms' }),
  makeContext('output-file'),
)) as OutputInstance;
let isStopping = false;
process.on('SIGTERM', () => {
  isStopping = true;
  // Every record built so far has been given to write(): report how many, then exit.
  void output.close!().then(() => process.send!({ written: n }, () => process.exit(0)));
});
process.send?.('ready');
let n = 0;
while (!isStopping) {
  const batch = Array.from({ length: 64 }, () =>
    request(n++, 1795574173007755756n + BigInt(n), `POST /n/${n} HTTP/1.1\r\n\r\n${'x'.repeat(n % 3000)}`),
  );
  await output.write(batch);
  await new Promise((r) => setImmediate(r));
}
