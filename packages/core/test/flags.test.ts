import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ComponentCatalog, defineInput, defineOutput, parseFlags, renderFlagsHelp, resolvePipelineConfig, RepriseError } from '../src/index.js';

function catalog() {
  const c = new ComponentCatalog();
  c.add(
    defineInput({
      kind: 'input', name: 'input-file', summary: 'files', rate: 'plugin',
      value: { placeholder: 'path', description: 'a .gor file', example: 'requests.gor' },
      options: { type: 'object', properties: { loop: { type: 'boolean', default: false, description: 'loop', examples: [true] }, maxWait: { type: 'string', format: 'duration', description: 'cap', examples: ['1s'] } } },
      create: () => ({ async *read() {} }),
    }),
    '@reprise/plugin-file',
  );
  c.add(
    defineOutput({
      kind: 'output', name: 'output-http', summary: 'http',
      value: { description: 'url', example: 'http://staging' },
      options: { type: 'object', properties: { workers: { type: 'integer', minimum: 1, default: 32, description: 'connections', examples: [64] }, originalHost: { type: 'boolean', default: false, description: 'keep Host', 'x-flag': 'http-original-host' } } },
      create: () => ({ write() {} }),
    }),
    '@reprise/plugin-http',
  );
  c.add(
    defineOutput({ kind: 'output', name: 'output-stdout', summary: 'stdout', options: { type: 'object', properties: {} }, create: () => ({ write() {} }) }),
    '@reprise/plugin-basic',
  );
  return c;
}

test('GoReplay flags in both forms become one validated pipeline, rate suffixes parsed once', () => {
  const c = catalog();
  const config = parseFlags(['--input-file', 'a.gor|200%', '--output-http=http://x|50%', '-output-http', 'http://y|10', '--output-http-workers', '8', '--http-original-host', '--split-output', '--output-stdout'], c);
  const resolved = resolvePipelineConfig(config, c);
  assert.equal(resolved.inputs[0]!.value, 'a.gor');
  assert.deepEqual(resolved.inputs[0]!.rate, { kind: 'percent', value: 200 });
  assert.equal(resolved.outputs.length, 3);
  assert.deepEqual(resolved.outputs.map((o) => o.value), ['http://x', 'http://y', undefined]);
  assert.deepEqual(resolved.outputs[1]!.rate, { kind: 'per-second', value: 10 });
  assert.equal(resolved.outputs[0]!.options.workers, 8);
  assert.equal(resolved.outputs[1]!.options.originalHost, true);
  assert.equal(resolved.inputs[0]!.options.loop, false, 'defaults are filled');
  assert.equal(resolved.settings.splitOutput, true);
});

test('a repeatable setting collects every value given, in order', () => {
  const c = catalog();
  const config = parseFlags(['--input-file', 'a.gor', '--output-stdout', '--fail-on', 'error_rate>1%', '--fail-on=error_rate>5%'], c);
  assert.deepEqual(config.settings?.failOn, ['error_rate>1%', 'error_rate>5%']);
  assert.deepEqual(resolvePipelineConfig(config, c).report.failOn, ['error_rate>1%', 'error_rate>5%']);
  assert.deepEqual(resolvePipelineConfig(parseFlags(['--input-file', 'a.gor', '--output-stdout'], c), c).report.failOn, []);
  const fromFile = { inputs: [{ use: 'input-file', value: 'a.gor' }], outputs: [{ use: 'output-stdout' }], settings: { failOn: ['error_rate>2%'] } };
  assert.deepEqual(resolvePipelineConfig(fromFile, c).report.failOn, ['error_rate>2%'], 'a config file gives a list');
  assert.throws(() => resolvePipelineConfig({ ...fromFile, settings: { failOn: 'error_rate>2%' } }, c), /failOn must be array/);
});

test('an unknown flag suggests the closest ones', () => {
  assert.throws(() => parseFlags(['--output-htp', 'http://x'], catalog()), (e: RepriseError) => e.code === 'RPR_CONFIG_UNKNOWN_FLAG' && /did you mean --output-http/.test(e.message));
});

test('a GoReplay flag reprise does not have says so and what to use instead', () => {
  assert.throws(() => parseFlags(['--cpuprofile', 'x'], catalog()), /GoReplay flag reprise does not have: use node --cpu-prof/);
});

test('an option of a component that is not used is an error naming the missing flag', () => {
  assert.throws(() => parseFlags(['--output-http-workers', '3'], catalog()), /--output-http-workers given without --output-http/);
});

test('a bad option value names the component and the option', () => {
  const c = catalog();
  assert.throws(() => parseFlags(['--output-http-workers', 'many'], c), /--output-http-workers needs a whole number/);
  const config = parseFlags(['--input-file', 'a', '--output-http', 'http://x', '--output-http-workers', '0'], c);
  assert.throws(() => resolvePipelineConfig(config, c), (e: RepriseError) => e.code === 'RPR_PLUGIN_OPTIONS' && e.plugin === 'output-http' && e.option === 'workers');
  const bad = parseFlags(['--input-file', 'a', '--input-file-max-wait', 'soon', '--output-stdout'], c);
  assert.throws(() => resolvePipelineConfig(bad, c), /input-file \(option maxWait\).*valid duration/);
});

test('config file errors point at the bad key', () => {
  const c = catalog();
  assert.throws(
    () => resolvePipelineConfig({ inputs: [{ use: 'input-file', value: 'a' }], outputs: [{ use: 'output-http', value: 'http://x', options: { workerz: 3 } }] }, c, 'pipeline.json'),
    /output-http \(option workerz\).*pipeline.json: \/outputs\/0.*unknown key "workerz"/,
  );
  assert.throws(() => resolvePipelineConfig({ inputs: [], outputs: [], setings: {} }, c, 'p.json'), /p.json: \/setings unknown key/);
  assert.throws(() => resolvePipelineConfig({ inputs: [{ use: 'input-fil', value: 'a' }], outputs: [{ use: 'output-stdout' }] }, c, 'p.json'), /did you mean input-file/);
});

test('help lists every flag with an example', () => {
  const help = renderFlagsHelp(catalog());
  for (const flag of ['--input-file <path>[|N%]', '--input-file-loop', '--output-http-workers <integer>', '--http-original-host', '--output-stdout', '--split-output', '--exit-after']) {
    assert.ok(help.includes(flag), `help mentions ${flag}`);
  }
  assert.match(help, /e\.g\. --output-http-workers 64/);
});

test('a component can switch on an option of another one it needs (GoReplay: output-http-elasticsearch implies track-response)', () => {
  const c = catalog();
  c.add(
    defineOutput({
      kind: 'output', name: 'output-http-elasticsearch', summary: 'es', rate: 'none',
      value: { description: 'es', example: 'localhost:9200/gor' },
      implies: [{ component: 'output-http', options: { originalHost: true }, reason: 'test' }],
      options: { type: 'object', properties: {} },
      create: () => ({ write() {} }),
    }),
    'es',
  );
  const resolved = resolvePipelineConfig(parseFlags(['--input-file', 'a', '--output-http', 'http://x', '--output-http-elasticsearch', 'localhost:9200/gor'], c), c);
  assert.equal(resolved.outputs[0]!.options.originalHost, true);
  assert.ok(Object.isFrozen(resolved.outputs[0]!.options));
});
