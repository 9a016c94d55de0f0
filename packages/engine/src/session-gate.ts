/**
 * The hold of --recognize-tcp-sessions: a session's next request waits before the middleware chain
 * until the replayed response of its previous request has been through the chain (or the wait times
 * out), so a script that learns a token from that response rewrites the next request with it.
 * Other sessions flow freely. Pure bookkeeping: the pipeline feeds it batches and the clock.
 */
import type { Message } from '@reprise/core';
import { sessionKeyOf } from '@reprise/core';

/** A session waiting for a replayed response (a session that waits for nothing has no entry). */
interface Session {
  /** The request whose replayed response this session waits for. */
  awaitedId: string;
  deadlineMs: number;
  /** Messages behind the awaited request, in arrival order. */
  queue: Message[];
}

export class SessionGate {
  /** Sessions in deadline order (an entry is re-inserted whenever its deadline moves). */
  private readonly sessions = new Map<string, Session>();
  private heldCount = 0;
  private timedOutCount = 0;

  constructor(private readonly timeoutMs: number) {}

  /** Messages waiting behind their session's previous request. */
  get held(): number {
    return this.heldCount;
  }

  /** Awaited responses that did not come back in time. */
  get timedOut(): number {
    return this.timedOutCount;
  }

  /** What of a batch from the inputs may go on now, in order; the rest is held. */
  admit(batch: readonly Message[], nowMs: number): Message[] {
    const passed: Message[] = [];
    for (const message of batch) {
      const key = sessionKeyOf(message.id);
      const session = this.sessions.get(key);
      if (session && (session.queue.length > 0 || message.kind === 'request')) {
        // Behind a request still waiting for its response: keep the session's order.
        session.queue.push(message);
        this.heldCount++;
      } else if (message.kind === 'request') {
        this.await(key, message.id, nowMs);
        passed.push(message);
      } else {
        passed.push(message);
      }
    }
    return passed;
  }

  /** A replayed response has passed the chain: its session's next messages go on (up to its next request). */
  settle(id: string, nowMs: number): Message[] {
    const key = sessionKeyOf(id);
    const session = this.sessions.get(key);
    if (!session || session.awaitedId !== id) return [];
    return this.release(key, session, nowMs);
  }

  /** Sessions whose awaited response is overdue go on without it. */
  expire(nowMs: number): Message[] {
    const released: Message[] = [];
    for (const [key, session] of this.sessions) {
      if (session.deadlineMs > nowMs) break;
      this.timedOutCount++;
      released.push(...this.release(key, session, nowMs));
    }
    return released;
  }

  /** Lets out the queue up to (not including) its second request; the first becomes the awaited one. */
  private release(key: string, session: Session, nowMs: number): Message[] {
    this.sessions.delete(key);
    const released: Message[] = [];
    let awaitedId: string | undefined;
    while (session.queue.length > 0) {
      const message = session.queue[0]!;
      if (message.kind === 'request') {
        if (awaitedId !== undefined) break;
        awaitedId = message.id;
      }
      session.queue.shift();
      this.heldCount--;
      released.push(message);
    }
    if (awaitedId !== undefined) this.sessions.set(key, { awaitedId, deadlineMs: nowMs + this.timeoutMs, queue: session.queue });
    return released;
  }

  private await(key: string, id: string, nowMs: number): void {
    this.sessions.delete(key);
    this.sessions.set(key, { awaitedId: id, deadlineMs: nowMs + this.timeoutMs, queue: [] });
  }
}
