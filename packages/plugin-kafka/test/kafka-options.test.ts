import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RepriseError } from '@reprise/core';
import { validatedOptions } from '@reprise/core/testing';
import { kafkaClientSettings } from '../src/kafka-options.js';
import { outputKafka } from '../src/output-kafka.js';

/** The client settings of output-kafka given these options as flags. */
const settingsOf = (options: Record<string, unknown>) => kafkaClientSettings(validatedOptions(outputKafka, options), 'output-kafka');

const isOptionError = (option: string, text: RegExp) => (e: unknown) =>
  e instanceof RepriseError &&
  e.code === 'RPR_PLUGIN_OPTIONS' &&
  e.option === option &&
  e.plugin === 'output-kafka' &&
  text.test(e.message);

test('brokers are a comma-separated host:port list; TLS is off without certificates', { timeout: 5000 }, async () => {
  assert.deepEqual(await settingsOf({ host: 'a:9092, b:9093', topic: 't' }), { bootstrapBrokers: ['a:9092', 'b:9093'], retryDelay: 250 });
  await assert.rejects(settingsOf({ host: 'a', topic: 't' }), isOptionError('host', /"a" is not host:port/));
  await assert.rejects(settingsOf({ host: ' , ', topic: 't' }), isOptionError('host', /at least one broker/));
});

test('TLS files are read at start; a client certificate needs its key; a missing file names the flag', { timeout: 5000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-kafka-opts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ['ca.pem', 'client.pem', 'client.key']) writeFileSync(join(dir, name), `${name} contents`);
  const settings = await settingsOf({
    host: 'a:1',
    topic: 't',
    tlsCaCert: join(dir, 'ca.pem'),
    tlsClientCert: join(dir, 'client.pem'),
    tlsClientKey: join(dir, 'client.key'),
  });
  assert.deepEqual(
    { ca: String(settings.tls?.ca), cert: String(settings.tls?.cert), key: String(settings.tls?.key) },
    { ca: 'ca.pem contents', cert: 'client.pem contents', key: 'client.key contents' },
  );
  assert.deepEqual(Object.keys((await settingsOf({ host: 'a:1', topic: 't', tlsCaCert: join(dir, 'ca.pem') })).tls!), ['ca']);
  await assert.rejects(
    settingsOf({ host: 'a:1', topic: 't', tlsClientCert: join(dir, 'client.pem') }),
    isOptionError('tlsClientKey', /give both/),
  );
  await assert.rejects(
    settingsOf({ host: 'a:1', topic: 't', tlsCaCert: join(dir, 'nope.pem') }),
    isOptionError('tlsCaCert', /cannot read .*nope\.pem/),
  );
});
