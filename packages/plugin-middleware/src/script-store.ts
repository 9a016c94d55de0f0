/**
 * A script's `store`: keys and JSON texts, bounded. The same class serves both sides: in the isolate it
 * is the store a script reads and writes (no call leaves the isolate, so the script keeps its own
 * thread); on the host it is the copy that outlives the isolate (rebuilt after a timeout or an exhausted
 * heap), kept up to date with the changes each call sends back and used to fill the rebuilt isolate.
 * It imports nothing, so the isolate can load it as a module.
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

  constructor(
    private readonly limits: ScriptStoreLimits = DEFAULT_STORE_LIMITS,
    entries: Iterable<readonly [string, string]> = [],
  ) {
    for (const [key, json] of entries) this.put(key, json);
  }

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

  /** Every key and its JSON, to copy the store to the other side. */
  all(): [string, string][] {
    return [...this.entries];
  }

  /**
   * Applies the net changes of a call (a JSON text, or null for a delete), which the isolate made within
   * the bounds one at a time; returns false if the result is out of bounds all the same (the script
   * interfered with the store's runtime: the host's copy is not trusted then).
   */
  apply(changes: readonly (readonly [string, string | null])[]): boolean {
    for (const [key, json] of changes) {
      if (json === null) this.delete(key);
      else this.put(key, json);
    }
    return this.entries.size <= this.limits.maxKeys && this.chars <= this.limits.maxChars;
  }

  /** Replaces everything with what the isolate holds (after a timeout); false if that is out of bounds. */
  replace(entries: readonly (readonly [string, string])[]): boolean {
    this.entries.clear();
    this.chars = 0;
    return this.apply(entries);
  }

  /** Writes without checking the bounds (checked by the caller, once for a whole set of changes). */
  private put(key: string, json: string): void {
    const previous = this.entries.get(key);
    this.chars += key.length + json.length - (previous === undefined ? 0 : key.length + previous.length);
    this.entries.set(key, json);
  }
}

function preview(key: string): string {
  return key.length > 40 ? `${key.slice(0, 40)}…` : key;
}
