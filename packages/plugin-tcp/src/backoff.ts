/** Reconnect delays: 100 ms, doubling after each failed attempt, at most 5 s (GoReplay waits 1 s each time). */
export const FIRST_RETRY_MS = 100;
export const MAX_RETRY_MS = 5000;

/** The wait before connection attempt number `failures + 1`, after `failures` failed in a row. */
export function retryDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(failures - 1, 20));
}
