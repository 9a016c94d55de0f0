/**
 * A script's `store`: a key-value map kept on the host, so it outlives the isolate (rebuilt after a
 * timeout or an exhausted heap). Values arrive already serialized as JSON by the isolate; the store
 * only keeps the text and bounds how much there is.
 */
export interface ScriptStoreLimits {
  maxKeys: number;
  /** Sum of the lengths of every key and JSON value, in UTF-16 code units (≈ bytes for ASCII JSON). */
  maxChars: number;
}

export const DEFAULT_STORE_LIMITS: ScriptStoreLimits = { maxKeys: 10_000, maxChars: 1_000_000 };

export class ScriptStore {
  private readonly entries = new Map<string, string>();
  private chars = 0;

  constructor(private readonly limits: ScriptStoreLimits = DEFAULT_STORE_LIMITS) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Returns an error text when the write would exceed a bound (nothing is written then). */
  set(key: string, json: string): string | undefined {
    const previous = this.entries.get(key);
    const after = this.chars - (previous === undefined ? 0 : key.length + previous.length) + key.length + json.length;
    if (previous === undefined && this.entries.size >= this.limits.maxKeys) {
      return `store.set("${preview(key)}"): the store is full (${this.limits.maxKeys} keys); delete keys first`;
    }
    if (after > this.limits.maxChars) {
      return `store.set("${preview(key)}"): the store would hold ${after} characters of keys and JSON, more than its ${this.limits.maxChars}`;
    }
    this.entries.set(key, json);
    this.chars = after;
    return undefined;
  }

  delete(key: string): boolean {
    const previous = this.entries.get(key);
    if (previous === undefined) return false;
    this.entries.delete(key);
    this.chars -= key.length + previous.length;
    return true;
  }
}

function preview(key: string): string {
  return key.length > 40 ? `${key.slice(0, 40)}…` : key;
}
