/**
 * GoReplay ends every record with a line holding three monkeys: `\n🐵🙈🙉\n` (14 bytes in UTF-8).
 * A payload may contain anything except this exact byte sequence.
 */
export const GOR_SEPARATOR: Buffer = Buffer.from('\n🐵🙈🙉\n', 'utf8');

export const GOR_SEPARATOR_LENGTH = GOR_SEPARATOR.length;
