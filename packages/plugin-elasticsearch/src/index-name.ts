/**
 * Index names with date parts, as in `gor-%Y-%m-%d`: one index per day (or hour), dated by the
 * request's own timestamp in UTC, so a replayed recording lands in the indices of its capture days.
 */
const TOKEN = /%[YmdHj%]/g;
const HOUR_MS = 3_600_000;

export function hasDateParts(pattern: string): boolean {
  return /%[YmdHj]/.test(pattern);
}

/** Expands `%Y` (year), `%m` (month), `%d` (day), `%H` (hour), `%j` (day of year) and `%%`. */
export function formatIndexName(pattern: string, epochMs: number): string {
  const date = new Date(epochMs);
  return pattern.replace(TOKEN, (token) => {
    switch (token) {
      case '%Y':
        return String(date.getUTCFullYear()).padStart(4, '0');
      case '%m':
        return String(date.getUTCMonth() + 1).padStart(2, '0');
      case '%d':
        return String(date.getUTCDate()).padStart(2, '0');
      case '%H':
        return String(date.getUTCHours()).padStart(2, '0');
      case '%j': {
        const dayOfYear = Math.floor((epochMs - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
        return String(dayOfYear).padStart(3, '0');
      }
      default:
        return '%';
    }
  });
}

/** The index patterns a template must cover: the literal name, or its text up to the first date part plus `*`. */
export function templatePatternOf(pattern: string): string {
  if (!hasDateParts(pattern)) return pattern.replace(/%%/g, '%');
  const first = pattern.search(/%[YmdHj]/);
  return `${pattern.slice(0, first).replace(/%%/g, '%')}*`;
}

/**
 * Names indices for a stream of timestamps. Date parts change at most once an hour, so the last
 * name is kept per UTC hour: the hot path is a division and a comparison.
 */
export class IndexNamer {
  private readonly isDated: boolean;
  private cachedHour = Number.NaN;
  private cachedName = '';

  constructor(private readonly pattern: string) {
    this.isDated = hasDateParts(pattern);
    if (!this.isDated) this.cachedName = formatIndexName(pattern, 0);
  }

  nameAt(epochMs: number): string {
    if (!this.isDated) return this.cachedName;
    const hour = Math.floor(epochMs / HOUR_MS);
    if (hour !== this.cachedHour) {
      this.cachedHour = hour;
      this.cachedName = formatIndexName(this.pattern, epochMs);
    }
    return this.cachedName;
  }
}
