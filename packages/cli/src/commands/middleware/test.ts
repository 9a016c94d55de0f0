import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Args, Command, Flags } from '@oclif/core';
import { corruptionError, GorDecoder, RepriseError, type GorDecoded, type Message } from '@reprise/core';
import { reportError } from '../../execute.js';

export default class MiddlewareTest extends Command {
  static override summary = 'Show what a middleware script does to recorded traffic, message by message.';
  static override description = `Runs SCRIPT in the same sandbox as --middleware-script over the messages of a .gor file (in timestamp order, state carried from one message to the next) and prints, for each, whether it was dropped, left unchanged, changed (with a diff of the start line, headers and body) or amplified, then the script's console output and totals. Nothing is sent anywhere.`;
  static override examples = [
    '<%= config.bin %> middleware test ./rewrite.js --input-file requests.gor',
    '<%= config.bin %> middleware test ./rewrite.js --input-file requests.gor --limit 20',
  ];
  static override args = { script: Args.string({ description: 'The middleware script (an ES module).', required: true }) };
  static override flags = {
    'input-file': Flags.string({ summary: 'A .gor file (or .gor.gz) of recorded messages.', required: true }),
    limit: Flags.integer({ summary: 'Only the first N messages.', min: 1 }),
    'memory-limit': Flags.integer({ summary: "The isolate's memory limit in MB.", default: 64 }),
    timeout: Flags.integer({ summary: 'Time limit of one call, in ms.', default: 1000 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MiddlewareTest);
    try {
      const messages = readMessages(flags['input-file'], (message) => this.warn(message));
      const chosen = flags.limit ? messages.slice(0, flags.limit) : messages;
      const { runMiddlewareTest, formatMiddlewareTestReport } = await import('@reprise/plugin-middleware');
      const report = runMiddlewareTest(args.script, chosen, { memoryLimitMb: flags['memory-limit'], timeLimitMs: flags.timeout });
      this.log(formatMiddlewareTestReport(report));
      if (report.results.some((r) => r.outcome === 'failed')) process.exitCode = 1;
    } catch (error) {
      process.exitCode = reportError(error);
    }
  }
}

/** Every record of a .gor file in timestamp order; a corrupt record is reported and skipped. */
function readMessages(path: string, warn: (message: string) => void): Message[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new RepriseError('RPR_INPUT_NOT_FOUND', `cannot read: ${(error as Error).message}`, { file: path });
  }
  if (path.endsWith('.gz')) bytes = gunzipSync(bytes);
  const decoder = new GorDecoder();
  const decoded: GorDecoded[] = decoder.push(bytes);
  decoder.end(decoded);
  const messages: Message[] = [];
  for (const item of decoded) {
    if (item.type === 'record') messages.push(item.message);
    else warn(corruptionError(item, { file: path }).message);
  }
  return messages.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
}
