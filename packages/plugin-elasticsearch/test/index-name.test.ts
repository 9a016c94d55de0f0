import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIndexName, IndexNamer, templatePatternOf } from '../src/index-name.js';
import { indexTemplateFor } from '../src/template.js';

const NOV_26_2026_0305 = Date.UTC(2026, 10, 26, 3, 5, 0);

test('date parts are replaced with the UTC date of the time given', { timeout: 5000 }, () => {
  assert.equal(formatIndexName('gor-%Y-%m-%d', NOV_26_2026_0305), 'gor-2026-11-26');
  assert.equal(formatIndexName('gor-%Y.%j-%H', NOV_26_2026_0305), 'gor-2026.330-03');
  assert.equal(formatIndexName('gor%%', NOV_26_2026_0305), 'gor%');
  assert.equal(formatIndexName('gor', NOV_26_2026_0305), 'gor');
});

test('the namer gives a new name when the day changes, also after a cached hour', { timeout: 5000 }, () => {
  const namer = new IndexNamer('gor-%Y-%m-%d');
  assert.equal(namer.nameAt(Date.UTC(2026, 10, 26, 23, 59, 59)), 'gor-2026-11-26');
  assert.equal(namer.nameAt(Date.UTC(2026, 10, 26, 23, 10, 0)), 'gor-2026-11-26');
  assert.equal(namer.nameAt(Date.UTC(2026, 10, 27, 0, 0, 1)), 'gor-2026-11-27');
  assert.equal(namer.nameAt(Date.UTC(2026, 10, 26, 12, 0, 0)), 'gor-2026-11-26');
});

test('templates cover the literal index, or every dated index of a pattern', { timeout: 5000 }, () => {
  assert.equal(templatePatternOf('gor'), 'gor');
  assert.equal(templatePatternOf('gor-%Y-%m-%d'), 'gor-*');
  const template = indexTemplateFor('gor-%Y-%m-%d');
  assert.deepEqual(template.body.index_patterns, ['gor-*']);
  assert.equal(template.name, 'reprise-gor');
  const properties = template.body.template.mappings.properties;
  assert.equal(properties['Resp_Status-Code'].type, 'keyword');
  assert.equal(properties.Req_Method.type, 'keyword');
  assert.equal(properties.Timestamp.type, 'date');
  assert.equal(properties.RTT.type, 'float');
  assert.equal(properties['Resp_Content-Length'].type, 'long');
  assert.equal(properties.Status_Mismatch.type, 'boolean');
});
