/**
 * Rebuilds a replayed response's raw bytes from what undici hands over (status, raw header pairs,
 * de-framed body chunks). Pure: tested on bytes.
 *
 * undici removes the chunked framing, so a chunked response is written back with a Content-Length
 * instead of its Transfer-Encoding header: the bytes then parse as the body they carry.
 * undici does not report the response's HTTP version; HTTP/1.1 is written.
 */
export function responseBytes(statusCode: number, statusText: string, rawHeaders: readonly Buffer[], chunks: readonly Buffer[]): Buffer {
  let bodyLength = 0;
  for (const c of chunks) bodyLength += c.length;
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
