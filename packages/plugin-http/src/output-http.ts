/**
 * `--output-http URL`: replays recorded requests against a target, GoReplay's flags (http:// through
 * the HTTP/1.1 sender, the rest through undici: see http-replayer.ts).
 */
import { defineOutput, parseDurationMs, parseSizeBytes, RepriseError, type Message } from '@reprise/core';
import { HttpReplayer } from './http-replayer.js';
import { checkProtocolForTarget, REPLAY_PROTOCOLS } from './replay-protocol.js';
import { ReplayStats } from './replay-stats.js';

const COMPONENT = 'output-http';

/** Accepts `http://host:port`, `https://host` or a bare `host:port` (taken as http, like GoReplay). */
export function parseTarget(value: string | undefined): URL {
  const text = (value ?? '').trim();
  if (!text)
    throw new RepriseError('RPR_CONFIG_INVALID', 'a target URL is required (example: http://127.0.0.1:8082)', { plugin: COMPONENT });
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new RepriseError('RPR_CONFIG_INVALID', `"${text}" is not a URL (example: http://127.0.0.1:8082)`, { plugin: COMPONENT });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RepriseError('RPR_CONFIG_INVALID', `"${text}" is neither http:// nor https://`, { plugin: COMPONENT });
  }
  return url;
}

export const outputHttp = defineOutput({
  kind: 'output',
  name: COMPONENT,
  summary: 'Replay requests against an HTTP(S) target',
  value: { placeholder: 'url', description: 'Target URL the requests are replayed to', example: 'http://staging.local:8080' },
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      workers: {
        type: 'integer',
        minimum: 1,
        maximum: 10000,
        default: 4,
        description: 'Connections to the target kept open in the pool',
        examples: [4, 64],
      },
      pipelining: {
        type: 'integer',
        minimum: 1,
        maximum: 1000,
        default: 16,
        description:
          'Requests sent on one connection before its first response arrives (HTTP/1.1 pipelining; 1 turns it off). ' +
          'Only idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) are pipelined',
        examples: [1, 16],
      },
      queueLen: {
        type: 'integer',
        minimum: 1,
        default: 1000,
        description: 'Requests in flight or waiting for a connection before reading more input waits',
        examples: [5000],
      },
      timeout: {
        type: 'string',
        format: 'duration',
        default: '5s',
        description: 'Time a request may take, from being handed over to its whole response, before it counts as failed (timeout)',
        examples: ['10s', '500ms'],
      },
      trackResponse: {
        type: 'boolean',
        default: false,
        description: 'Pass each replayed response on as a replayed-response message (same id as its request), for middleware and outputs',
        examples: [true],
      },
      redirects: {
        type: 'integer',
        minimum: 0,
        maximum: 100,
        default: 0,
        description: 'Redirects to follow for each request (0: never follow, the 3xx response is the answer)',
        examples: [3],
      },
      skipVerify: {
        type: 'boolean',
        default: false,
        description: "Do not verify the target's TLS certificate (self-signed staging servers)",
        examples: [true],
      },
      workerTimeout: {
        type: 'string',
        format: 'duration',
        description:
          "An idle connection to the target closes after this long (GoReplay: idle workers stop). Default: 4s, or less if the target's Keep-Alive header says so",
        examples: ['2s'],
      },
      responseBuffer: {
        type: 'string',
        format: 'size',
        description:
          'Body bytes of each replayed response kept for --output-http-track-response; the rest is discarded and counted (truncated-response). Default: the whole body (GoReplay keeps 100kb)',
        examples: ['100kb'],
      },
      stats: {
        type: 'boolean',
        default: false,
        description:
          'Print, every --output-http-stats-ms, how full the replay window was (latest, mean, max, count, count/second, as GoReplay does) and the response latency; with gRPC traffic, the answers per grpc-status',
        examples: [true],
      },
      statsMs: {
        type: 'integer',
        minimum: 100,
        default: 5000,
        description: 'Milliseconds between --output-http-stats lines',
        examples: [1000],
      },
      sessionConnections: {
        type: 'integer',
        minimum: 1,
        maximum: 100000,
        default: 256,
        description:
          'With --recognize-tcp-sessions: each session gets its own connection instead of the --output-http-workers pool; at most this many stay open (the least recently used closes)',
        examples: [1000],
      },
      protocol: {
        type: 'string',
        enum: [...REPLAY_PROTOCOLS],
        default: 'auto',
        description:
          'HTTP version of the replayed requests. auto: as captured (h2c records over HTTP/2; h2 ones over HTTP/2 to https:// targets, HTTP/1.1 to http:// ones; others over HTTP/1.1) and gRPC always over HTTP/2; ' +
          'http1, h2c (HTTP/2 in clear text, prior knowledge; http:// targets), h2 (HTTP/2 over TLS by ALPN; https:// targets): every request that way. ' +
          'Over HTTP/2, --output-http-workers is the number of connections and --output-http-pipelining the streams in flight on each, for every method',
        examples: ['h2c'],
      },
      originalHost: {
        type: 'boolean',
        default: false,
        'x-flag': 'http-original-host',
        description: "Keep the recorded Host header instead of rewriting it to the target's host",
        examples: [true],
      },
    },
  },
  create(value, options, ctx) {
    const target = parseTarget(value);
    const timeoutMs = parseDurationMs(options.timeout, 'timeout');
    if (!(timeoutMs > 0)) {
      throw new RepriseError('RPR_CONFIG_INVALID', 'timeout must be greater than zero (example: 5s)', {
        plugin: COMPONENT,
        option: 'timeout',
      });
    }
    checkProtocolForTarget(options.protocol, target, COMPONENT);
    const { trackResponse } = options;
    const replayStats = options.stats ? new ReplayStats() : undefined;
    const replayer = new HttpReplayer({
      origin: target.origin,
      hostHeader: options.originalHost ? undefined : target.host,
      connections: options.workers,
      pipelining: options.pipelining,
      maxInFlight: options.queueLen,
      timeoutMs,
      redirects: options.redirects,
      skipVerify: options.skipVerify,
      protocol: options.protocol,
      idleTimeoutMs: options.workerTimeout === undefined ? undefined : parseDurationMs(options.workerTimeout, 'worker-timeout'),
      responseBufferBytes: options.responseBuffer === undefined ? undefined : parseSizeBytes(options.responseBuffer, 'response-buffer'),
      sessionConnections: ctx.sessions ? options.sessionConnections : undefined,
      replayStats,
      onResponses: trackResponse ? (batch: Message[]) => ctx.emit(batch) : undefined,
      stats: ctx.stats,
      logger: ctx.logger,
    });
    if (target.pathname !== '/' || target.search) {
      // like GoReplay, requests keep their recorded path: a path on the target is not a prefix
      ctx.logger.warn(`output-http: the path of ${target.href} is ignored; requests keep their recorded paths`);
    }
    let statsTimer: NodeJS.Timeout | undefined;
    if (replayStats) {
      const periodMs = options.statsMs;
      statsTimer = setInterval(() => ctx.logger.info(replayStats.takeLine(periodMs)), periodMs);
      statsTimer.unref();
    }
    return {
      emitsMessages: trackResponse,
      write: (batch) => replayer.write(batch),
      flush: () => replayer.flush(),
      close: () => {
        clearInterval(statsTimer);
        return replayer.close();
      },
    };
  },
});
