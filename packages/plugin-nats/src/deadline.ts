/**
 * A bound on NATS work that may otherwise wait without end: right after a restart JetStream can take
 * over a minute to answer, and a key listing (an ordered consumer) has no timeout of its own.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
  });
  // the work may still settle after the deadline: nobody waits for it then
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
