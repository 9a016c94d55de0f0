/** What a message is: GoReplay's payload types 1, 2 and 3. */
export type MessageKind = 'request' | 'response' | 'replayed-response';

/**
 * The wire protocol a message was captured on when it was not HTTP/1.x: `h2c` (HTTP/2 over clear
 * TCP) or `h2` (HTTP/2 over TLS). The payload is still HTTP/1.1-shaped either way.
 */
export type WireProtocol = 'h2c' | 'h2';

const WIRE_PROTOCOLS: ReadonlySet<string> = new Set<WireProtocol>(['h2c', 'h2']);

export function isWireProtocol(token: string): token is WireProtocol {
  return WIRE_PROTOCOLS.has(token);
}

/**
 * One captured or replayed HTTP message. The raw HTTP bytes are the truth;
 * parsed views are derived on demand. A request and its responses share one id,
 * which is how every stage (and later the regression join) correlates them.
 */
export interface Message {
  kind: MessageKind;
  /** 24 lowercase hex characters, shared by a request and its responses. */
  id: string;
  /** Nanoseconds since the Unix epoch (does not fit in a JS number). */
  timestamp: bigint;
  /** Nanoseconds; for responses the time from request end to response start, 0 when unknown. */
  latency: bigint;
  /** Raw HTTP/1.x bytes: request or status line, headers, body. */
  payload: Uint8Array;
  /**
   * The wire protocol the message was captured on; absent = HTTP/1.x. Kept in .gor files as an
   * optional 5th token on the record's header line, which GoReplay ignores.
   */
  protocol?: WireProtocol;
  /** Free-form annotations (source, target, …); never written to .gor files. */
  meta?: Record<string, string>;
}

const TYPE_OF_KIND: Record<MessageKind, '1' | '2' | '3'> = {
  request: '1',
  response: '2',
  'replayed-response': '3',
};
const KIND_OF_TYPE: Record<string, MessageKind | undefined> = {
  '1': 'request',
  '2': 'response',
  '3': 'replayed-response',
};

export function payloadTypeOf(kind: MessageKind): '1' | '2' | '3' {
  return TYPE_OF_KIND[kind];
}

export function kindOfPayloadType(type: string): MessageKind | undefined {
  return KIND_OF_TYPE[type];
}

/** A new random 24-hex id, as GoReplay makes them. */
export function newMessageId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  let id = '';
  for (const b of bytes) id += b.toString(16).padStart(2, '0');
  return id;
}

export function nowNanoseconds(): bigint {
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}
