// A set that cannot grow without bound: it holds at most `max` keys, forgetting the least recently
// added first, and (optionally) forgets a key `maxAgeMs` after it was added. For per-process
// memories such as "this thread exists" or "this interaction was answered".

export interface BoundedSetOptions {
  max: number;
  maxAgeMs?: number;
  now?: () => number;
}

export class BoundedSet {
  private readonly added = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: BoundedSetOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.added.size;
  }

  has(key: string): boolean {
    const at = this.added.get(key);
    if (at === undefined) return false;
    if (this.options.maxAgeMs !== undefined && this.now() - at >= this.options.maxAgeMs) {
      this.added.delete(key);
      return false;
    }
    return true;
  }

  add(key: string): void {
    this.added.delete(key);
    this.added.set(key, this.now());
    this.prune();
  }

  /** Adds `key` and says whether it was new. */
  addNew(key: string): boolean {
    const known = this.has(key);
    if (!known) this.add(key);
    return !known;
  }

  private prune(): void {
    const oldest = this.options.maxAgeMs === undefined ? undefined : this.now() - this.options.maxAgeMs;
    for (const [key, at] of this.added) {
      const expired = oldest !== undefined && at <= oldest;
      if (!expired && this.added.size <= this.options.max) return;
      this.added.delete(key);
    }
  }
}
