/** The first bytes of a payload as one printable line, for debug logs of binary data. */
export function previewBytes(bytes: Uint8Array, maxBytes = 80): string {
  let out = '';
  const end = Math.min(bytes.length, maxBytes);
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return bytes.length > maxBytes ? `${out}… (+${bytes.length - maxBytes} bytes)` : out;
}
