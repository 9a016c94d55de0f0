/**
 * JetStream publishes without a request object per message: each message is a plain publish whose
 * reply subject is a token under one inbox this publisher subscribes to, and the stream's acks come back
 * there. nats.js's `js.publish` builds two Error objects (for their stack traces) and a timer per
 * message: 43% of an agent's CPU per message, 56 µs against 9 µs here (docs/BENCHMARKS.md). One
 * timer sweeps the acks that are overdue; they are oldest first, so it stops at the first one in time.
 */
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';

export interface PublishAck {
  /** The stream already had this Nats-Msg-Id (within its duplicate window): stored once. */
  duplicate: boolean;
}

interface Awaiting {
  resolve(ack: PublishAck): void;
  reject(error: Error): void;
  deadlineMs: number;
}

export class JetStreamPublisher {
  private readonly awaiting = new Map<string, Awaiting>();
  private readonly inbox = createInbox();
  private readonly subscription: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private nextToken = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly ackTimeoutMs: number,
  ) {
    this.subscription = nc.subscribe(`${this.inbox}.*`, { callback: (_error, msg) => this.settle(msg) });
    this.sweeper = setInterval(() => this.expire(Date.now()), Math.max(20, Math.min(1000, ackTimeoutMs / 4)));
    this.sweeper.unref();
  }

  get awaitingAcks(): number {
    return this.awaiting.size;
  }

  /** Resolves with the stream's ack; rejects when the stream refuses it or no ack comes within the ack timeout. */
  publish(subject: string, body: Uint8Array, headers: MsgHdrs): Promise<PublishAck> {
    const token = (this.nextToken++).toString(36);
    return new Promise((resolve, reject) => {
      this.awaiting.set(token, { resolve, reject, deadlineMs: Date.now() + this.ackTimeoutMs });
      try {
        this.nc.publish(subject, body, { headers, reply: `${this.inbox}.${token}` });
      } catch (error) {
        this.awaiting.delete(token);
        reject(error as Error);
      }
    });
  }

  /** Fails what is still waiting (the connection is closing). */
  close(): void {
    clearInterval(this.sweeper);
    this.subscription.unsubscribe();
    for (const waiter of this.awaiting.values()) waiter.reject(new Error('the NATS connection closed before the ack'));
    this.awaiting.clear();
  }

  private settle(msg: Msg | undefined): void {
    if (!msg) return;
    const token = msg.subject.slice(this.inbox.length + 1);
    const waiter = this.awaiting.get(token);
    if (!waiter) return; // an ack after its timeout: the message was already counted as failed
    this.awaiting.delete(token);
    const ack = publishAckOf(msg.headers, msg.data);
    if (typeof ack === 'string') waiter.reject(new Error(ack));
    else waiter.resolve(ack);
  }

  private expire(nowMs: number): void {
    for (const [token, waiter] of this.awaiting) {
      if (waiter.deadlineMs > nowMs) return;
      this.awaiting.delete(token);
      waiter.reject(new Error(`no ack within ${this.ackTimeoutMs} ms`));
    }
  }
}

const utf8 = new TextDecoder();

/** The ack JetStream sent, or why it is not one (a status such as 503 no responders, or an API error). */
export function publishAckOf(headers: MsgHdrs | undefined, data: Uint8Array): PublishAck | string {
  if (headers?.hasError) return `NATS status ${headers.code}${headers.description ? ` ${headers.description}` : ''}`;
  let reply: { stream?: string; duplicate?: boolean; error?: { code?: number; description?: string } };
  try {
    reply = JSON.parse(utf8.decode(data));
  } catch {
    return 'not a JetStream ack';
  }
  if (reply.error) return `JetStream refused the message: ${reply.error.description ?? 'error'} (${reply.error.code ?? '?'})`;
  if (!reply.stream) return 'not a JetStream ack';
  return { duplicate: reply.duplicate === true };
}
