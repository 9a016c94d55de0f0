import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_IGNORED_FIELDS } from '@reprise/compare';
import type { RepriseError } from '@reprise/core';
import { analyzerOptionsOf } from '../src/compare/compare-flags.js';
import { checkReportFlags } from '../src/compare/deliver-report.js';

test("analysis options: the run file's own are kept unless a flag replaces them", () => {
  assert.deepEqual(analyzerOptionsOf({}), { endpoints: [], ignore: [...DEFAULT_IGNORED_FIELDS] });
  assert.deepEqual(analyzerOptionsOf({ ignore: ['body.meta.*'] }).ignore, [...DEFAULT_IGNORED_FIELDS, 'body.meta.*']);
  assert.deepEqual(analyzerOptionsOf({ ignore: ['body.x'], ignoreDefaults: false }).ignore, ['body.x']);
  const saved = { endpoints: ['GET /v1/items/:sku'], ignore: ['body.y'] };
  assert.deepEqual(analyzerOptionsOf({}, saved), saved);
  assert.deepEqual(analyzerOptionsOf({ endpoint: ['GET /a/:b'] }, saved), { endpoints: ['GET /a/:b'], ignore: ['body.y'] });
  assert.deepEqual(analyzerOptionsOf({ ignoreDefaults: true }, saved).ignore, [...DEFAULT_IGNORED_FIELDS]);
});

test('report flags are checked before a run: thresholds, output folders, the noise profile, each named', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-flags-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fails = (fn: () => unknown, code: string, option: string) =>
    assert.throws(fn, (e: RepriseError) => e.code === code && e.option === option, `${code} ${option}`);
  fails(() => checkReportFlags({}, ['p99>1%']), 'RPR_CONFIG_INVALID', 'fail-on');
  fails(() => checkReportFlags({ reportHtml: join(dir, 'missing/report.html') }, []), 'RPR_CONFIG_INVALID', 'report-html');
  fails(() => checkReportFlags({ saveRun: join(dir, 'missing/run.rpr') }, []), 'RPR_CONFIG_INVALID', 'save-run');
  fails(() => checkReportFlags({ noise: join(dir, 'none.json') }, []), 'RPR_INPUT_NOT_FOUND', 'noise');
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ format: 'reprise-noise', version: 2, endpoints: [] }));
  fails(() => checkReportFlags({ noise: bad }, []), 'RPR_CONFIG_INVALID', 'noise');
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ format: 'reprise-noise', version: 1, endpoints: [] }));
  assert.equal(checkReportFlags({ noise: good, reportJson: join(dir, 'r.json') }, ['diff_rate>1%'])!.format, 'reprise-noise');
});
