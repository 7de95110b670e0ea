// Assembles a running bridge from validated config: store, assistant clients and budgets per API
// key, the relay, the platform adapters and the one HTTP server; and takes it down in order.
import type { Express } from "express";
import type { Logger } from "pino";
import type { ConversationRef, PlatformAdapter } from "./adapter.js";
import type { AssistantApi } from "./assistant/types.js";
import type { CallBudget } from "./budget/types.js";
import type { BridgeConfig, RouteRule } from "./config/load.js";
import { describeBacklog } from "./contacts/backlog-eta.js";
import { ContactSync } from "./contacts/contact-sync.js";
import { DEFAULTS } from "./defaults.js";
import { BridgeMetrics } from "./http/metrics.js";
import { type NodeHandler, operatorListener, operatorRoutes, type ReadinessReport } from "./http/operator.js";
import { createHttpApp, installFinalHandlers, listen, type RunningServer } from "./http/server.js";
import { createLogger } from "./logger.js";
import { userScopeOf } from "./platform-module.js";
import { addCommandSyntax } from "./relay/commands.js";
import { Relay, type RelayObserver, type Route } from "./relay/relay.js";
import { Replies } from "./relay/replies.js";
import { StoreHealth } from "./store/health.js";
import { openStore } from "./store/open-store.js";
import { ProcessLease } from "./store/process-lease.js";
import type { Store } from "./store/types.js";
import { WebhookReceiver } from "./webhooks/receiver.js";

/** How the bridge gets an assistant client and budgets; the real ones by default. */
export interface AssistantWiring {
  assistantFor(apiKey: string): AssistantApi;
  budgetFor(apiKey: string, kind: "chat" | "data"): CallBudget;
  snapshots(): Array<{ kind: string; snapshot: ReturnType<CallBudget["snapshot"]> }>;
  close(): Promise<void>;
}

export interface BridgeOptions {
  config: BridgeConfig;
  logger?: Logger;
  /** The adapters to run; by default those whose credentials are configured. */
  adapters?: PlatformAdapter[];
  store?: Store;
  /** Makes the adapters from config (the composition root's createPlatformAdapters). */
  makeAdapters?: (config: BridgeConfig, logger: Logger, store: Store) => Promise<PlatformAdapter[]>;
  makeWiring?: (config: BridgeConfig, logger: Logger, store: Store) => Promise<AssistantWiring>;
}

export class Bridge {
  private server?: RunningServer;
  private started = false;
  private expressApp?: Express;
  private readonly operatorRoutes: Record<string, NodeHandler>;

  private constructor(
    readonly config: BridgeConfig,
    readonly logger: Logger,
    readonly store: Store,
    readonly adapters: PlatformAdapter[],
    readonly relay: Relay,
    readonly metrics: BridgeMetrics,
    readonly wiring: AssistantWiring,
    readonly contacts: ContactSync,
    readonly webhooks: WebhookReceiver | undefined,
  ) {
    this.operatorRoutes = operatorRoutes({
      metrics,
      readiness: () => this.readiness(),
      operatorToken: config.http.operatorToken,
    });
  }

