// A per-user message quota (e.g. 20 messages per 10 minutes), off by default, so one person cannot
// spend a budget the whole workspace shares. Counted per process in a sliding window; a user who hits
// it is told once per window, and their further messages are dropped quietly until it frees up.

export interface UserQuotaOptions {
  messages: number;
  windowMs: number;
  now?: () => number;
  /** How many users are tracked at most; the least recently seen are forgotten first. */
  maxUsers?: number;
}

export type QuotaVerdict = "ok" | "over-tell" | "over-quiet";

export class UserQuota {
  private readonly sent = new Map<string, { times: number[]; told: boolean }>();
  private readonly now: () => number;
  private readonly maxUsers: number;

  constructor(private readonly options: UserQuotaOptions) {
    this.now = options.now ?? Date.now;
    this.maxUsers = options.maxUsers ?? 100_000;
  }

  /** Counts one message from `user` if the quota allows it. */
  take(user: string): QuotaVerdict {
    const now = this.now();
    const entry = this.sent.get(user) ?? { times: [], told: false };
    this.sent.delete(user);
    this.sent.set(user, entry);
    while (entry.times.length > 0 && entry.times[0]! <= now - this.options.windowMs) entry.times.shift();
    if (entry.times.length < this.options.messages) {
      entry.times.push(now);
      entry.told = false;
      this.evict();
      return "ok";
    }
    if (entry.told) return "over-quiet";
    entry.told = true;
    return "over-tell";
  }

  private evict(): void {
    for (const key of this.sent.keys()) {
      if (this.sent.size <= this.maxUsers) return;
      this.sent.delete(key);
    }
  }
}
