import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Args, Command, Flags } from '@oclif/core';
import {
  corruptionError,
  GorDecoder,
  parseDurationMs,
  RepriseError,
  validateOptions,
  type GorDecoded,
  type Message,
  type OutputInstance,
} from '@reprise/core';
import { createLogger, InstanceStats } from '@reprise/engine';
import { reportError } from '../../execute.js';

/** The script API reference in the installed plugin (found without importing its code). */
const SCRIPTS_MD = fileURLToPath(new URL('SCRIPTS.md', import.meta.resolve('@reprise/plugin-middleware/package.json')));

export default class MiddlewareTest extends Command {
  static override summary = 'Show what a middleware script does to recorded traffic, message by message.';
  static override description =
    `Runs SCRIPT in the same sandbox as --middleware-script, with the same defaults (time and memory limits), over the messages of a .gor file (in timestamp order, state carried from one message to the next) and prints, for each, whether it was dropped, left unchanged, changed (with a diff of the start line, headers and body) or amplified, then the script's console output and totals. Without --target nothing is sent anywhere. With --target URL, every request the script passes on is replayed to URL one at a time (through output-http, tracking responses) and the replayed response goes through the script as well, so replayedResponse runs as in a live run.

Script API reference: ${SCRIPTS_MD} (editor types: script-api.d.ts beside it).`;
  static override examples = [
    '<%= config.bin %> middleware test ./rewrite.js --input-file requests.gor',
    '<%= config.bin %> middleware test ./rewrite.js --input-file requests.gor --limit 20',
    '<%= config.bin %> middleware test ./tokens.js --input-file session.gor --target http://127.0.0.1:8080',
  ];
  static override args = { script: Args.string({ description: 'The middleware script (an ES module).', required: true }) };
  static override flags = {
    'input-file': Flags.string({ summary: 'A .gor file (or .gor.gz) of recorded messages.', required: true }),
    limit: Flags.integer({ summary: 'Only the first N messages.', min: 1 }),
    target: Flags.string({ summary: 'Replay the requests the script passes on to this URL, so replayedResponse runs too.' }),
    'memory-limit': Flags.integer({ summary: "The isolate's memory limit in MB (default: --middleware-script-memory-limit's)." }),
    timeout: Flags.string({ summary: "Time limit of one call, e.g. 250ms (default: --middleware-script-timeout's)." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MiddlewareTest);
    let target: OutputInstance | undefined;
    try {
      const messages = readMessages(flags['input-file'], (message) => this.warn(message));
      const chosen = flags.limit ? messages.slice(0, flags.limit) : messages;
      const { middlewareScript, runMiddlewareTestAsync, formatMiddlewareTestReport } = await loadMiddlewarePlugin();
      // The live defaults come from the component's schema; the flags override them, checked the same way.
      const given = {
        ...(flags['memory-limit'] === undefined ? {} : { memoryLimit: flags['memory-limit'] }),
        ...(flags.timeout === undefined ? {} : { timeout: flags.timeout }),
      };
      const options = validateOptions(middlewareScript, given, 'middleware test') as { memoryLimit: number; timeout: string };
      const replayed: Message[] = [];
      if (flags.target) target = await createTarget(flags.target, replayed);
      const replay = target
        ? async (request: Message) => {
            await target!.write([request]);
            await target!.flush?.();
            return replayed.splice(0);
          }
        : undefined;
      const report = await runMiddlewareTestAsync(args.script, chosen, {
        memoryLimitMb: options.memoryLimit,
        timeLimitMs: parseDurationMs(options.timeout, 'middleware test --timeout'),
        replay,
      });
      this.log(formatMiddlewareTestReport(report));
      if (report.results.some((r) => r.outcome === 'failed')) process.exitCode = 1;
    } catch (error) {
      process.exitCode = reportError(error);
    } finally {
      await target?.close?.();
    }
  }
}

async function loadMiddlewarePlugin() {
  const plugin = await import('@reprise/plugin-middleware');
  const middlewareScript = plugin.default.find((d) => d.name === 'middleware-script')!;
  return { ...plugin, middlewareScript };
}

/** output-http to the target, tracking responses, one request at a time: the same code path as a live replay. */
async function createTarget(url: string, replayed: Message[]): Promise<OutputInstance> {
  const { outputHttp } = await import('@reprise/plugin-http');
  const options = validateOptions(outputHttp, { trackResponse: true, workers: 1, pipelining: 1 }, 'middleware test --target');
  const label = `output-http ${url}`;
  const instance = await outputHttp.create(url, options as Parameters<typeof outputHttp.create>[1], {
    component: outputHttp.name,
    instance: label,
    logger: createLogger(label),
    stats: new InstanceStats(label),
    signal: new AbortController().signal,
    emit: (batch) => replayed.push(...batch),
  });
  return instance;
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
