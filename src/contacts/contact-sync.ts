// Keeps a CRM contact for everyone who talks to the bot. Users are noted as messages arrive and
// synced in the background through the data budget: never in the chat path, new users before
// refreshes, one call at a time, with the backlog kept in the store's durable queues (not in
// memory) so a burst of thousands of new users spreads over hours without a single 429 and without
// growing the heap. A user taken from the queue stays there until synced; a process that dies
// mid-sync leaves it to the next. No API key is stored: the route is worked out again at sync time.
import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { ConversationRef, InboundMessage, Platform, PlatformAdapter, UserProfile } from "../adapter.js";
import type { AssistantApi, ContactInput } from "../assistant/types.js";
import type { CallBudget } from "../budget/types.js";
import { DEFAULTS } from "../defaults.js";
import { AssistantError, StoreError } from "../errors.js";
import { StoreHealth } from "../store/health.js";
import { IdleWait } from "../store/idle-wait.js";
import { ProcessLease } from "../store/process-lease.js";
import type { QueueItem, Store } from "../store/types.js";
import { BacklogEta, type BacklogStatus } from "./backlog-eta.js";

export interface ContactSyncOptions {
  store: Store;
  /** This process's lease on the store (the relay's); one is made if absent. */
  lease?: ProcessLease;
  health?: StoreHealth;
  logger: Logger;
  assistantFor(apiKey: string): AssistantApi;
  dataBudgetFor(apiKey: string): CallBudget;
  apiKeyFor(message: InboundMessage): string;
  adapters: PlatformAdapter[];
  enabled: boolean;
  platforms?: Platform[];
  /** Where a user id is unique (its platform module says): "global" unless given. */
  userScope?(conversation: ConversationRef): string;
  excludeFields: Array<"name" | "email" | "phone" | "attributes">;
  refreshMs: number;
  /** How often a known user's profile is looked at again for changes. */
  recheckMs?: number;
  maxAttempts?: number;
  onSynced?(action: "created" | "updated" | "unchanged"): void;
  onFailure?(): void;
  /** Log once when draining the backlog is expected to take longer than this. */
  backlogWarnMs?: number;
  /** The backlog's expected drain time, on every change (for /metrics). */
  onBacklogEta?(etaMs: number): void;
  /** Which lane is synced first: new users (default) or changed profiles of known ones. */
  syncFirst?: "new" | "refresh";
  now?: () => number;
}

interface ContactRecord {
  contactId?: string;
  hash?: string;
  syncedAt?: number;
  checkedAt?: number;
}

/** A user waiting to be synced: the message they wrote, without its text (the profile comes from it). */
interface PendingUser {
  externalId: string;
  message: InboundMessage;
  attempts: number;
}

type Lane = "new" | "refresh";

/** A sync that was still waiting for budget when the bridge stopped. */
class LeftForRestart extends Error {}
const LANES: Lane[] = ["new", "refresh"];
const queueOf = (lane: Lane) => `contacts-${lane}`;
const recordKey = (externalId: string) => `contact:${externalId}`;
const queuedKey = (externalId: string) => `contact-queued:${externalId}`;
const latestKey = (externalId: string) => `contact-latest:${externalId}`;

/** Users waiting to be synced in a store, per lane (also read by `doctor`, from outside a bridge). */
export async function storedBacklog(store: Store): Promise<Record<Lane, number>> {
  return {
    new: await store.queueSize(queueOf("new")),
    refresh: await store.queueSize(queueOf("refresh")),
  };
}

/** The contact's id: platform, where its user ids are unique (a workspace, or "global"), user id. */
export function externalIdFor(message: InboundMessage, scope = "global"): string {
  return `${message.conversation.platform}:${scope}:${message.author.id}`;
}

