/** Byte-level helpers shared by the HTTP/1.1 sender's request and response code. Pure. */

/** Whether bytes[start, end) spell `lower` ignoring ASCII case (`lower` is lower case). */
export function equalsIgnoringCase(bytes: Uint8Array, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((bytes[start + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

export function isBlank(code: number | undefined): boolean {
  return code === 32 || code === 9;
}
