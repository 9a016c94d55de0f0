import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '@reprise/core';
import { Analyzer } from '@reprise/compare';
import { importComparators, loadPackages, type PluginPackage } from '../src/discover.js';

/** A plugin package on disk with a comparator and an output component; `entry` is its index.js. */
function writePlugin(dir: string, name: string, entry: string): PluginPackage {
  const root = join(dir, name);
  mkdirSync(root);
  const packageJson = {
    name,
    version: '1.0.0',
    type: 'module',
    reprise: {
      coreVersion: '^0.1.0',
      entry: './index.js',
      components: [
        { kind: 'comparator', name: 'csv' },
        { kind: 'output', name: 'output-csvx' },
      ],
    },
  };
  writeFileSync(join(root, 'package.json'), JSON.stringify(packageJson));
  writeFileSync(join(root, 'index.js'), entry);
  return { name, version: '1.0.0', source: 'linked', root, manifest: readManifest(packageJson) };
}

const OUTPUT = `{ kind: 'output', name: 'output-csvx', summary: 'test', options: { type: 'object', properties: {} }, create: () => ({ write() {} }) }`;

test('a plugin’s comparator is imported for compare and kept out of the pipeline catalog', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-comparator-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = writePlugin(
    dir,
    'reprise-plugin-csv',
    `export default [
      { kind: 'comparator', name: 'csv', matches: (type) => type === 'text/csv',
        parse: (body) => Buffer.from(body).toString().split(','),
        compare: (a, b, emit) => a.forEach((v, i) => v !== b[i] && emit('col' + i, 'changed', v, b[i])) },
      ${OUTPUT},
    ];`,
  );
  const broken = writePlugin(dir, 'reprise-plugin-broken', `export default [${OUTPUT}];`);

  const { catalog, problems } = await loadPackages([good]);
  assert.deepEqual(problems, []);
  assert.ok(catalog.get('output-csvx'));
  assert.equal(catalog.get('csv'), undefined);

  const imported = await importComparators([good, broken]);
  assert.deepEqual(
    imported.comparators.map((c) => c.name),
    ['csv'],
  );
  assert.equal(imported.problems.length, 1);
  assert.match(
    imported.problems[0]!.message,
    /reprise-plugin-broken: the manifest declares comparator "csv" but the entry does not export it/,
  );

  const analyzer = new Analyzer({ comparators: imported.comparators });
  const message = (kind: 'request' | 'replayed-response', text: string) => ({
    kind,
    id: 'a'.repeat(24),
    timestamp: 1n,
    latency: 1n,
    payload: Buffer.from(text),
  });
  analyzer.add({
    id: 'a'.repeat(24),
    request: message('request', 'GET /r HTTP/1.1\r\n\r\n'),
    baseline: [message('replayed-response', 'HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n\r\na,b,c')],
    candidate: [message('replayed-response', 'HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n\r\na,x,c')],
  });
  assert.deepEqual(
    analyzer.result().endpoints[0]!.differences.map((d) => d.field),
    ['body.col1'],
  );
});
