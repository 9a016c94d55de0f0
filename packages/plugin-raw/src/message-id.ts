/**
 * Message ids: 24 lowercase hex characters. A random prefix per process plus a counter is unique
 * across instances and costs one string per message instead of 12 random bytes.
 */
import { randomBytes } from 'node:crypto';

export class MessageIdSource {
  private readonly prefix = randomBytes(6).toString('hex');
  private counter = 0;

  next(): string {
    this.counter++;
    return this.prefix + this.counter.toString(16).padStart(12, '0');
  }
}
