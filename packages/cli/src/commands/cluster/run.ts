import { Command, Flags } from '@oclif/core';
import { parseDurationMs, RepriseError } from '@reprise/core';
import { resolvePipelineConfig } from '@reprise/engine';
import { loadCatalog } from '../../catalog-loader.js';
import { executePipeline, reportError } from '../../execute.js';

export default class ClusterRun extends Command {
  static override summary = "Replay a NATS service's captured traffic as one of many workers.";
  static override description =
    `Takes this worker's share of the requests agents published with --output-nats, replays them to TARGET (output-http, tracking responses) and publishes each replayed response to the service's results stream, acknowledging the request only then (at-least-once; --at-most-once acknowledges before sending). Every worker of a service follows one clock and one rate kept in its KV bucket. See docs/CLUSTER.md.`;
  static override examples = [
    '<%= config.bin %> cluster run --nats nats://nats:4222 --service shop --target http://staging --speed 1000% --session-affinity',
    '<%= config.bin %> cluster run --nats nats://nats:4222 --service shop --target http://staging --exit-when-drained',
  ];
  static override flags = {
    nats: Flags.string({ summary: 'NATS server URL(s), comma-separated.', required: true }),
    service: Flags.string({ summary: 'Service name, as given to --output-nats-service.', required: true }),
    target: Flags.string({ summary: 'The HTTP(S) target requests are replayed to.', required: true }),
    speed: Flags.string({
      summary: 'Replay at N% of the recorded timing across all workers (e.g. 1000%); default: as fast as the target takes.',
    }),
    rate: Flags.integer({ summary: 'Aggregate requests per second across all workers (each live worker takes its share).', min: 1 }),
    'session-affinity': Flags.boolean({
      summary: 'Keep each TCP session on one worker, in order (partition leases). All workers of a service run with it or all without.',
    }),
    'exit-when-drained': Flags.boolean({ summary: 'Exit 0 once the stream is consumed and nothing is in flight on any worker.' }),
    'at-most-once': Flags.boolean({
      summary: 'Acknowledge before sending: a crashed worker loses its requests instead of repeating them.',
    }),
    worker: Flags.string({ summary: "This worker's name (default: <host>-<pid>)." }),
    'http-workers': Flags.integer({ summary: 'Connections to the target (output-http workers).', default: 32, min: 1 }),
    'http-pipelining': Flags.integer({
      summary:
        'Requests sent on one connection before its first response (1: none; requests of different sessions then never wait behind each other).',
      default: 1,
      min: 1,
    }),
    timeout: Flags.string({ summary: 'Time a replayed request may take (output-http timeout).', default: '5s' }),
    'ack-wait': Flags.string({
      summary: "Time after which an unacknowledged request (a dead worker's) is delivered again.",
      default: '30s',
    }),
    'lease-ttl': Flags.string({
      summary: "Life of partition leases and heartbeats: how soon a dead worker's partitions move.",
      default: '5s',
    }),
    'max-in-flight': Flags.integer({ summary: 'Unacknowledged requests per consumer without session affinity.', default: 256, min: 1 }),
    stats: Flags.boolean({ summary: 'Print counters every 5 s.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ClusterRun);
    try {
      const speed = flags.speed === undefined ? undefined : parseSpeed(flags.speed);
      const worker = flags.worker ?? undefined;
      const timeoutMs = parseDurationMs(flags.timeout, 'timeout');
      const config = {
        inputs: [
          {
            use: 'input-nats-work',
            value: flags.nats,
            options: {
              service: flags.service,
              ...(worker ? { worker } : {}),
              sessionAffinity: flags['session-affinity'],
              atMostOnce: flags['at-most-once'],
              exitWhenDrained: flags['exit-when-drained'],
              ...(speed ? { speed } : {}),
              ...(flags.rate ? { rate: flags.rate } : {}),
              ackWait: flags['ack-wait'],
              leaseTtl: flags['lease-ttl'],
              maxInFlight: flags['max-in-flight'],
              // a request whose replay failed has no response: hand it back soon after the HTTP timeout
              responseTimeout: `${timeoutMs + 2000}ms`,
            },
          },
        ],
        outputs: [
          {
            use: 'output-http',
            value: flags.target,
            options: { trackResponse: true, workers: flags['http-workers'], pipelining: flags['http-pipelining'], timeout: flags.timeout },
          },
          { use: 'output-nats-results', value: flags.nats, options: { service: flags.service, ...(worker ? { worker } : {}) } },
        ],
        settings: { stats: flags.stats },
      };
      const { catalog } = await loadCatalog({ components: ['input-nats-work', 'output-http', 'output-nats-results'] });
      process.exitCode = await executePipeline(resolvePipelineConfig(config, catalog, 'cluster run'));
    } catch (error) {
      process.exitCode = reportError(error);
    }
  }
}

function parseSpeed(text: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0)
    throw new RepriseError('RPR_CONFIG_INVALID', `--speed "${text}" is not a percentage (examples: 100%, 1000%)`, { option: 'speed' });
  return Number(m[1]);
}
