// Test-only. Loaded into the CLI and its child processes with NODE_OPTIONS=--import=<this file>: each
// process writes the modules it loaded to $REPRISE_TEST_MODULE_TRACE/<pid>.txt, one per line: the ES
// modules it resolved (a resolve hook) and, as it exits, the CommonJS files in require's cache.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { join } from 'node:path';

const file = join(process.env.REPRISE_TEST_MODULE_TRACE, `${process.pid}.txt`);
register(new URL('./module-trace-hooks.mjs', import.meta.url), { data: { file } });
const cache = createRequire(import.meta.url).cache;
process.on('exit', () =>
  appendFileSync(
    file,
    Object.keys(cache)
      .map((path) => `file://${path}\n`)
      .join(''),
  ),
);
