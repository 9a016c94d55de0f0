import type { Logger } from '@reprise/core';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Lines on stderr, prefixed with the component, so stdout stays free for --output-stdout. */
export function createLogger(
  scope: string,
  minLevel: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Logger {
  const log = (level: LogLevel) => (message: string) => {
    if (RANK[level] < RANK[minLevel]) return;
    write(`[reprise] ${level === 'info' ? '' : level + ' '}${scope}: ${message}`);
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    print: (message: string) => write(`[reprise] ${scope}: ${message}`),
  };
}
