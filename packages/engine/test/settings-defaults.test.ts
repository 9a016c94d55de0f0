import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineInput, defineOutput, parseDurationMs } from '@reprise/core';
import { ComponentCatalog, DEFAULT_SETTINGS, renderFlagsHelp, resolvePipelineConfig, SETTINGS_FLAGS } from '../src/index.js';

function catalog() {
  const c = new ComponentCatalog();
  c.add(
    defineInput({
      kind: 'input',
      name: 'input-dummy',
      summary: 'in',
      options: { type: 'object', properties: {} },
      create: () => ({ async *read() {} }),
    }),
    '@reprise/test',
  );
  c.add(
    defineOutput({
      kind: 'output',
      name: 'output-dummy',
      summary: 'out',
      options: { type: 'object', properties: {} },
      create: () => ({ write() {} }),
    }),
    '@reprise/test',
  );
  return c;
}

/** The default `reprise --help` shows for a general flag, from the line after the flag's. */
function helpDefault(help: string, flag: string): string | undefined {
  const lines = help.split('\n');
  const at = lines.findIndex((line) => line === `  --${flag}` || line.startsWith(`  --${flag} `));
  assert.ok(at >= 0, `--${flag} is in the help`);
  return /\(default ([^)]+)\)$/.exec(lines[at + 1]!)?.[1];
}

test('the help shows the defaults the pipeline and the reporter use, written once in SETTINGS_FLAGS', () => {
  const help = renderFlagsHelp(catalog());
  const resolved = resolvePipelineConfig({ inputs: [{ use: 'input-dummy' }], outputs: [{ use: 'output-dummy' }] }, catalog());
  const shown = (flag: string) => helpDefault(help, flag) ?? assert.fail(`--${flag} shows no default`);
  assert.equal(parseDurationMs(shown('session-response-timeout')), DEFAULT_SETTINGS.sessionResponseTimeoutMs);
  assert.equal(Number(shown('output-queue-size')), DEFAULT_SETTINGS.queueCapacity);
  assert.equal(shown('buffer-policy'), DEFAULT_SETTINGS.bufferPolicy);
  assert.equal(parseDurationMs(shown('drain-timeout')), DEFAULT_SETTINGS.drainTimeoutMs);
  assert.equal(parseDurationMs(shown('stats-interval')), resolved.report.statsIntervalMs);
  // The values themselves, as README.md states them.
  assert.deepEqual(
    [
      DEFAULT_SETTINGS.sessionResponseTimeoutMs,
      DEFAULT_SETTINGS.queueCapacity,
      DEFAULT_SETTINGS.drainTimeoutMs,
      resolved.report.statsIntervalMs,
    ],
    [2000, 16_384, 10_000, 5000],
  );
  for (const setting of SETTINGS_FLAGS) {
    assert.doesNotMatch(setting.description, /default/i, `--${setting.flag}: the default is the field, not the text`);
    assert.equal(helpDefault(help, setting.flag), setting.default === undefined ? undefined : String(setting.default), `--${setting.flag}`);
  }
});
