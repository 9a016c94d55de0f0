/**
 * The compare command's output: sends each request to the baseline and the candidate (and one of
 * them twice, for noise) at the same moment, in a random order per request, so a load spike on
 * the machine hits both sides alike. Replayed responses are tagged with their role and emitted
 * into the pipeline (middleware sees them, the exchange sink joins them); failures go straight to
 * the joiner. One HttpReplayer (plugin-http's engine) per target.
 */
import type { Role } from '@reprise/compare';
import type { Message, OutputInstance, PluginContext, PluginStats } from '@reprise/core';
import { HttpReplayer, parseTarget } from '@reprise/plugin-http';
import type { ExchangeJoiner } from './exchange-joiner.js';
import { methodOf, rolesFor, shuffle, type ReplayPlan } from './replay-plan.js';

export interface DriverOptions {
  timeoutMs: number;
  workers: number;
}

export function createTargetDriver(plan: ReplayPlan, options: DriverOptions, joiner: ExchangeJoiner, ctx: PluginContext): OutputInstance {
  const replayerFor = (role: Role, url: string) => {
    const target = parseTarget(url);
    return new HttpReplayer({
      origin: target.origin,
      hostHeader: target.host,
      connections: options.workers,
      // One request per connection at a time: pipelining would add queueing to the measured latency.
      pipelining: 1,
      maxInFlight: 1000,
      timeoutMs: options.timeoutMs,
      redirects: 0,
      skipVerify: false,
      // Each request goes in the HTTP version it was captured in, as output-http does by default.
      protocol: 'auto',
      onResponses: (batch) => {
        for (const response of batch) response.meta = { ...response.meta, role };
        ctx.emit(batch);
      },
      onFailure: (request, reason) => joiner.failed(role, request, reason),
      stats: roleStats(role, ctx.stats),
      logger: ctx.logger,
    });
  };
  const replayers = new Map<Role, HttpReplayer>([['candidate', replayerFor('candidate', plan.candidate)]]);
  if (plan.baseline !== undefined) replayers.set('baseline', replayerFor('baseline', plan.baseline));
  const all = [...replayers.values()];

  return {
    emitsMessages: true,
    async write(batch: readonly Message[]) {
      const waits: Promise<void>[] = [];
      for (const message of batch) {
        if (message.kind !== 'request') continue;
        const roles = shuffle(rolesFor(methodOf(message.payload), plan));
        joiner.sent(message, roles.length);
        for (const role of roles) {
          const wait = replayers.get(role)!.write([message]);
          if (wait) waits.push(wait);
        }
      }
      await Promise.all(waits);
    },
    flush: async () => {
      await Promise.all(all.map((r) => r.flush()));
    },
    close: async () => {
      await Promise.all(all.map((r) => r.close()));
    },
  };
}

/** Counts each target's requests apart (`candidate-failed`, `baseline-timeout`) as well as in total. */
function roleStats(role: Role, stats: PluginStats): PluginStats {
  return {
    add(counter, n = 1) {
      stats.add(counter, n);
      stats.add(`${role}-${counter}`, n);
    },
  };
}
