// Keeps a CRM contact for everyone who talks to the bot. Users are noted as messages arrive and
// synced in the background through the data budget: never in the chat path, new users before
// refreshes, one call at a time, with the backlog kept in the store (not in memory) so a burst of
// thousands of new users spreads over hours without a single 429 and without growing the heap.
import { createHash } from "node:crypto";
import type Keyv from "keyv";
import type { Logger } from "pino";
import type { InboundMessage, Platform, PlatformAdapter, UserProfile } from "../adapter.js";
import type { AssistantApi, ContactInput } from "../assistant/types.js";
import type { CallBudget } from "../budget/types.js";
import { DEFAULTS } from "../defaults.js";
import { AssistantError } from "../errors.js";
import type { BridgeStore } from "../store/create-store.js";
import { BacklogEta } from "./backlog-eta.js";

export interface ContactSyncOptions {
  store: BridgeStore;
  logger: Logger;
  assistantFor(apiKey: string): AssistantApi;
  dataBudgetFor(apiKey: string): CallBudget;
  apiKeyFor(message: InboundMessage): string;
  adapters: PlatformAdapter[];
  enabled: boolean;
  platforms?: Platform[];
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

interface PendingUser {
  externalId: string;
  apiKey: string;
  message: InboundMessage;
  attempts: number;
}

type Lane = "new" | "refresh";

/** A sync that was still waiting for budget when the bridge stopped. */
class LeftForRestart extends Error {}
const LANES: Lane[] = ["new", "refresh"];

export function externalIdFor(message: InboundMessage): string {
  const { platform, workspaceId } = message.conversation;
  // Slack user ids belong to a workspace; Discord and Telegram ids are global to the platform.
  const scope = platform === "slack" ? workspaceId : platform === "console" ? "local" : "global";
  return `${platform}:${scope}:${message.author.id}`;
}

export class ContactSync {
  private readonly records: Keyv<ContactRecord>;
  private readonly queue: Keyv<unknown>;
  private readonly adapters = new Map<Platform, PlatformAdapter>();
  private readonly recentlyNoted = new Map<string, { at: number; fingerprint?: string }>();
  private readonly writes = new Set<Promise<void>>();
  private readonly now: () => number;
  private running = false;
  private signalStop: () => void = () => {};
  private stopped: Promise<void> = Promise.resolve();
  private draining?: Promise<void>;
  private wake?: () => void;
  private cursors?: Promise<Record<Lane, { head: number; tail: number }>>;
  private readonly eta: BacklogEta;
  private readonly lanes: Lane[];

  constructor(private readonly options: ContactSyncOptions) {
    this.records = options.store.namespace<ContactRecord>("contacts");
    this.queue = options.store.namespace("contact-queue");
    for (const a of options.adapters) this.adapters.set(a.platform, a);
    this.now = options.now ?? Date.now;
    this.eta = new BacklogEta({
      logger: options.logger,
      warnAfterMs: options.backlogWarnMs ?? DEFAULTS.contactBacklogWarnMs,
      ...(options.onBacklogEta && { onEta: options.onBacklogEta }),
    });
    this.lanes = options.syncFirst === "refresh" ? ["refresh", "new"] : LANES;
  }

  private async reportEta(apiKey: string): Promise<void> {
    const waiting = await this.backlog();
    this.eta.report(waiting.new + waiting.refresh, this.options.dataBudgetFor(apiKey));
  }

  start(): void {
    if (!this.options.enabled || this.running) return;
    this.running = true;
    this.stopped = new Promise((resolve) => {
      this.signalStop = resolve;
    });
    this.draining = this.drain();
  }

  /** Stops; a sync still waiting for budget goes back to the stored queue for the next start. */
  async stop(): Promise<void> {
    await this.settled();
    this.running = false;
    this.signalStop();
    this.wake?.();
    await this.draining;
  }

  /** Notes that a user wrote; returns at once. The sync happens later, in the background. */
  note(message: InboundMessage): void {
    if (!this.options.enabled || message.author.isBot) return;
    if (this.options.platforms && !this.options.platforms.includes(message.conversation.platform)) return;
    const externalId = externalIdFor(message);
    const recheckMs = this.options.recheckMs ?? DEFAULTS.contactProfileCheckMs;
    // A profile that came with the message is compared every time; others are re-read at most every recheckMs.
    const fingerprint = message.author.profileFingerprint;
    const last = this.recentlyNoted.get(externalId);
    if (last && last.fingerprint === fingerprint && this.now() - last.at < recheckMs) return;
    this.recentlyNoted.delete(externalId);
    this.recentlyNoted.set(externalId, { at: this.now(), fingerprint });
    if (this.recentlyNoted.size > 10_000) this.recentlyNoted.delete(this.recentlyNoted.keys().next().value!);
    const write = this.enqueue(externalId, message)
      .catch((error) => this.options.logger.warn({ err: error }, "could not note a user for contact sync"))
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }

