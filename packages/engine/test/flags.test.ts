import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineInput, defineOutput, RepriseError } from '@reprise/core';
import { ComponentCatalog, parseFlags, renderFlagsHelp, resolvePipelineConfig } from '../src/index.js';

function catalog() {
  const c = new ComponentCatalog();
  c.add(
    defineInput({
      kind: 'input',
      name: 'input-file',
      summary: 'files',
      rate: 'plugin',
      value: { placeholder: 'path', description: 'a .gor file', example: 'requests.gor' },
      options: {
        type: 'object',
        properties: {
          loop: { type: 'boolean', default: false, description: 'loop', examples: [true] },
          maxWait: { type: 'string', format: 'duration', description: 'cap', examples: ['1s'] },
        },
      },
      create: () => ({ async *read() {} }),
    }),
    '@reprise/plugin-file',
  );
  c.add(
    defineOutput({
      kind: 'output',
      name: 'output-http',
      summary: 'http',
      value: { description: 'url', example: 'http://staging' },
      options: {
        type: 'object',
        properties: {
          workers: { type: 'integer', minimum: 1, default: 32, description: 'connections', examples: [64] },
          originalHost: { type: 'boolean', default: false, description: 'keep Host', 'x-flag': 'http-original-host' },
        },
      },
      create: () => ({ write() {} }),
    }),
    '@reprise/plugin-http',
  );
  c.add(
    defineOutput({
      kind: 'output',
      name: 'output-stdout',
      summary: 'stdout',
      options: { type: 'object', properties: {} },
      create: () => ({ write() {} }),
    }),
    '@reprise/plugin-basic',
  );
  return c;
}

test('GoReplay flags in both forms become one validated pipeline, rate suffixes parsed once', () => {
  const c = catalog();
  const config = parseFlags(
    [
      '--input-file',
      'a.gor|200%',
      '--output-http=http://x|50%',
      '-output-http',
      'http://y|10',
      '--output-http-workers',
      '8',
      '--http-original-host',
      '--split-output',
      '--output-stdout',
    ],
    c,
  );
  const resolved = resolvePipelineConfig(config, c);
  assert.equal(resolved.inputs[0]!.value, 'a.gor');
  assert.deepEqual(resolved.inputs[0]!.rate, { kind: 'percent', value: 200 });
  assert.equal(resolved.outputs.length, 3);
  assert.deepEqual(
    resolved.outputs.map((o) => o.value),
    ['http://x', 'http://y', undefined],
  );
  assert.deepEqual(resolved.outputs[1]!.rate, { kind: 'per-second', value: 10 });
  assert.equal(resolved.outputs[0]!.options.workers, 8);
  assert.equal(resolved.outputs[1]!.options.originalHost, true);
  assert.equal(resolved.inputs[0]!.options.loop, false, 'defaults are filled');
  assert.equal(resolved.settings.splitOutput, true);
});

test('an unknown flag suggests the closest ones', () => {
  assert.throws(
    () => parseFlags(['--output-htp', 'http://x'], catalog()),
    (e: RepriseError) => e.code === 'RPR_CONFIG_UNKNOWN_FLAG' && /did you mean --output-http/.test(e.message),
  );
});

test('a GoReplay flag reprise refuses says why and what to use instead, with its own code', () => {
  assert.throws(
    () => parseFlags(['--input-file', 'a', '--output-http-workers-min', '4'], catalog()),
    (e: RepriseError) =>
      e.code === 'RPR_CONFIG_REFUSED_FLAG' &&
      /--output-http-workers-min is a GoReplay flag reprise does not take: .*opens connections on demand.*Instead: use --output-http-workers/.test(
        e.message,
      ),
  );
});