export class ContactSync {
  private readonly store: Store;
  private readonly lease: ProcessLease;
  private readonly health: StoreHealth;
  /** Whether the lease is this sync's own (run alone) rather than the relay's. */
  private readonly ownLease: boolean;
  private readonly adapters = new Map<Platform, PlatformAdapter>();
  private readonly recentlyNoted = new Map<string, { at: number; fingerprint?: string }>();
  private readonly writes = new Set<Promise<void>>();
  private readonly now: () => number;
  private running = false;
  /**
   * What stop() tells each call still waiting for budget. One entry per call, removed when it ends:
   * a reaction on a long-lived "stopped" promise instead would keep every call's result (and its
   * contact) for the life of the process.
   */
  private readonly onStop = new Set<() => void>();
  private draining?: Promise<void>;
  /** Woken when a user is queued or the sync stops. */
  private readonly idle = new IdleWait();
  private readonly eta: BacklogEta;
  /**
   * Users waiting, as counted in the store at `countedAt` and kept up to date with this process's
   * own queueing and syncing since: counting a backlog of 90,000 on every new user made each
   * message cost more the longer the backlog grew. Counted again every contactBacklogRecountMs
   * (other processes share the backlog).
   */
  private backlogEstimate = 0;
  private countedAt = Number.NEGATIVE_INFINITY;
  private readonly lanes: Lane[];

  constructor(private readonly options: ContactSyncOptions) {
    this.store = options.store;
    this.health = options.health ?? new StoreHealth(options.store, options.logger);
    this.lease = options.lease ?? new ProcessLease(options.store, this.health);
    this.ownLease = options.lease === undefined;
    for (const a of options.adapters) this.adapters.set(a.platform, a);
    this.now = options.now ?? Date.now;
    this.eta = new BacklogEta({
      logger: options.logger,
      warnAfterMs: options.backlogWarnMs ?? DEFAULTS.contactBacklogWarnMs,
      ...(options.onBacklogEta && { onEta: options.onBacklogEta }),
    });
    this.lanes = options.syncFirst === "refresh" ? ["refresh", "new"] : LANES;
  }

  private async reportEta(message: InboundMessage): Promise<void> {
    const now = this.now();
    if (now - this.countedAt >= DEFAULTS.contactBacklogRecountMs) {
      this.countedAt = now;
      const waiting = await this.backlog();
      this.backlogEstimate = waiting.new + waiting.refresh;
    }
    this.eta.report(this.backlogEstimate, this.options.dataBudgetFor(this.options.apiKeyFor(message)));
  }

  private backlogChanged(by: number): void {
    this.backlogEstimate = Math.max(0, this.backlogEstimate + by);
  }

  start(): void {
    if (!this.options.enabled || this.running) return;
    this.running = true;
    this.draining = (this.ownLease ? this.lease.start() : Promise.resolve()).then(() => this.drain());
  }

  /** Stops; a sync still waiting for budget goes back to the stored queue for the next start. */
  async stop(): Promise<void> {
    await this.settled();
    this.running = false;
    for (const tell of this.onStop) tell();
    this.idle.wake();
    await this.draining;
    if (this.ownLease) await this.lease.stop();
  }

  /** Notes that a user wrote; returns at once. The sync happens later, in the background. */
  note(message: InboundMessage): void {
    if (!this.options.enabled || message.author.isBot) return;
    if (this.options.platforms && !this.options.platforms.includes(message.conversation.platform)) return;
    const externalId = externalIdFor(message, this.options.userScope?.(message.conversation));
    const recheckMs = this.options.recheckMs ?? DEFAULTS.contactProfileCheckMs;
    // A profile that came with the message is compared every time; others are re-read at most every recheckMs.
    const fingerprint = message.author.profileFingerprint;
    const last = this.recentlyNoted.get(externalId);
    if (last && last.fingerprint === fingerprint && this.now() - last.at < recheckMs) return;
    this.recentlyNoted.delete(externalId);
    this.recentlyNoted.set(externalId, { at: this.now(), fingerprint });
    if (this.recentlyNoted.size > 10_000) this.recentlyNoted.delete(this.recentlyNoted.keys().next().value!);
    const write = this.enqueue(externalId, message)
      .catch((error) => {
        // Noted again with the user's next message.
        this.recentlyNoted.delete(externalId);
        this.options.logger.warn({ err: error }, "could not note a user for contact sync");
      })
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }

  /** Resolves once every noted user is written to the stored backlog. */
  async settled(): Promise<void> {
    while (this.writes.size > 0) await Promise.allSettled([...this.writes]);
  }

  /** Users waiting to be synced, per lane. */
  async backlog(): Promise<Record<Lane, number>> {
    return storedBacklog(this.store);
  }

  /** The backlog and its ETA as last measured (for /readyz). */
  backlogStatus(): BacklogStatus {
    return this.eta.status();
  }

  private async enqueue(externalId: string, message: InboundMessage): Promise<void> {
    const latest = { ...message, text: "" };
    // A user already waiting is synced with the profile of their latest message, not the first.
    await this.store.set(latestKey(externalId), latest, DEFAULTS.contactRefreshMs);
    const record = await this.store.get<ContactRecord>(recordKey(externalId));
    const lane: Lane = record?.contactId ? "refresh" : "new";
    if (await this.push(lane, { externalId, message: latest, attempts: 0 })) await this.reportEta(message);
  }

  /** Queues the user unless already queued (the marker and the item are written together). */
  private async push(lane: Lane, item: PendingUser, done?: QueueItem<PendingUser>): Promise<boolean> {
    const result = await this.store.batch([
      ...(done ? [{ op: "ack" as const, queue: done.queue, id: done.id }] : []),
      { op: "claim", key: queuedKey(item.externalId) },
      { op: "append", queue: queueOf(lane), group: item.externalId, payload: item },
    ]);
    if (result.applied && !done) this.backlogChanged(1);
    // Queued again meanwhile by a newer note: that entry will do.
    if (!result.applied && done) {
      await this.store.batch([{ op: "ack", queue: done.queue, id: done.id }]);
      this.backlogChanged(-1);
    }
    this.idle.wake();
    return result.applied;
  }

  /** The next user to sync, new users first; it stays in the store (held by this process) until done. */
  private async next(): Promise<QueueItem<PendingUser> | undefined> {
    for (const lane of this.lanes) {
      const [item] = await this.store.claim<PendingUser>(queueOf(lane), this.lease.owner, {
        limit: 1,
      });
      if (!item) continue;
      await this.reportEta(item.payload.message);
      return item;
    }
    return undefined;
  }

  private async drain(): Promise<void> {
    while (this.running) {
      let item: QueueItem<PendingUser> | undefined;
      try {
        item = await this.health.watch(this.next());
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
        await this.idle.wait(1000);
        continue;
      }
      if (!item) {
        await this.idle.wait(this.lease.leaseMs / 3);
        continue;
      }
      await this.syncOne(item);
    }
  }

  private async syncOne(item: QueueItem<PendingUser>): Promise<void> {
    let user = item.payload;
    try {
      // From here a newer note of this user queues them again (their profile may have changed since).
      await this.store.delete(queuedKey(user.externalId));
      const latest = await this.store.get<InboundMessage>(latestKey(user.externalId));
      if (latest) user = { ...user, message: latest };
      await this.sync(user);
      await this.store.batch([{ op: "ack", queue: item.queue, id: item.id }]);
      this.backlogChanged(-1);
    } catch (error) {
      if (error instanceof LeftForRestart || (error instanceof StoreError && !this.running)) return;
      if (error instanceof StoreError) {
        this.options.logger.warn(
          { code: error.code, externalId: user.externalId },
          "contact sync waits for the store",
        );
        await this.idle.wait(1000);
        return;
      }
      this.options.onFailure?.();
      const attempts = user.attempts + 1;
      const retry = attempts < (this.options.maxAttempts ?? 5) && isRetryable(error);
      this.options.logger.warn(
        { err: error, externalId: user.externalId, attempts, willRetry: retry },
        "contact sync failed",
      );
      try {
        if (retry) {
          const known = (await this.store.get<ContactRecord>(recordKey(user.externalId)))?.contactId;
          await this.push(known ? "refresh" : "new", { ...user, attempts }, item);
        } else {
          await this.store.batch([{ op: "ack", queue: item.queue, id: item.id }]);
          this.backlogChanged(-1);
        }
      } catch (storeError) {
        this.options.logger.warn(
          { err: storeError },
          "could not put a failed contact sync back; the next start retries it",
        );
      }
    }
  }