  /** Resolves once every noted user is written to the stored backlog. */
  async settled(): Promise<void> {
    while (this.writes.size > 0) await Promise.allSettled([...this.writes]);
  }

  /** Users waiting to be synced, per lane. */
  async backlog(): Promise<Record<Lane, number>> {
    const cursors = await this.loadCursors();
    return { new: cursors.new.tail - cursors.new.head, refresh: cursors.refresh.tail - cursors.refresh.head };
  }

  private async enqueue(externalId: string, message: InboundMessage): Promise<void> {
    if (await this.queue.get(`queued:${externalId}`)) return;
    const record = await this.records.get(externalId);
    const lane: Lane = record?.contactId ? "refresh" : "new";
    const item: PendingUser = { externalId, apiKey: this.options.apiKeyFor(message), message, attempts: 0 };
    await this.push(lane, item);
  }

  private async push(lane: Lane, item: PendingUser): Promise<void> {
    const cursors = await this.loadCursors();
    const seq = cursors[lane].tail++;
    await this.queue.set(`${lane}:${seq}`, item);
    await this.queue.set(`queued:${item.externalId}`, true);
    await this.queue.set(`cursor:${lane}`, cursors[lane]);
    await this.reportEta(item.apiKey);
    this.wake?.();
  }

  private async pop(): Promise<PendingUser | undefined> {
    const cursors = await this.loadCursors();
    for (const lane of this.lanes) {
      const c = cursors[lane];
      while (c.head < c.tail) {
        const key = `${lane}:${c.head}`;
        const item = (await this.queue.get(key)) as PendingUser | undefined;
        c.head++;
        await this.queue.set(`cursor:${lane}`, c);
        await this.queue.delete(key);
        if (item) return item;
      }
    }
    return undefined;
  }

  /** Reads the lane cursors once; every caller shares the same objects, so pushes never race. */
  private loadCursors(): Promise<Record<Lane, { head: number; tail: number }>> {
    this.cursors ??= (async () => {
      const read = async (lane: Lane) =>
        ((await this.queue.get(`cursor:${lane}`)) as { head: number; tail: number } | undefined) ?? {
          head: 0,
          tail: 0,
        };
      return { new: await read("new"), refresh: await read("refresh") };
    })();
    return this.cursors;
  }

  private async drain(): Promise<void> {
    while (this.running) {
      const item = await this.pop();
      if (!item) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      await this.queue.delete(`queued:${item.externalId}`);
      await this.reportEta(item.apiKey);
      try {
        await this.sync(item);
      } catch (error) {
        if (error instanceof LeftForRestart) {
          const known = (await this.records.get(item.externalId))?.contactId !== undefined;
          await this.push(known ? "refresh" : "new", item);
          return;
        }
        this.options.onFailure?.();
        const attempts = item.attempts + 1;
        const retry = attempts < (this.options.maxAttempts ?? 5) && isRetryable(error);
        this.options.logger.warn(
          { err: error, externalId: item.externalId, attempts, willRetry: retry },
          "contact sync failed",
        );
        if (retry) {
          const known = (await this.records.get(item.externalId))?.contactId !== undefined;
          await this.push(known ? "refresh" : "new", { ...item, attempts });
        }
      }
    }
  }

  private async sync(item: PendingUser): Promise<void> {
    const adapter = this.adapters.get(item.message.conversation.platform);
    const profile = (await adapter?.getProfile(item.message)) ?? { userId: item.message.author.id };
    const input = this.contactInput(item.externalId, item.message.conversation.platform, profile);
    const hash = createHash("sha256").update(JSON.stringify(input)).digest("hex");
    const record = (await this.records.get(item.externalId)) ?? {};
    const fresh = record.syncedAt !== undefined && this.now() - record.syncedAt < this.options.refreshMs;
    if (record.contactId && record.hash === hash && fresh) {
      await this.records.set(item.externalId, { ...record, checkedAt: this.now() });
      this.options.onSynced?.("unchanged");
      return;
    }
    const api = this.options.assistantFor(item.apiKey);
    const budget = this.options.dataBudgetFor(item.apiKey);
    const call = async <T>(fn: () => Promise<T>): Promise<T> => {
      let started = false;
      const scheduled = budget.schedule(async () => {
        if (!this.running) throw new LeftForRestart();
        started = true;
        return fn();
      });
      scheduled.catch(() => {});
      return Promise.race([
        scheduled,
        this.stopped.then(() => {
          if (!started) throw new LeftForRestart();
          return scheduled;
        }),
      ]);
    };
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
    await this.records.set(item.externalId, { contactId, hash, syncedAt: this.now(), checkedAt: this.now() });
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
