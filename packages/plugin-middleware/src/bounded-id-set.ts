/** A set of message ids that forgets the oldest beyond a capacity, so memory stays bounded on endless traffic. */
export class BoundedIdSet {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  add(id: string): void {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  delete(id: string): boolean {
    return this.ids.delete(id);
  }

  get size(): number {
    return this.ids.size;
  }
}
