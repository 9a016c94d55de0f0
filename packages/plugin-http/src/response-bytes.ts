/**
 * Rebuilds a replayed response's raw bytes from what undici hands over (status, raw header pairs,
 * de-framed body chunks). Pure: tested on bytes.
 *
 * undici removes the chunked framing, so a chunked response is written back with a Content-Length
 * instead of its Transfer-Encoding header: the bytes then parse as the body they carry.
 * undici does not report the response's HTTP version; HTTP/1.1 is written.
 *
 * A response with trailers (gRPC's grpc-status over HTTP/2, or an HTTP/1.1 chunked trailer section)
 * is written as capture writes one: the body as one chunk, then the trailer section.
 */
import type { TrailerPairs } from './response-trailers.js';

export function responseBytes(
  statusCode: number,
  statusText: string,
  rawHeaders: readonly Buffer[],
  chunks: readonly Buffer[],
  trailers: TrailerPairs = [],
): Buffer {
  let bodyLength = 0;
  for (const c of chunks) bodyLength += c.length;
  if (trailers.length > 0) return withTrailers(statusCode, statusText, rawHeaders, chunks, bodyLength, trailers);
  let head = `HTTP/1.1 ${statusCode} ${statusText}\r\n`;
  let hasLength = false;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toString('latin1');
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') continue;
    if (name.length === 14 && name.toLowerCase() === 'content-length') hasLength = true;
    head += `${name}: ${rawHeaders[i + 1]!.toString('latin1')}\r\n`;
  }
  if (!hasLength && bodyLength > 0) head += `Content-Length: ${bodyLength}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  if (chunks.length === 0) return headBytes;
  return Buffer.concat([headBytes, ...chunks], headBytes.length + bodyLength);
}

function withTrailers(
  statusCode: number,
  statusText: string,
  rawHeaders: readonly Buffer[],
  chunks: readonly Buffer[],
  bodyLength: number,
  trailers: TrailerPairs,
): Buffer {
  let head = `HTTP/1.1 ${statusCode} ${statusText}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toString('latin1');
    const lower = name.toLowerCase();
    if (lower === 'transfer-encoding' || lower === 'content-length' || lower === 'trailer') continue;
    head += `${name}: ${rawHeaders[i + 1]!.toString('latin1')}\r\n`;
  }
  head += 'transfer-encoding: chunked\r\n\r\n';
  if (bodyLength > 0) head += `${bodyLength.toString(16)}\r\n`;
  let tail = bodyLength > 0 ? '\r\n0\r\n' : '0\r\n';
  for (const [name, value] of trailers) tail += `${name}: ${value}\r\n`;
  tail += '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), ...chunks, Buffer.from(tail, 'latin1')]);
}
