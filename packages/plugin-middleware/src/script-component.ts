/**
 * The `middleware-script` middleware: a sandboxed JavaScript module per `--middleware-script FILE`.
 * It fails closed: a message the script failed on is dropped unless --middleware-script-on-error pass.
 */
import { defineMiddleware, parseDurationMs, RepriseError, type Message, type PluginContext } from '@reprise/core';
import { availableParallelism } from 'node:os';
import { ScriptSandbox, type BatchOutcome } from './script-sandbox.js';
import { LogLimiter } from './log-limiter.js';

export const middlewareScript = defineMiddleware({
  kind: 'middleware',
  name: 'middleware-script',
  summary: `Run a JavaScript module (export request / response / replayedResponse) over every message, sandboxed in its own isolate (repeatable: scripts run in order). script API: SCRIPTS.md of @reprise/plugin-middleware ("reprise middleware --help" prints its path)`,
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
        description:
          'Time limit of one call into a script; a call that runs longer is stopped, the message in hand counted as failed and the script restarted',
        default: '100ms',
        examples: ['250ms'],
      },
      onError: {
        type: 'string',
        enum: ['drop', 'pass', 'stop'],
        description:
          'What happens to a message when the script throws, times out or runs out of memory on it: drop it (fail closed, counted in dropped-by-script-error), pass it on unchanged, or stop reprise. A field set to an invalid value always drops the message',
        default: 'drop',
        examples: ['pass'],
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
      throw new RepriseError('RPR_CONFIG_INVALID', 'needs the path of a script, e.g. --middleware-script ./rewrite.js', {
        plugin: 'middleware-script',
      });
    }
    const timeLimitMs = parseDurationMs(options.timeout, 'middleware-script-timeout');
    const sandbox = new ScriptSandbox({ file: value, memoryLimitMb: options.memoryLimit, timeLimitMs });
    const onError = options.onError;
    // The script's own output: never hidden by --quiet, only rate-limited.
    const scriptLog = new LogLimiter(options.logRate, (line) => ctx.logger.print(`[${value}] ${line}`));
    const errorLog = new LogLimiter(10, (line) => ctx.logger.warn(line));
    ctx.logger.debug(`${sandbox.file}: hooks ${sandbox.hooks.join(', ')}`);
    if (sandbox.hooks.includes('replayedResponse') && ctx.outputsTrackResponses === false) {
      ctx.logger.warn(
        `${sandbox.file} exports replayedResponse, but no output tracks responses (add --output-http-track-response): ` +
          'it will run only on replayed responses read from the input',
      );
    }
    const finish = (batch: Message[], outcome: BatchOutcome): Message[] => {
      report(outcome, ctx, scriptLog, errorLog, sandbox);
      if (outcome.failures.length === 0) return outcome.outputs;
      return applyPolicy(batch, outcome, onError, ctx);
    };
    // With a second core, the isolate runs on its own thread while reprise reads and writes the next
    // batches (see runBatchOffThread); with one, that would only add the cost of handing batches over.
    if (availableParallelism() < 2) {
      ctx.logger.debug(`${sandbox.file}: one core available, the script runs on reprise's main thread`);
      return { process: (batch: Message[]) => finish(batch, sandbox.runBatch(batch)), close: async () => sandbox.dispose() };
    }
    return {
      process: (batch: Message[]) => sandbox.runBatchOffThread(batch).then((outcome) => finish(batch, outcome)),
      async close() {
        sandbox.dispose();
      },
    };
  },
});

/** The options `create` receives, derived from the schema above. */
export type MiddlewareScriptOptions = Parameters<typeof middlewareScript.create>[1];
export type OnScriptError = MiddlewareScriptOptions['onError'];

const FAILURE_COUNTER = {
  error: 'script-errors',
  timeout: 'script-timeouts',
  memory: 'script-out-of-memory',
  invalid: 'script-invalid-fields',
} as const;

function report(outcome: BatchOutcome, ctx: PluginContext, scriptLog: LogLimiter, errorLog: LogLimiter, sandbox: ScriptSandbox): void {
  for (const line of outcome.logs) scriptLog.line(line);
  if (outcome.logsLeftOut > 0) scriptLog.skip(outcome.logsLeftOut);
  if (outcome.dropped > 0) ctx.stats.add('dropped-by-script', outcome.dropped);
  for (const f of outcome.failures) {
    ctx.stats.add('failed');
    if (f.kind !== 'error') ctx.stats.add('script-errors');
    ctx.stats.add(FAILURE_COUNTER[f.kind]);
    errorLog.line(`${f.location}: ${f.message}`);
  }
  if (outcome.rebuilds > 0) {
    ctx.stats.add('script-restarts', outcome.rebuilds);
    errorLog.line(
      `${sandbox.file}: the isolate was rebuilt after a timeout or an exhausted heap: module state (top-level variables) was reset; ` +
        `store kept (${sandbox.storeSize} keys)`,
    );
  }
}

/** Merges outputs with the failed messages, in input order, as the policy says. An invalid field always drops. */
function applyPolicy(batch: readonly Message[], outcome: BatchOutcome, onError: OnScriptError, ctx: PluginContext): Message[] {
  if (onError === 'stop') {
    const f = outcome.failures[0]!;
    throw new RepriseError('RPR_SCRIPT_FAILED', `${f.location}: ${f.message}`, {
      plugin: 'middleware-script',
      phase: 'transform',
      messageId: batch[f.index]?.id,
    });
  }
  const passed = onError === 'pass' ? outcome.failures.filter((f) => f.kind !== 'invalid') : [];
  const dropped = outcome.failures.length - passed.length;
  if (dropped > 0) ctx.stats.add('dropped-by-script-error', dropped);
  if (passed.length === 0) return outcome.outputs;
  const out: Message[] = [];
  let k = 0;
  for (const f of passed) {
    while (k < outcome.outputs.length && outcome.sources[k]! < f.index) out.push(outcome.outputs[k++]!);
    out.push(batch[f.index]!);
  }
  while (k < outcome.outputs.length) out.push(outcome.outputs[k++]!);
  return out;
}