  static async create(options: BridgeOptions): Promise<Bridge> {
    const { config } = options;
    const logger =
      options.logger ??
      createLogger({
        level: config.logLevel,
        secrets: config.secrets,
        redactPaths: config.modules.flatMap((m) => m.logRedactPaths ?? []),
      });
    for (const module of config.modules) if (module.commandSyntax) addCommandSyntax(module.commandSyntax);
    const store =
      options.store ?? (await openStore(config.storeUrl, { logger: logger.child({ part: "store" }) }));
    const health = new StoreHealth(store, logger.child({ part: "store" }));
    const lease = new ProcessLease(store, health, config.processLeaseMs);
    const wiring = await (options.makeWiring ?? defaultWiring)(config, logger, store);
    const adapters = options.adapters ?? (await options.makeAdapters?.(config, logger, store)) ?? [];
    const metrics = new BridgeMetrics(() => wiring.snapshots());
    const route = (conversation: ConversationRef) => routeFor(config, conversation);
    const replies = new Map<RouteRule | undefined, Replies>();
    const repliesFor = (conversation: ConversationRef): Replies => {
      const rule = matchRoute(config, conversation);
      const known = replies.get(rule);
      if (known) return known;
      const made = new Replies(config.texts, rule?.texts);
      replies.set(rule, made);
      return made;
    };
    const contacts = new ContactSync({
      store,
      lease,
      health,
      logger: logger.child({ part: "contacts" }),
      assistantFor: (apiKey) => wiring.assistantFor(apiKey),
      dataBudgetFor: (apiKey) => wiring.budgetFor(apiKey, "data"),
      apiKeyFor: (message) => route(message.conversation).apiKey,
      adapters,
      enabled: config.contacts.enabled,
      platforms: config.contacts.platforms,
      userScope: (conversation) => userScopeOf(config.modules, conversation),
      excludeFields: config.contacts.excludeFields,
      refreshMs: config.contacts.refreshHours * 3_600_000,
      recheckMs: config.contacts.profileCheckMinutes * 60_000,
      onSynced: (action) => metrics.contactsSynced.inc({ action }),
      onFailure: () => metrics.contactSyncFailures.inc(),
      backlogWarnMs: config.contacts.backlogWarnMinutes * 60_000,
      onBacklogEta: (ms) => metrics.contactBacklogEta.set(ms / 1000),
      syncFirst: config.contacts.syncFirst,
    });
    const relay = new Relay({
      store,
      lease,
      health,
      adapters,
      logger,
      route,
      assistantFor: (apiKey) => wiring.assistantFor(apiKey),
      budgetFor: (apiKey) => wiring.budgetFor(apiKey, "chat"),
      policy: config.policy,
      mergeQueuedMessages: config.relay.mergeQueuedMessages,
      maxBacklog: config.relay.maxBacklog,
      maxConversationBacklog: config.relay.maxConversationBacklog,
      longWaitNoticeMs: config.relay.longWaitNoticeSeconds * 1000,
      sessionIdleMs: config.relay.sessionIdleDays * 86_400_000,
      concurrency: config.relay.concurrency,
      handoffMode: config.handoff.mode,
      repliesFor,
      ...(config.relay.userQuota && {
        userQuota: {
          messages: config.relay.userQuota.messages,
          windowMs: config.relay.userQuota.perMinutes * 60_000,
        },
      }),
      observer: {
        ...bindObserver(metrics),
        accepted: (message) => contacts.note(message),
      },
    });
    metrics.watchReplica(lease.owner, () => relay.holding());
    const webhooks = config.assistant.webhookSecret
      ? new WebhookReceiver({
          secret: config.assistant.webhookSecret,
          store,
          lease,
          health,
          relay,
          logger: logger.child({ part: "webhooks" }),
          handoffWindowMs: config.handoff.windowMinutes * 60_000,
          onOutcome: (outcome) => metrics.webhookEvents.inc({ outcome }),
        })
      : undefined;
    return new Bridge(config, logger, store, adapters, relay, metrics, wiring, contacts, webhooks);
  }

  /**
   * Every HTTP route of the bridge as one Express app, built on first use: for mounting in your own
   * server after `start({ http: false })`. `start()` serves it when an adapter or the webhook receiver
   * has routes, and the operator endpoints without Express otherwise.
   */
  get app(): Express {
    if (!this.expressApp) {
      const app = createHttpApp(this.operatorRoutes);
      this.webhooks?.mountHttp(app);
      for (const adapter of this.adapters) adapter.mountHttp?.(app);
      installFinalHandlers(app, this.logger.child({ part: "http" }));
      this.expressApp = app;
    }
    return this.expressApp;
  }

  private get hasMountedRoutes(): boolean {
    return Boolean(this.webhooks) || this.adapters.some((adapter) => adapter.mountHttp);
  }

