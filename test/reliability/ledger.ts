// The fault suite's bookkeeping, free of processes and sockets: which messages were sent in which
// conversation, which bot posts quoted which message ids, when the bridge was killed; and from that,
// per message, answered (quoted by exactly one post), duplicated (by more), lost (by none), and
// whether a conversation's replies came in the order its messages were sent.

/** A message id as the harness writes it into the text and the assistant emulator quotes it back. */
export function messageTag(conversation: number, n: number): string {
  return `k${conversation}n${n}`;
}

const TAG = /\bk(\d+)n(\d+)\b/g;

export function tagsIn(text: string): string[] {
  return [...text.matchAll(TAG)].map((m) => messageTag(Number(m[1]), Number(m[2])));
}

export interface SentMessage {
  tag: string;
  conversation: number;
  /** Order within its conversation. */
  n: number;
  at: number;
  /** Slack only: every delivery attempt was refused or timed out, so Slack gave up. */
  undeliverable?: boolean;
  /**
   * Slack only: when the bridge got the event (the attempt it acknowledged, or an earlier one it got
   * but answered too late or was killed holding). A retried event can arrive after later ones, and
   * order is judged by arrival.
   */
  arrivedAt?: number;
  /**
   * Slack only: by when the bridge had certainly stored it (its 2xx came back). Between arrivedAt and
   * this, the bridge may or may not have had it (an attempt it got but answered too late, or was
   * killed holding).
   */
  storedBy?: number;
}

export interface KillRecord {
  at: number;
  /** Tags quoted by bot posts made within the window before this kill. */
  tagsJustPosted: string[];
}

export interface PlatformTally {
  sent: number;
  answered: number;
  duplicated: number;
  lost: number;
  outOfOrder: number;
  /** Lost messages Slack never got a 2xx for (after its retries). */
  undeliverable: number;
  /** Bot posts that quote no message (apologies, notices). */
  otherPosts: number;
  duplicatedTags: string[];
  lostTags: string[];
  outOfOrderTags: string[];
  /** Duplicates whose message was posted just before a kill (the window no system can close). */
  duplicatesInKillWindow: number;
  /**
   * For each duplicate no kill explains: when its posts were seen and how long after each the
   * nearest kill came (ms), to tell a slow record from a real double answer.
   */
  unexplained: Array<{ tag: string; postedAt: number[]; killAfterMs: number[] }>;
  /** For each message answered before one stored earlier: both, with when they arrived and were stored. */
  overtakes: Array<{ later: string; earlier: string; times: Record<string, number | undefined> }>;
}

export class Ledger {
  readonly sent = new Map<string, SentMessage>();
  /** The last kill until the bridge is started again (recordRestart). */
  private lastKill?: KillRecord;
  /** Post key (chat + platform message id) → tags it quotes, in the order the posts were first seen. */
  private readonly posts = new Map<string, { tags: Set<string>; at: number; order: number }>();
  private readonly postTimes: Array<{ at: number; tags: string[] }> = [];
  /** Tag → number of the post or edit that first showed it (when its reply became visible). */
  private readonly firstShown = new Map<string, number>();
  private shown = 0;
  readonly kills: KillRecord[] = [];
  private postCount = 0;

  constructor(private readonly killWindowMs: number) {}

  recordSent(message: SentMessage): void {
    this.sent.set(message.tag, message);
  }

  markArrived(tag: string, at: number, storedBy = at): void {
    const message = this.sent.get(tag);
    if (!message) return;
    message.arrivedAt = at;
    message.storedBy = storedBy;
  }

  markUndeliverable(tag: string): void {
    const message = this.sent.get(tag);
    if (message) message.undeliverable = true;
  }

  /** A bot post or an edit of one (same key): an edit adds the tags its new text quotes. */
  recordPost(key: string, text: string, at: number): void {
    const tags = tagsIn(text);
    let post = this.posts.get(key);
    if (!post) {
      post = { tags: new Set(), at, order: this.postCount++ };
      this.posts.set(key, post);
    }
    for (const tag of tags) {
      post.tags.add(tag);
      if (!this.firstShown.has(tag)) this.firstShown.set(tag, this.shown);
    }
    this.shown += 1;
    this.postTimes.push({ at, tags });
    // Until the bridge is started again, a post can only be one the killed process had sent.
    for (const tag of tags)
      if (this.lastKill && !this.lastKill.tagsJustPosted.includes(tag))
        this.lastKill.tagsJustPosted.push(tag);
  }

  private timeline(tag: string): PlatformTally["unexplained"][number] {
    const postedAt = this.postTimes.filter((p) => p.tags.includes(tag)).map((p) => Math.round(p.at));
    const killAfterMs = postedAt.map((at) => {
      const next = this.kills.find((k) => k.at >= at);
      return next ? Math.round(next.at - at) : -1;
    });
    return { tag, postedAt, killAfterMs };
  }

