// Human handoff: while an agent has taken a conversation over (until a time kept in the store), the
// relay in "stay-silent" mode holds the assistant's answers back instead of posting them.
import type { Store } from "../store/types.js";

export class Handoff {
  constructor(
    private readonly store: Store,
    private readonly mode: "keep-relaying" | "stay-silent" | undefined,
    private readonly now: () => number,
  ) {}

  /** A human agent answered in this conversation; handoff lasts until `untilMs`. */
  async mark(conversationKey: string, untilMs: number): Promise<void> {
    await this.store.set(`handoff:${conversationKey}`, untilMs, Math.max(1, untilMs - this.now()));
  }

  /** The conversation's answers are held back now. */
  async holdsReplies(conversationKey: string): Promise<boolean> {
    if (this.mode !== "stay-silent") return false;
    const until = await this.store.get<number>(`handoff:${conversationKey}`);
    return until !== undefined && until > this.now();
  }
}
