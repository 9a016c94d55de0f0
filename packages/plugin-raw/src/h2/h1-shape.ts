/**
 * An HTTP/2 exchange written as HTTP/1.1 bytes, so every filter, rewrite and tool that reads HTTP/1
 * keeps working (the record's protocol token says it was h2): pseudo-headers become the start line
 * and Host; a body gets a Content-Length; trailers (gRPC's grpc-status) make the body one chunk
 * followed by a chunked trailer section.
 */
import { STATUS_CODES } from 'node:http';

export interface H2Head {
  headers: Array<[string, string]>;
  body: Uint8Array[];
  trailers?: Array<[string, string]>;
}

export function requestBytes(head: H2Head): Uint8Array | undefined {
  const pseudo = pseudoOf(head.headers);
  const method = pseudo.get(':method');
  if (!method) return undefined;
  // CONNECT has no :path; everything else must have one (RFC 9113 §8.3.1).
  const target = method === 'CONNECT' ? (pseudo.get(':authority') ?? '') : pseudo.get(':path');
  if (target === undefined) return undefined;
  const lines = [`${method} ${target} HTTP/1.1`];
  const authority = pseudo.get(':authority');
  if (authority !== undefined && !head.headers.some(([name]) => name === 'host')) lines.push(`Host: ${authority}`);
  return assemble(lines, head);
}

export function responseBytes(head: H2Head): Uint8Array | undefined {
  const status = pseudoOf(head.headers).get(':status');
  if (!status || !/^\d{3}$/.test(status)) return undefined;
  return assemble([`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd()], head);
}

function pseudoOf(headers: Array<[string, string]>): Map<string, string> {
  const pseudo = new Map<string, string>();
  for (const [name, value] of headers) if (name.startsWith(':') && !pseudo.has(name)) pseudo.set(name, value);
  return pseudo;
}

function assemble(lines: string[], head: H2Head): Uint8Array {
  const bodyLength = head.body.reduce((n, chunk) => n + chunk.length, 0);
  const hasTrailers = (head.trailers?.length ?? 0) > 0;
  for (const [name, value] of head.headers) {
    if (name.startsWith(':')) continue;
    // The framing headers are rewritten below from what was actually captured.
    if (name === 'content-length' || name === 'transfer-encoding') continue;
    lines.push(`${name}: ${value}`);
  }
  if (hasTrailers) lines.push('transfer-encoding: chunked');
  else lines.push(`content-length: ${bodyLength}`);
  const headText = lines.join('\r\n') + '\r\n\r\n';
  const parts: Uint8Array[] = [Buffer.from(headText, 'latin1')];
  if (hasTrailers) {
    if (bodyLength > 0) parts.push(Buffer.from(`${bodyLength.toString(16)}\r\n`, 'latin1'), ...head.body, Buffer.from('\r\n', 'latin1'));
    const trailerText = head
      .trailers!.filter(([name]) => !name.startsWith(':'))
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    parts.push(Buffer.from(`0\r\n${trailerText}\r\n`, 'latin1'));
  } else {
    parts.push(...head.body);
  }
  return Buffer.concat(parts);
}