  recordKill(at: number): KillRecord {
    const tags = this.postTimes
      .filter((p) => p.at >= at - this.killWindowMs && p.at <= at)
      .flatMap((p) => p.tags);
    const record = { at, tagsJustPosted: [...new Set(tags)] };
    this.kills.push(record);
    this.lastKill = record;
    return record;
  }

  /** The bridge was started again after the last kill: posts from now on are the new process's. */
  recordRestart(): void {
    this.lastKill = undefined;
  }

  /** Tags quoted by at least one post so far. */
  answeredTags(): Set<string> {
    const seen = new Set<string>();
    for (const post of this.posts.values()) for (const tag of post.tags) seen.add(tag);
    return seen;
  }

  allAnswered(): boolean {
    const seen = this.answeredTags();
    for (const tag of this.sent.keys()) if (!seen.has(tag)) return false;
    return true;
  }

  /** Kills that landed within the window after a post that quoted a message. */
  killsInWindow(): number {
    return this.kills.filter((k) => k.tagsJustPosted.length > 0).length;
  }

  tally(): PlatformTally {
    const count = new Map<string, number>();
    const ordered = [...this.posts.values()].sort((a, b) => a.order - b.order);
    for (const post of ordered) {
      for (const tag of post.tags) count.set(tag, (count.get(tag) ?? 0) + 1);
    }
    const inWindow = new Set(this.kills.flatMap((k) => k.tagsJustPosted));
    const tally: PlatformTally = {
      sent: this.sent.size,
      answered: 0,
      duplicated: 0,
      lost: 0,
      outOfOrder: 0,
      undeliverable: 0,
      otherPosts: ordered.filter((p) => p.tags.size === 0).length,
      duplicatedTags: [],
      lostTags: [],
      outOfOrderTags: [],
      duplicatesInKillWindow: 0,
      unexplained: [],
      overtakes: [],
    };
    for (const message of this.sent.values()) {
      const times = count.get(message.tag) ?? 0;
      if (times === 0) {
        tally.lost += 1;
        tally.lostTags.push(message.tag);
        if (message.undeliverable) tally.undeliverable += 1;
      } else if (times === 1) tally.answered += 1;
      else {
        tally.duplicated += 1;
        tally.duplicatedTags.push(message.tag);
        if (inWindow.has(message.tag)) tally.duplicatesInKillWindow += 1;
        else tally.unexplained.push(this.timeline(message.tag));
      }
    }
    for (const messages of this.byConversation().values()) {
      // A message is out of order when its first reply came before the first reply of one the bridge
      // had certainly stored before this one first reached it. (Between a delivery the bridge got but
      // answered too late and its retry, no one outside can tell whether it was stored.)
      for (const later of messages) {
        const at = this.firstShown.get(later.tag);
        if (at === undefined) continue;
        const overtaken = messages.find((earlier) => {
          const earlierAt = this.firstShown.get(earlier.tag);
          return (
            earlier !== later && earlierAt !== undefined && earlierAt > at && certainlyBefore(earlier, later)
          );
        });
        if (overtaken) {
          tally.outOfOrder += 1;
          tally.outOfOrderTags.push(later.tag);
          const kill = (t: number | undefined) =>
            t === undefined ? undefined : this.kills.filter((k) => k.at <= t).length;
          tally.overtakes.push({
            later: later.tag,
            earlier: overtaken.tag,
            times: {
              earlierSent: Math.round(overtaken.at),
              earlierArrived: overtaken.arrivedAt && Math.round(overtaken.arrivedAt),
              earlierStoredBy: overtaken.storedBy && Math.round(overtaken.storedBy),
              laterSent: Math.round(later.at),
              laterArrived: later.arrivedAt && Math.round(later.arrivedAt),
              laterStoredBy: later.storedBy && Math.round(later.storedBy),
              killsBeforeEarlierStored: kill(overtaken.storedBy),
              killsBeforeLaterArrived: kill(later.arrivedAt),
            },
          });
        }
      }
    }
    return tally;
  }

  /** Each conversation's messages in the order they reached the bridge. */
  private byConversation(): Map<number, SentMessage[]> {
    const out = new Map<number, SentMessage[]>();
    for (const message of this.sent.values()) {
      const list = out.get(message.conversation) ?? [];
      list.push(message);
      out.set(message.conversation, list);
    }
    return new Map(
      [...out].map(([conversation, list]) => [
        conversation,
        list.sort((a, b) => arrived(a) - arrived(b) || a.n - b.n),
      ]),
    );
  }
}

function arrived(m: SentMessage): number {
  return m.arrivedAt ?? m.at;
}

/** The bridge had `earlier` stored before `later` first reached it (same moment: the order sent). */
function certainlyBefore(earlier: SentMessage, later: SentMessage): boolean {
  const stored = earlier.storedBy ?? arrived(earlier);
  return stored < arrived(later) || (stored === arrived(later) && earlier.n < later.n);
}
