/**
 * Which HTTP version a replayed request goes out on, and the undici pools that speak HTTP/2.
 *
 * `auto` replays each request as it was captured: a record whose protocol token is h2c, or a gRPC
 * request (gRPC only exists on HTTP/2), goes over HTTP/2; one tagged h2 (captured inside TLS) too when
 * the target is https:, where ALPN lets a server answer HTTP/1.1 instead, but over HTTP/1.1 to an
 * http: target, since clear text has nothing to negotiate with and an h1-only staging server is common
 * behind a TLS edge; anything else over HTTP/1.1. The target's scheme picks the HTTP/2 flavour: prior
 * knowledge in clear text on http:, ALPN on https:.
 * HTTP/2 pools are created on first use, so an HTTP/1.1-only replay never opens one.
 */
import type { Agent, buildConnector, Dispatcher, Pool } from 'undici';
import { findHeadEnd, RepriseError, type Message } from '@reprise/core';
import { loadUndici } from './undici-loader.js';

export const REPLAY_PROTOCOLS = ['auto', 'http1', 'h2c', 'h2'] as const;
export type ReplayProtocol = (typeof REPLAY_PROTOCOLS)[number];
/** What a request is actually sent as. */
export type Wire = 'http1' | 'h2';

/** gRPC's content types: application/grpc, application/grpc+proto, application/grpc-web… */
const GRPC_TYPE = /^application\/grpc/i;

/** True when the flat header list carries a gRPC content type. */
export function isGrpcRequest(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === 12 && name.toLowerCase() === 'content-type') return GRPC_TYPE.test(headers[i + 1]!);
  }
  return false;
}

const GRPC_SPELLINGS = ['grpc', 'GRPC', 'Grpc'].map((text) => Buffer.from(text, 'latin1'));
const POST = Buffer.from('POST ', 'latin1');

/**
 * A cheap test on a request's bytes, before any parsing: false when it surely carries no gRPC content
 * type (the usual case: gRPC calls are POSTs, and a POST must name grpc somewhere), true when it may
 * (then the parsed headers decide).
 */
export function mayBeGrpc(payload: Uint8Array): boolean {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (bytes.compare(POST, 0, POST.length, 0, POST.length) !== 0) return false;
  // the head only, not a large body
  const headEnd = findHeadEnd(bytes);
  const head = headEnd < 0 ? bytes : bytes.subarray(0, headEnd);
  for (const spelling of GRPC_SPELLINGS) if (head.indexOf(spelling) >= 0) return true;
  return false;
}

export function wireFor(protocol: ReplayProtocol, message: Message, isGrpc: boolean, isTlsTarget: boolean): Wire {
  if (protocol === 'http1') return 'http1';
  if (protocol !== 'auto') return 'h2';
  if (isGrpc || message.protocol === 'h2c') return 'h2';
  return message.protocol === 'h2' && isTlsTarget ? 'h2' : 'http1';
}

/** h2c is HTTP/2 without TLS, h2 with it: a forced protocol must match the target's scheme. */
export function checkProtocolForTarget(protocol: ReplayProtocol, target: URL, plugin: string): void {
  if (protocol === 'h2c' && target.protocol === 'https:') {
    throw new RepriseError(
      'RPR_CONFIG_INVALID',
      `protocol h2c is HTTP/2 in clear text, but the target ${target.origin} is https:// (use h2)`,
      {
        plugin,
        option: 'protocol',
      },
    );
  }
  if (protocol === 'h2' && target.protocol === 'http:') {
    throw new RepriseError('RPR_CONFIG_INVALID', `protocol h2 is HTTP/2 over TLS, but the target ${target.origin} is http:// (use h2c)`, {
      plugin,
      option: 'protocol',
    });
  }
}

export interface H2PoolSettings {
  origin: string;
  /** The HTTP/1.1 pool's options (sizes, timeouts); the connector is replaced. */
  base: Pool.Options;
  timeoutMs: number;
  skipVerify: boolean;
  redirects: number;
}

/**
 * Pool options that speak HTTP/2 to the target: on http: the connector marks the socket as h2 so
 * undici starts with the connection preface (prior knowledge); on https: h2 is offered by ALPN
 * (a server that only answers http/1.1 gets HTTP/1.1). Undici multiplexes up to `pipelining`
 * streams on each of the `connections`.
 */
export function h2PoolOptions(settings: H2PoolSettings): Pool.Options {
  // useH2c is in undici 7's connector (lib/core/connect.js) but not in its type declarations
  const connectOptions: buildConnector.BuildOptions & { useH2c: boolean } = {
    timeout: settings.timeoutMs,
    rejectUnauthorized: !settings.skipVerify,
    allowH2: true,
    useH2c: settings.origin.startsWith('http:'),
  };
  return { ...settings.base, allowH2: true, connect: loadUndici().buildConnector(connectOptions) };
}

/** The target's HTTP/2 dispatcher, created on first use; an Agent when redirects are followed. */
export class H2Dispatcher {
  private pool: Pool | Agent | undefined;
  private dispatcher: Dispatcher | undefined;

  constructor(private readonly settings: H2PoolSettings) {}

  get(): Dispatcher {
    if (this.dispatcher) return this.dispatcher;
    const options = h2PoolOptions(this.settings);
    const { redirects, origin } = this.settings;
    const { Agent, Pool, interceptors } = loadUndici();
    if (redirects > 0) {
      const agent = new Agent(options);
      this.pool = agent;
      this.dispatcher = agent.compose(interceptors.redirect({ maxRedirections: redirects }));
    } else {
      this.pool = new Pool(origin, options);
      this.dispatcher = this.pool;
    }
    return this.dispatcher;
  }

  async destroy(): Promise<void> {
    await this.pool?.destroy();
  }
}
