import { RepriseError } from './errors.js';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a Go-style duration ("10s", "1m30s", "250ms", "2h") into milliseconds.
 * A bare number is taken as milliseconds. `where` names the flag for the error.
 */
export function parseDurationMs(text: string | number, where = 'duration'): number {
  if (typeof text === 'number') return text;
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = part.exec(trimmed); m; m = part.exec(trimmed)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    end = part.lastIndex;
  }
  if (end === 0 || end !== trimmed.length) {
    throw new RepriseError('RPR_CONFIG_INVALID', `"${text}" is not a duration (examples: 500ms, 10s, 1m30s, 2h)`, { option: where });
  }
  return total;
}

/** Parses sizes such as "32mb", "1GB", "500kb" or a plain byte count. */
export function parseSizeBytes(text: string | number, where = 'size'): number {
  if (typeof text === 'number') return text;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g|tb|t)?\s*$/i.exec(text);
  if (!m) throw new RepriseError('RPR_CONFIG_INVALID', `"${text}" is not a size (examples: 1024, 500kb, 32mb, 1gb)`, { option: where });
  const unit = (m[2] ?? 'b').toLowerCase()[0]!;
  const factor = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit]!;
  return Math.round(Number(m[1]) * factor);
}
