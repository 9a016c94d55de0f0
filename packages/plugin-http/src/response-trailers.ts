/**
 * A response's trailers as undici reports them to a handler's onComplete: a flat list of raw
 * [name, value, …] buffers over HTTP/1.1 (a chunked trailer section), a Node http2 header object over
 * HTTP/2 (gRPC's grpc-status, grpc-message). And gRPC's status, read from the trailers or, for a
 * Trailers-Only response, from the headers. Pure: tested on values.
 */
export type TrailerPairs = Array<[string, string]>;

export function trailerPairsOf(trailers: unknown): TrailerPairs {
  const pairs: TrailerPairs = [];
  if (Array.isArray(trailers)) {
    for (let i = 0; i + 1 < trailers.length; i += 2) pairs.push([String(trailers[i]), String(trailers[i + 1])]);
  } else if (trailers !== null && typeof trailers === 'object') {
    for (const [name, value] of Object.entries(trailers as Record<string, unknown>)) {
      if (name.startsWith(':')) continue;
      if (Array.isArray(value)) for (const v of value) pairs.push([name, String(v)]);
      else if (value !== undefined) pairs.push([name, String(value)]);
    }
  }
  return pairs;
}

const GRPC_STATUS = 'grpc-status';

/** grpc-status from the trailers, else from the head (Trailers-Only); undefined when neither has a number. */
export function grpcStatusOf(rawHeaders: readonly Buffer[] | null, trailers: TrailerPairs): number | undefined {
  for (const [name, value] of trailers) if (name.toLowerCase() === GRPC_STATUS) return statusNumber(value);
  if (rawHeaders) {
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      if (name.length === GRPC_STATUS.length && name.toString('latin1').toLowerCase() === GRPC_STATUS) {
        return statusNumber(rawHeaders[i + 1]!.toString('latin1'));
      }
    }
  }
  return undefined;
}

function statusNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return /^\d{1,3}$/.test(trimmed) ? Number(trimmed) : undefined;
}