  private async sync(item: PendingUser): Promise<void> {
    const adapter = this.adapters.get(item.message.conversation.platform);
    const profile = (await adapter?.getProfile(item.message)) ?? { userId: item.message.author.id };
    const input = this.contactInput(item.externalId, item.message.conversation.platform, profile);
    const hash = createHash("sha256").update(JSON.stringify(input)).digest("hex");
    const record = (await this.store.get<ContactRecord>(recordKey(item.externalId))) ?? {};
    const fresh = record.syncedAt !== undefined && this.now() - record.syncedAt < this.options.refreshMs;
    if (record.contactId && record.hash === hash && fresh) {
      await this.store.set(recordKey(item.externalId), { ...record, checkedAt: this.now() });
      this.options.onSynced?.("unchanged");
      return;
    }
    const apiKey = this.options.apiKeyFor(item.message);
    const api = this.options.assistantFor(apiKey);
    const budget = this.options.dataBudgetFor(apiKey);
    const call = <T>(fn: () => Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        let started = false;
        // Not started when the bridge stops: left in the stored queue for the next start.
        const stopping = () => {
          if (!started) reject(new LeftForRestart());
        };
        this.onStop.add(stopping);
        budget
          .schedule(async () => {
            if (!this.running) throw new LeftForRestart();
            started = true;
            return fn();
          })
          .then(resolve, reject)
          .finally(() => this.onStop.delete(stopping));
      });
    let contactId = record.contactId;
    let action: "created" | "updated" = "updated";
    if (contactId) {
      try {
        await call(() => api.updateContact(contactId!, withoutExternalId(input)));
      } catch (error) {
        if (!(error instanceof AssistantError && error.code === "CONTACT_NOT_FOUND")) throw error;
        contactId = undefined;
      }
    }
    if (!contactId) {
      try {
        contactId = (await call(() => api.createContact(input))).id;
        action = "created";
      } catch (error) {
        if (!(error instanceof AssistantError && error.code === "CONTACT_EXISTS")) throw error;
        const existing = await call(() => api.findContactByExternalId(item.externalId));
        if (!existing) throw error;
        contactId = existing.id;
        await call(() => api.updateContact(existing.id, withoutExternalId(input)));
      }
    }
    await this.store.set(recordKey(item.externalId), {
      contactId,
      hash,
      syncedAt: this.now(),
      checkedAt: this.now(),
    } satisfies ContactRecord);
    this.options.onSynced?.(action);
  }

  private contactInput(externalId: string, platform: Platform, profile: UserProfile): ContactInput {
    const exclude = new Set(this.options.excludeFields);
    const name = profile.realName ?? profile.displayName ?? profile.username;
    const attributes: Record<string, unknown> = {
      platform,
      ...(profile.username ? { username: profile.username } : {}),
      ...(profile.displayName ? { displayName: profile.displayName } : {}),
      ...(profile.timeZone ? { timeZone: profile.timeZone } : {}),
      ...(profile.language ? { language: profile.language } : {}),
      ...(profile.attributes ?? {}),
    };
    return {
      externalId,
      source: `mygpt-bridge:${platform}`,
      ...(name && !exclude.has("name") ? { name } : {}),
      ...(profile.email && !exclude.has("email") ? { email: profile.email } : {}),
      ...(!exclude.has("attributes") ? { attributes } : {}),
    };
  }
}

function withoutExternalId(input: ContactInput): Partial<ContactInput> {
  const { externalId: _ignored, ...rest } = input;
  return rest;
}

function isRetryable(error: unknown): boolean {
  return !(error instanceof AssistantError) || error.retryable;
}