test('--output-file-queue-limit 0, GoReplay for "no rotation by count", is taken; other values are refused with the reason', () => {
  const c = catalog();
  // Was refused whatever its value, though 0 asks for what reprise does anyway.
  for (const args of [['--output-file-queue-limit', '0'], ['--output-file-queue-limit=0'], ['-output-file-queue-limit', '0']]) {
    const config = parseFlags(['--input-file', 'a', ...args, '--output-stdout'], c);
    assert.deepEqual(
      config.outputs.map((o) => o.use),
      ['output-stdout'],
    );
  }
  for (const args of [['--output-file-queue-limit', '256'], ['--output-file-queue-limit=1'], ['--output-file-queue-limit']]) {
    assert.throws(
      () => parseFlags(['--input-file', 'a', ...args], c),
      (e: RepriseError) =>
        e.code === 'RPR_CONFIG_REFUSED_FLAG' &&
        /every N records.*Instead: rotate by size.*\(0, GoReplay's no rotation by count, is taken/.test(e.message),
    );
  }
});

test("GoReplay's --verbose level is taken: above 0 is on, 0 is off, and the next flag is not swallowed", () => {
  const c = catalog();
  assert.equal(parseFlags(['--verbose', '2', '--output-stdout'], c).settings!.verbose, true);
  assert.equal(parseFlags(['--verbose=0', '--output-stdout'], c).settings!.verbose, false);
  const config = parseFlags(['--verbose', '--output-stdout'], c);
  assert.equal(config.settings!.verbose, true);
  assert.equal(config.outputs.length, 1);
});

test('an option of a component that is not used is an error naming the missing flag', () => {
  assert.throws(() => parseFlags(['--output-http-workers', '3'], catalog()), /--output-http-workers given without --output-http/);
});

test('a bad option value names the component and the option', () => {
  const c = catalog();
  assert.throws(() => parseFlags(['--output-http-workers', 'many'], c), /--output-http-workers needs a whole number/);
  const config = parseFlags(['--input-file', 'a', '--output-http', 'http://x', '--output-http-workers', '0'], c);
  assert.throws(
    () => resolvePipelineConfig(config, c),
    (e: RepriseError) => e.code === 'RPR_PLUGIN_OPTIONS' && e.plugin === 'output-http' && e.option === 'workers',
  );
  const bad = parseFlags(['--input-file', 'a', '--input-file-max-wait', 'soon', '--output-stdout'], c);
  assert.throws(() => resolvePipelineConfig(bad, c), /input-file \(option maxWait\).*valid duration/);
});

test('config file errors point at the bad key', () => {
  const c = catalog();
  assert.throws(
    () =>
      resolvePipelineConfig(
        { inputs: [{ use: 'input-file', value: 'a' }], outputs: [{ use: 'output-http', value: 'http://x', options: { workerz: 3 } }] },
        c,
        'pipeline.json',
      ),
    /output-http \(option workerz\).*pipeline.json: \/outputs\/0.*unknown key "workerz"/,
  );
  assert.throws(() => resolvePipelineConfig({ inputs: [], outputs: [], setings: {} }, c, 'p.json'), /p.json: \/setings unknown key/);
  assert.throws(
    () => resolvePipelineConfig({ inputs: [{ use: 'input-fil', value: 'a' }], outputs: [{ use: 'output-stdout' }] }, c, 'p.json'),
    /did you mean input-file/,
  );
});

test('help lists every flag with an example', () => {
  const help = renderFlagsHelp(catalog());
  for (const flag of [
    '--input-file <path>[|N%]',
    '--input-file-loop',
    '--output-http-workers <integer>',
    '--http-original-host',
    '--output-stdout',
    '--split-output',
    '--exit-after',
  ]) {
    assert.ok(help.includes(flag), `help mentions ${flag}`);
  }
  assert.match(help, /e\.g\. --output-http-workers 64/);
});

test('a component can switch on an option of another one it needs (GoReplay: output-http-elasticsearch implies track-response)', () => {
  const c = catalog();
  c.add(
    defineOutput({
      kind: 'output',
      name: 'output-http-elasticsearch',
      summary: 'es',
      rate: 'none',
      value: { description: 'es', example: 'localhost:9200/gor' },
      implies: [{ component: 'output-http', options: { originalHost: true }, reason: 'test' }],
      options: { type: 'object', properties: {} },
      create: () => ({ write() {} }),
    }),
    'es',
  );
  const resolved = resolvePipelineConfig(
    parseFlags(['--input-file', 'a', '--output-http', 'http://x', '--output-http-elasticsearch', 'localhost:9200/gor'], c),
    c,
  );
  assert.equal(resolved.outputs[0]!.options.originalHost, true);
  assert.ok(Object.isFrozen(resolved.outputs[0]!.options));
});

test('a boolean is switched off by --no-<flag>, --flag=false and --flag false, and on by --flag true', () => {
  const c = catalog();
  const base = ['--input-file', 'a.gor', '--output-stdout'];
  const loopOf = (argv: string[]) => resolvePipelineConfig(parseFlags([...base, ...argv], c), c).inputs[0]!.options.loop;
  assert.equal(loopOf(['--input-file-loop']), true);
  assert.equal(loopOf(['--input-file-loop', 'true']), true);
  assert.equal(loopOf(['--input-file-loop', '--no-input-file-loop']), false);
  assert.equal(loopOf(['--input-file-loop=false']), false);
  assert.equal(loopOf(['--input-file-loop', 'false']), false);
  const setting = parseFlags([...base, '--split-output', 'false'], c);
  assert.equal(setting.settings?.splitOutput, false);
  // --no- only exists for booleans, and takes no value
  assert.throws(() => parseFlags([...base, '--no-output-http-workers'], c), /unknown flag --no-output-http-workers/);
  assert.throws(() => parseFlags([...base, '--no-input-file-loop=true'], c), /--no-input-file-loop takes no value/);
});

test('a rate suffix on a component that takes no rate is an error, not part of its value', () => {
  const c = catalog();
  c.add(
    defineOutput({
      kind: 'output',
      name: 'output-jsonl',
      summary: 'jsonl',
      rate: 'none',
      value: { description: 'path', example: 'x.json' },
      options: { type: 'object', properties: {} },
      create: () => ({ write() {} }),
    }),
    'reprise-plugin-jsonl',
  );
  assert.throws(
    () => resolvePipelineConfig(parseFlags(['--input-file', 'a.gor', '--output-jsonl', 'x.json|50%'], c), c),
    (error: unknown) =>
      error instanceof RepriseError &&
      /output-jsonl.*"x\.json\|50%" ends with a rate suffix, but output-jsonl takes no rate/.test(error.message),
  );
  // a bar that is not a rate stays part of the value
  const ok = resolvePipelineConfig(parseFlags(['--input-file', 'a.gor', '--output-jsonl', 'a|b.json'], c), c);
  assert.equal(ok.outputs[0]!.value, 'a|b.json');
});

test('options types come from the schema: defaults and required options are always set', () => {
  const definition = defineOutput({
    kind: 'output',
    name: 'output-typed',
    summary: 'typed',
    options: {
      type: 'object',
      required: ['path'],
      properties: {
        isOn: { type: 'boolean', default: true, description: 'on' },
        limit: { type: 'integer', description: 'limit' },
        mode: { type: 'string', enum: ['a', 'b'], default: 'a', description: 'mode' },
        path: { type: 'string', description: 'path' },
      },
    },
    create(_value, options) {
      const isOn: boolean = options.isOn;
      const mode: 'a' | 'b' = options.mode;
      const path: string = options.path;
      const limit: number | undefined = options.limit;
      // @ts-expect-error an option without default may be undefined
      const strictLimit: number = options.limit;
      void [isOn, mode, path, limit, strictLimit];
      return { write() {} };
    },
  });
  assert.equal(definition.name, 'output-typed');
});

test('an x-shared flag sets the option on each component using it, switches none on, and needs one of them', () => {
  const c = new ComponentCatalog();
  const tls = { type: 'string' as const, description: 'CA file', examples: ['ca.pem'], 'x-flag': 'kafka-tls-ca-cert', 'x-shared': true };
  for (const kind of ['input', 'output'] as const) {
    const definition = {
      kind,
      name: `${kind}-kafka`,
      summary: 'kafka',
      enabledBy: 'options' as const,
      options: { type: 'object' as const, properties: { host: { type: 'string' as const, description: 'brokers' }, caCert: tls } },
      create: () => (kind === 'input' ? { async *read() {} } : { write() {} }),
    };
    c.add((kind === 'input' ? defineInput(definition as never) : defineOutput(definition as never)) as never, '@reprise/plugin-kafka');
  }
  const outputOnly = parseFlags(['--kafka-tls-ca-cert', 'ca.pem', '--output-kafka-host', 'b:9092'], c);
  assert.deepEqual(outputOnly.inputs, []);
  assert.deepEqual(outputOnly.outputs, [{ use: 'output-kafka', options: { host: 'b:9092', caCert: 'ca.pem' } }]);
  const both = parseFlags(['--input-kafka-host', 'a:9092', '--output-kafka-host', 'b:9092', '--kafka-tls-ca-cert', 'ca.pem'], c);
  assert.equal(both.inputs[0]!.options!.caCert, 'ca.pem');
  assert.equal(both.outputs[0]!.options!.caCert, 'ca.pem');
  assert.throws(
    () => parseFlags(['--kafka-tls-ca-cert', 'ca.pem'], c),
    /--kafka-tls-ca-cert applies to input-kafka or output-kafka, and neither is used/,
  );
});

test('a repeatable setting collects every value given, in order', () => {
  const c = catalog();
  const config = parseFlags(['--input-file', 'a.gor', '--output-stdout', '--fail-on', 'error_rate>1%', '--fail-on=error_rate>5%'], c);
  assert.deepEqual(config.settings?.failOn, ['error_rate>1%', 'error_rate>5%']);
  assert.deepEqual(resolvePipelineConfig(config, c).report.failOn, ['error_rate>1%', 'error_rate>5%']);
  assert.deepEqual(resolvePipelineConfig(parseFlags(['--input-file', 'a.gor', '--output-stdout'], c), c).report.failOn, []);
  const fromFile = {
    inputs: [{ use: 'input-file', value: 'a.gor' }],
    outputs: [{ use: 'output-stdout' }],
    settings: { failOn: ['error_rate>2%'] },
  };
  assert.deepEqual(resolvePipelineConfig(fromFile, c).report.failOn, ['error_rate>2%'], 'a config file gives a list');
  assert.throws(() => resolvePipelineConfig({ ...fromFile, settings: { failOn: 'error_rate>2%' } }, c), /failOn must be array/);
});
