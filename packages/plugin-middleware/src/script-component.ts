/** The `middleware-script` middleware: a sandboxed JavaScript module per `--middleware-script FILE`. */
import { defineMiddleware, parseDurationMs, RepriseError, type Message, type PluginContext } from '@reprise/core';
import { ScriptSandbox, type BatchOutcome } from './script-sandbox.js';
import { LogLimiter } from './log-limiter.js';

export type OnScriptError = 'pass' | 'drop' | 'stop';

export interface MiddlewareScriptOptions {
  memoryLimit: number;
  timeout: string;
  onError: OnScriptError;
  logRate: number;
}

export const middlewareScript = defineMiddleware<MiddlewareScriptOptions>({
  kind: 'middleware',
  name: 'middleware-script',
  summary: 'Run a JavaScript module (export request / response / replayedResponse) over every message, sandboxed in its own isolate (repeatable: scripts run in order)',
  value: { description: 'Path of the script, an ES module', example: './rewrite.js' },
  rate: 'none',
  order: 30,
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      memoryLimit: {
        type: 'integer',
        description: "Heap limit of each script's isolate, in MB; a script that exceeds it loses the message in hand and is restarted",
        default: 64,
        minimum: 8,
        maximum: 4096,
        examples: [128],
      },
      timeout: {
        type: 'string',
        format: 'duration',
        description: 'Time limit of one call into a script; a call that runs longer is stopped, the message in hand counted as failed and the script restarted',
        default: '100ms',
        examples: ['250ms'],
      },
      onError: {
        type: 'string',
        enum: ['pass', 'drop', 'stop'],
        description: 'What happens to a message when the script throws, times out or runs out of memory on it: pass it on unchanged, drop it, or stop reprise',
        default: 'pass',
        examples: ['drop'],
      },
      logRate: {
        type: 'integer',
        description: "Lines per second a script's console.log may write to reprise's log; the rest are counted",
        default: 20,
        minimum: 0,
        examples: [100],
      },
    },
  },
  create(value, options, ctx) {
    if (!value) {
      throw new RepriseError('RPR_CONFIG_INVALID', 'needs the path of a script, e.g. --middleware-script ./rewrite.js', { plugin: 'middleware-script' });
    }
    const timeLimitMs = parseDurationMs(options.timeout ?? '100ms', 'middleware-script-timeout');
    const sandbox = new ScriptSandbox({ file: value, memoryLimitMb: options.memoryLimit ?? 64, timeLimitMs });
    const onError = options.onError ?? 'pass';
    const scriptLog = new LogLimiter(options.logRate ?? 20, (line) => ctx.logger.info(`[${value}] ${line}`));
    const errorLog = new LogLimiter(10, (line) => ctx.logger.warn(line));
    ctx.logger.debug(`${sandbox.file}: hooks ${sandbox.hooks.join(', ')}`);
    return {
      process(batch: Message[]): Message[] {
        const outcome = sandbox.runBatch(batch);
        report(outcome, ctx, scriptLog, errorLog);
        if (outcome.failures.length === 0) return outcome.outputs.map((o) => o.message);
        return applyPolicy(batch, outcome, onError);
      },
      async close() {
        sandbox.dispose();
      },
    };
  },
});

function report(outcome: BatchOutcome, ctx: PluginContext, scriptLog: LogLimiter, errorLog: LogLimiter): void {
  for (const line of outcome.logs) scriptLog.line(line);
  if (outcome.logsLeftOut > 0) scriptLog.skip(outcome.logsLeftOut);
  if (outcome.rebuilds > 0) ctx.stats.add('script-restarts', outcome.rebuilds);
  for (const f of outcome.failures) {
    ctx.stats.add('failed');
    ctx.stats.add('script-errors');
    if (f.kind !== 'error') ctx.stats.add(f.kind === 'timeout' ? 'script-timeouts' : 'script-out-of-memory');
    errorLog.line(`${f.location}: ${f.message}`);
  }
}

/** Merges outputs with the failed messages, in input order, as the policy says. */
function applyPolicy(batch: readonly Message[], outcome: BatchOutcome, onError: OnScriptError): Message[] {
  if (onError === 'stop') {
    const f = outcome.failures[0]!;
    throw new RepriseError('RPR_SCRIPT_FAILED', `${f.location}: ${f.message}`, {
      plugin: 'middleware-script',
      phase: 'transform',
      messageId: batch[f.index]?.id,
    });
  }
  if (onError === 'drop') return outcome.outputs.map((o) => o.message);
  const out: Message[] = [];
  let k = 0;
  for (const f of outcome.failures) {
    while (k < outcome.outputs.length && outcome.outputs[k]!.source < f.index) out.push(outcome.outputs[k++]!.message);
    out.push(batch[f.index]!);
  }
  while (k < outcome.outputs.length) out.push(outcome.outputs[k++]!.message);
  return out;
}