  /** Starts the relay (resuming pending work), the adapters and, unless told not to, the HTTP server. */
  async start(options: { http?: boolean } = {}): Promise<void> {
    const app = this.hasMountedRoutes ? this.app : undefined;
    if (options.http !== false) {
      const handler = app ?? operatorListener(this.operatorRoutes, this.logger.child({ part: "http" }));
      this.server = await listen(handler, this.config.http.port, this.config.http.host);
    }
    for (const adapter of this.adapters) this.relay.platformConnecting(adapter.platform);
    await this.relay.start();
    this.contacts.start();
    this.webhooks?.start();
    this.started = true;
    if (this.server) this.logger.info({ url: this.server.url }, "bridge is running");
    // Platforms connect side by side: one that is unreachable (its SDK keeps retrying) must not hold
    // the others back; /readyz names it meanwhile. A refused credential fails the start.
    await Promise.all(this.adapters.map((adapter) => this.connect(adapter)));
  }

  private async connect(adapter: PlatformAdapter): Promise<void> {
    const slow = setTimeout(
      () =>
        this.logger.warn(
          { platform: adapter.platform },
          "still connecting: the platform is not answering yet",
        ),
      10_000,
    );
    try {
      await adapter.start(this.relay);
      this.relay.platformConnected(adapter.platform);
      if (this.started) this.logger.info({ platform: adapter.platform }, "platform connected");
    } finally {
      clearTimeout(slow);
    }
  }

  get url(): string | undefined {
    return this.server?.url;
  }

  /** Stops intake from every platform, lets calls in flight finish, and closes the store and server. */
  async stop(): Promise<void> {
    this.started = false;
    await Promise.allSettled(this.adapters.map((a) => a.stop()));
    await this.relay.stop();
    await this.webhooks?.stop();
    await this.contacts.stop();
    await this.server?.close();
    await this.wiring.close();
    await this.store.close();
  }

  async readiness(): Promise<ReadinessReport> {
    const checks: ReadinessReport["checks"] = {};
    const store = await this.relay.health.check(DEFAULTS.readinessStoreCheckMs);
    checks.store = store.ok
      ? { ok: true }
      : { ok: false, detail: `${this.store.kind} store not answering (${store.code})` };
    for (const adapter of this.adapters) {
      const ok = this.started && adapter.isReady();
      checks[adapter.platform] = ok ? { ok } : { ok, detail: "not connected" };
    }
    checks.relay = this.started ? { ok: true } : { ok: false, detail: "starting or stopping" };
    const backlog = this.contacts.backlogStatus();
    return {
      ready: Object.values(checks).every((c) => c.ok),
      checks,
      ...(backlog.overThreshold && {
        warnings: {
          contactBacklog: {
            detail: describeBacklog(backlog),
            waiting: backlog.waiting,
            etaMinutes: Math.ceil(backlog.etaMs / 60_000),
          },
        },
      }),
    };
  }
}

function bindObserver(metrics: BridgeMetrics): RelayObserver {
  return {
    messageIn: (p) => metrics.messageIn(p),
    messageIgnored: (p, r) => metrics.messageIgnored(p, r),
    messageOut: (p) => metrics.messageOut(p),
    assistantCall: (o) => metrics.assistantCall(o),
    queueDepth: (d) => metrics.queueDepth(d),
    waited: (ms) => metrics.waited(ms),
  };
}

/** The first route whose platform/workspace/channel (or a thread's parent channel) match, else the default. */
export function routeFor(config: BridgeConfig, conversation: ConversationRef): Route {
  const rule = matchRoute(config, conversation);
  if (rule) return { botId: rule.botId, apiKey: rule.apiKey };
  return { botId: config.assistant.botId ?? "", apiKey: config.assistant.apiKey ?? "" };
}

function matchRoute(config: BridgeConfig, conversation: ConversationRef): RouteRule | undefined {
  const { platform, workspaceId, channelId, parentChannelId } = conversation;
  return config.routes.find(
    (r) =>
      (!r.platform || r.platform === platform) &&
      (!r.workspace || r.workspace === workspaceId) &&
      (!r.channel || r.channel === channelId || r.channel === parentChannelId),
  );
}

async function defaultWiring(config: BridgeConfig, logger: Logger, store: Store): Promise<AssistantWiring> {
  const { createAssistantWiring } = await import("./assistant-wiring.js");
  return createAssistantWiring(config, logger, store);
}
