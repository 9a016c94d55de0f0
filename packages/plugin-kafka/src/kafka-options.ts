/** The options the Kafka input and output share (GoReplay's flag names), and the client settings they give. */
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import { RepriseError, type OptionsOf, type OptionsSchema } from '@reprise/core';

/** The option schema of `input-kafka` or `output-kafka`; the TLS flags are shared by both, as in GoReplay. */
export function kafkaOptionsSchema(direction: 'read' | 'write') {
  const shared = { 'x-shared': true } as const;
  return {
    type: 'object',
    additionalProperties: false,
    required: ['host', 'topic'],
    properties: {
      host: {
        type: 'string',
        description: 'Kafka brokers to bootstrap from, comma-separated host:port',
        examples: ['192.168.0.1:9092,192.168.0.2:9092'],
      },
      topic: { type: 'string', description: `The topic to ${direction}`, examples: ['goreplay'] },
      jsonFormat: {
        type: 'boolean',
        default: false,
        description:
          direction === 'write'
            ? "Write GoReplay's JSON format (Req_URL, Req_Method, Req_Headers, Req_Body…) instead of raw GoReplay messages"
            : "Read GoReplay's JSON format (Req_URL, Req_Method, Req_Headers, Req_Body…) instead of raw GoReplay messages",
        examples: [true],
      },
      tlsCaCert: {
        type: 'string',
        description: 'CA certificate (PEM) that signs the brokers: connects with TLS (Kafka input and output)',
        examples: ['ca.pem'],
        'x-flag': 'kafka-tls-ca-cert',
        ...shared,
      },
      tlsClientCert: {
        type: 'string',
        description: 'Client certificate (PEM) for TLS client authentication: connects with TLS (Kafka input and output)',
        examples: ['client.pem'],
        'x-flag': 'kafka-tls-client-cert',
        ...shared,
      },
      tlsClientKey: {
        type: 'string',
        description: 'Private key (PEM) of --kafka-tls-client-cert',
        examples: ['client.key'],
        'x-flag': 'kafka-tls-client-key',
        ...shared,
      },
    },
  } as const satisfies OptionsSchema;
}

export type KafkaOptions = OptionsOf<ReturnType<typeof kafkaOptionsSchema>>;

export interface KafkaClientSettings {
  bootstrapBrokers: string[];
  /** Between retries; the library's 1 s, nested over its connection retries, made an unreachable broker take 17 s to report. */
  retryDelay: number;
  tls?: ConnectionOptions;
}

/** GoReplay's client (sarama) backs off 250 ms between retries. */
const RETRY_DELAY_MS = 250;

/** Brokers and TLS settings from the options; certificate files are read here, so a bad path is reported at start. */
export async function kafkaClientSettings(options: Readonly<KafkaOptions>, plugin: string): Promise<KafkaClientSettings> {
  const fail = (option: keyof KafkaOptions, message: string, cause?: unknown) =>
    new RepriseError('RPR_PLUGIN_OPTIONS', message, { plugin, option, phase: 'create', cause });
  const bootstrapBrokers = options.host
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  if (bootstrapBrokers.length === 0) throw fail('host', 'needs at least one broker, e.g. localhost:9092');
  for (const broker of bootstrapBrokers) if (!/^[^:\s]+:\d+$/.test(broker)) throw fail('host', `"${broker}" is not host:port`);
  if (!options.topic) throw fail('topic', 'needs a topic, e.g. goreplay');
  if (Boolean(options.tlsClientCert) !== Boolean(options.tlsClientKey)) {
    throw fail(
      options.tlsClientCert ? 'tlsClientKey' : 'tlsClientCert',
      'a TLS client certificate and its key go together: give both --kafka-tls-client-cert and --kafka-tls-client-key',
    );
  }
  if (!options.tlsCaCert && !options.tlsClientCert) return { bootstrapBrokers, retryDelay: RETRY_DELAY_MS };
  const read = async (option: 'tlsCaCert' | 'tlsClientCert' | 'tlsClientKey') => {
    const path = options[option];
    if (!path) return undefined;
    try {
      return await readFile(path);
    } catch (error) {
      throw fail(option, `cannot read ${path}: ${(error as Error).message}`, error);
    }
  };
  const tls: ConnectionOptions = {};
  const ca = await read('tlsCaCert');
  if (ca) tls.ca = ca;
  const cert = await read('tlsClientCert');
  if (cert) {
    tls.cert = cert;
    tls.key = await read('tlsClientKey');
  }
  return { bootstrapBrokers, retryDelay: RETRY_DELAY_MS, tls };
}
