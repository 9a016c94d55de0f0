import { Command, Flags } from '@oclif/core';
import { parseDurationMs } from '@reprise/core';
import { reportError } from '../../execute.js';

export default class ClusterStatus extends Command {
  static override summary = "Show a NATS service's backlog, in-flight work, redeliveries, lag, rates and agent drops.";
  static override description =
    `Per consumer (or partition, with its owner): backlog, in flight against its limit (a warning when delivery is stalled), redeliveries and time lag; per worker its rate and counters; per capture agent what it published, dropped or spilled; the achieved against the target rate. --json prints the same as one object whose "backlog" is the service's number of messages not yet delivered.`;
  static override examples = [
    '<%= config.bin %> cluster status --nats nats://nats:4222 --service shop',
    '<%= config.bin %> cluster status --nats nats://nats:4222 --service shop --json',
  ];
  static override flags = {
    nats: Flags.string({ summary: 'NATS server URL(s), comma-separated.', required: true }),
    service: Flags.string({ summary: 'Service name, as given to --output-nats-service.', required: true }),
    json: Flags.boolean({ summary: 'One JSON object instead of text.' }),
    timeout: Flags.string({
      summary: 'Time NATS may take to answer the whole status (right after a restart JetStream can take a minute); then exit 4.',
      default: '5s',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ClusterStatus);
    try {
      const { clusterStatus, formatClusterStatus } = await import('@reprise/plugin-nats');
      const status = await clusterStatus(flags.nats, flags.service, parseDurationMs(flags.timeout, 'timeout'));
      process.stdout.write(flags.json ? JSON.stringify(status) + '\n' : formatClusterStatus(status));
    } catch (error) {
      // exit now: nats.js keeps the socket of a connection attempt that timed out open, which would hold the process
      process.exit(reportError(error));
    }
  }
}
