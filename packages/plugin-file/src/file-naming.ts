/**
 * Output file names: GoReplay's time patterns and the names of size-rotated files. Pure.
 */
const TIME_TOKEN = /%[YmdHMS]/g;

export function hasTimePattern(path: string): boolean {
  return /%[YmdHMS]/.test(path);
}

/** Replaces %Y %m %d %H %M %S with the local date and time, as GoReplay does; other text is kept. */
export function formatTimePattern(path: string, date: Date): string {
  return path.replace(TIME_TOKEN, (token) => {
    switch (token) {
      case '%Y':
        return String(date.getFullYear());
      case '%m':
        return pad(date.getMonth() + 1);
      case '%d':
        return pad(date.getDate());
      case '%H':
        return pad(date.getHours());
      case '%M':
        return pad(date.getMinutes());
      default:
        return pad(date.getSeconds());
    }
  });
}

const KNOWN_SUFFIXES = ['.gor.gz', '.gor', '.gz'];

/**
 * The name of the `index`-th file of a size-rotated series: index 0 is the path itself, then
 * `requests.gor` → `requests.1.gor`, `requests.2.gor`…; `x.gor.gz` → `x.1.gor.gz`; a name without
 * a known suffix gets the number before its last extension (`x.log` → `x.1.log`) or at its end.
 */
export function rotatedPath(path: string, index: number): string {
  if (index === 0) return path;
  const slash = path.lastIndexOf('/') + 1;
  const name = path.slice(slash);
  let cut = -1;
  for (const suffix of KNOWN_SUFFIXES) {
    if (name.length > suffix.length && name.endsWith(suffix)) {
      cut = name.length - suffix.length;
      break;
    }
  }
  if (cut < 0) {
    const dot = name.lastIndexOf('.');
    cut = dot > 0 ? dot : name.length;
  }
  return `${path.slice(0, slash)}${name.slice(0, cut)}.${index}${name.slice(cut)}`;
}

export function isGzipPath(path: string): boolean {
  return path.endsWith('.gz');
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
