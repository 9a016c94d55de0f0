/**
 * Puts nearly sorted items back in order: GoReplay writes a request when it completes, so records
 * are a little out of timestamp order. Items arriving in order (the common case) go to a FIFO run
 * in O(1); only stragglers, earlier than the run's last key, go to a min-heap. Keys are numbers
 * (nanoseconds from a base, exact up to 104 days) so comparisons avoid BigInt; equal keys keep
 * arrival order.
 */
export class ReorderWindow<T> {
  // The in-order run: a FIFO from `head`.
  private runItems: T[] = [];
  private runKeys: number[] = [];
  private runSeqs: number[] = [];
  private head = 0;
  // The stragglers: a binary min-heap on (key, seq).
  private heapItems: T[] = [];
  private heapKeys: number[] = [];
  private heapSeqs: number[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.runItems.length - this.head + this.heapItems.length;
  }

  push(item: T, key: number): void {
    const seq = this.nextSeq++;
    const runLength = this.runKeys.length;
    if (runLength === this.head || key >= this.runKeys[runLength - 1]!) {
      this.runItems.push(item);
      this.runKeys.push(key);
      this.runSeqs.push(seq);
      return;
    }
    this.heapPush(item, key, seq);
  }

  /** The smallest key; undefined when empty. */
  peekKey(): number | undefined {
    const fromRun = this.head < this.runKeys.length;
    const fromHeap = this.heapItems.length > 0;
    if (!fromHeap) return fromRun ? this.runKeys[this.head] : undefined;
    if (!fromRun) return this.heapKeys[0];
    return Math.min(this.runKeys[this.head]!, this.heapKeys[0]!);
  }

  /** Removes and returns the item with the smallest key (the earliest pushed among equals). */
  pop(): T | undefined {
    const head = this.head;
    const hasRun = head < this.runKeys.length;
    if (this.heapItems.length > 0) {
      const hk = this.heapKeys[0]!;
      if (!hasRun || hk < this.runKeys[head]! || (hk === this.runKeys[head]! && this.heapSeqs[0]! < this.runSeqs[head]!)) {
        return this.heapPop();
      }
    }
    if (!hasRun) return undefined;
    const item = this.runItems[head]!;
    this.runItems[head] = undefined as T; // let it be collected
    this.head = head + 1;
    if (this.head === this.runKeys.length) {
      this.runItems.length = this.runKeys.length = this.runSeqs.length = this.head = 0;
    } else if (this.head >= 4096 && this.head * 2 >= this.runKeys.length) {
      this.runItems.splice(0, this.head);
      this.runKeys.splice(0, this.head);
      this.runSeqs.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.runItems = [];
    this.runKeys = [];
    this.runSeqs = [];
    this.head = 0;
    this.heapItems = [];
    this.heapKeys = [];
    this.heapSeqs = [];
  }

  private heapPush(item: T, key: number, seq: number): void {
    const items = this.heapItems;
    const keys = this.heapKeys;
    const seqs = this.heapSeqs;
    let i = items.length;
    items.push(item);
    keys.push(key);
    seqs.push(seq);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pk = keys[parent]!;
      if (pk < key || (pk === key && seqs[parent]! < seq)) break;
      items[i] = items[parent]!;
      keys[i] = pk;
      seqs[i] = seqs[parent]!;
      i = parent;
    }
    items[i] = item;
    keys[i] = key;
    seqs[i] = seq;
  }

  private heapPop(): T {
    const items = this.heapItems;
    const keys = this.heapKeys;
    const seqs = this.heapSeqs;
    const top = items[0]!;
    const lastItem = items.pop()!;
    const lastKey = keys.pop()!;
    const lastSeq = seqs.pop()!;
    const n = items.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && (keys[right]! < keys[child]! || (keys[right] === keys[child] && seqs[right]! < seqs[child]!))) child = right;
      const ck = keys[child]!;
      if (lastKey < ck || (lastKey === ck && lastSeq < seqs[child]!)) break;
      items[i] = items[child]!;
      keys[i] = ck;
      seqs[i] = seqs[child]!;
      i = child;
    }
    items[i] = lastItem;
    keys[i] = lastKey;
    seqs[i] = lastSeq;
    return top;
  }
}
