// The Telegram adapter's implementation (index.ts is the platform's module): a grammY bot that hands
// private messages and addressed group messages to the relay and posts the replies back as Telegram
// HTML. Long polling by default (polling.ts: sequential per chat/topic, concurrent across chats, an
// update confirmed to Telegram only once the relay has durably taken it); webhook mode on the
// bridge's HTTP server when a webhook URL is configured (a message the relay could not take answers
// 500, so Telegram sends it again). Flood limits are waited out within caps (auto-retry).
import { autoRetry } from "@grammyjs/auto-retry";
import { sequentialize } from "@grammyjs/runner";
import type { Express, Request, Response } from "express";
import { Bot, BotError, GrammyError, webhookCallback } from "grammy";
import type { Message, Update, User, UserFromGetMe } from "grammy/types";
import type { Logger } from "pino";
import type {
  DoctorCheck,
  InboundMessage,
  InboundSink,
  PlatformAdapter,
  ReplyTarget,
  SentMessage,
  TypingHandle,
  UserProfile,
} from "../../src/adapter.js";
import { DEFAULTS } from "../../src/defaults.js";
import { ConfigError, DeliveryError, StoreError } from "../../src/errors.js";
import { loadExpress } from "../../src/http/express.js";
import { requireSecretHeader } from "../../src/http/guards.js";
import { notReadyGuard, Redactor, renewingIndicator } from "../../src/kit/index.js";
import { sharedStore } from "../../src/leadership.js";
import type { Store } from "../../src/store/types.js";
import { BOT_COMMANDS } from "./commands.js";
import { checkedWebhook, TELEGRAM_API_ROOT } from "./config.js";
import { chatIdOf, conversationKey, placement, updateKey } from "./conversation.js";
import { checkBotToken } from "./doctor.js";
import { isRenderingRejection, toDeliveryError } from "./errors.js";
import { classifyMessage, displayName } from "./inbound.js";
import { UpdatePoller } from "./polling.js";
import { PollingLeader } from "./polling-leader.js";
import { markdownToPlainText, markdownToTelegramHtml, splitPlain } from "./render.js";

export { BOT_COMMANDS } from "./commands.js";
export { markdownToPlainText, markdownToTelegramHtml } from "./render.js";

export interface TelegramAdapterOptions {
  token: string;
  /** Bot API server root (TELEGRAM_API_ROOT); defaults to https://api.telegram.org. */
  apiRoot?: string;
  /** Webhook mode (TELEGRAM_WEBHOOK_URL / TELEGRAM_WEBHOOK_SECRET) instead of long polling. */
  webhook?: { url: string; secret?: string };
  logger: Logger;
  /** The bot's own user, when known, saves a getMe call at start. */
  botInfo?: UserFromGetMe;
  /** How often "typing…" is renewed; Telegram shows it for about 5 seconds. */
  typingIntervalMs?: number;
  /** How long the assistant works before typing first shows (DEFAULTS.typingDelayMs). */
  typingDelayMs?: number;
  /** getUpdates long-poll timeout in seconds. */
  pollTimeoutSeconds?: number;
  /** How long and how often a 429 "retry after" is waited out before send() gives up. */
  floodControl?: { maxRetryAttempts: number; maxDelaySeconds: number };
  /** First wait before retrying a message the relay could not take (polling mode); doubles, capped at 30 s. */
  acceptRetryBaseMs?: number;
  /** Polling while a message is being retried: how often to ask Telegram for newer ones (default 1 s). */
  busyPollMs?: number;
  /** The bridge's store: when shared (not memory://), long polling runs on the replica holding the poller lock. */
  store?: Store;
  /** How long the poller lock outlives a crashed holder (PROCESS_LEASE_MS). */
  leaseMs?: number;
}

/**
 * A polled update that fails for a reason other than the store (a bug, a malformed update) is given
 * up after about six minutes of retries, so it cannot hold back its chat for ever. Store failures
 * are retried for as long as they last: Telegram keeps the update meanwhile.
 */
const ACCEPT_MAX_ATTEMPTS = 16;
const ACCEPT_MAX_DELAY_MS = 30_000;

/** Telegram's limit is 4096 characters after entity parsing; HTML escaping needs headroom. */
const MAX_MARKDOWN_CHUNK = 3800;
const TELEGRAM_TEXT_LIMIT = 4096;
const WEBHOOK_PATH = "/telegram/webhook";
const ALLOWED_UPDATES = ["message"] as const;
export const TEXT_ONLY_NOTICE = "I can only read text for now.";

export function createTelegramAdapter(options: TelegramAdapterOptions): PlatformAdapter {
  return new TelegramAdapter(options);
}

export class TelegramAdapter implements PlatformAdapter {
  readonly platform = "telegram" as const;
  readonly maxMessageLength = MAX_MARKDOWN_CHUNK;
  private readonly bot: Bot;
  private readonly logger: Logger;
  private readonly token: string;
  private readonly redactor: Redactor;
  private readonly webhook?: { url: string; secret: string };
  private sink?: InboundSink;
  private poller?: UpdatePoller;
  private pollingLeader?: PollingLeader;
  private ready = false;
  private mounted = false;
  /** Webhook mode only: long polling has no HTTP route, so the bridge need not serve one. */
  readonly mountHttp?: (app: Express) => void;
  /** Aborts grammY's getMe retries (it retries network errors without end) when stop() comes first. */
  private starting?: AbortController;
  /** Recent authors by id, for getProfile (bounded). */
  private readonly authors = new Map<string, User>();

  constructor(private readonly options: TelegramAdapterOptions) {
    if (!options.token) {
      throw new ConfigError("TELEGRAM_BOT_TOKEN is empty", [
        { variable: "TELEGRAM_BOT_TOKEN", problem: "empty", fix: "Set it to the token @BotFather gave you." },
      ]);
    }
    this.token = options.token;
    this.redactor = new Redactor([options.token]);
    this.logger = options.logger.child({ platform: "telegram" });
    if (options.webhook) {
      this.webhook = checkedWebhook(options.webhook);
      this.mountHttp = (app) => this.mountWebhook(app);
    }
    const botConfig: ConstructorParameters<typeof Bot>[1] = {
      client: { apiRoot: (options.apiRoot ?? TELEGRAM_API_ROOT).replace(/\/+$/, "") },
    };
    if (options.botInfo) botConfig.botInfo = options.botInfo;
    this.bot = new Bot(options.token, botConfig);
    const flood = options.floodControl ?? { maxRetryAttempts: 3, maxDelaySeconds: 60 };
    this.bot.api.config.use(
      autoRetry({ ...flood, rethrowHttpErrors: true, rethrowInternalServerErrors: true }),
    );
    this.bot.use(sequentialize(conversationKey));
    this.bot.on("message", (ctx) => this.onMessage(ctx.message));
  }

  private mountWebhook(app: Express): void {
    if (!this.webhook) return;
    this.mounted = true;
    const handle = webhookCallback(this.bot, "express", { secretToken: this.webhook.secret });
    app.post(
      WEBHOOK_PATH,
      notReadyGuard(() => this.ready, { ok: false, description: "bridge not ready" }),
      requireSecretHeader("x-telegram-bot-api-secret-token", this.webhook.secret),
      loadExpress().json({ limit: "1mb" }),
      async (req: Request, res: Response) => {
        try {
          await handle(req, res);
        } catch (error) {
          this.logger.warn(
            { err: this.redactor.error(error instanceof BotError ? error.error : error) },
            "could not take a Telegram update; answering 500 so Telegram sends it again",
          );
          if (!res.headersSent) res.status(500).json({ ok: false, description: "try again later" });
        }
      },
    );
  }

  async start(sink: InboundSink): Promise<void> {
    this.sink = sink;
    await this.init();
    const me = this.bot.botInfo;
    this.logger.info(
      { username: me.username, mode: this.webhook ? "webhook" : "polling" },
      `Telegram bot @${me.username} connected`,
    );
    this.logger.info(privacyNote(me));
    await this.bot.api.setMyCommands([...BOT_COMMANDS]).catch((error: unknown) => {
      this.logger.warn({ err: this.redactor.error(error) }, "could not register the bot's commands");
    });
    if (this.webhook) {
      if (!this.mounted) throw new Error("Telegram webhook mode: call mountHttp(app) before start()");
      await this.registerWebhook(this.webhook);
      this.ready = true;
      return;
    }
    await this.bot.api.deleteWebhook();
    if (sharedStore(this.options.store)) {
      this.pollingLeader = new PollingLeader({
        store: this.options.store,
        botId: me.id,
        logger: this.logger,
        makePoller: () => this.makePoller(),
        ...(this.options.leaseMs !== undefined && { leaseMs: this.options.leaseMs }),
        onPollingFailed: (error) =>
          this.logger.error({ err: this.redactor.error(error) }, "Telegram long polling stopped"),
      });
      this.ready = true;
      await this.pollingLeader.start();
      return;
    }
    const poller = this.makePoller();
    this.poller = poller;
    this.ready = true;
    poller.start().catch((error: unknown) => {
      this.ready = false;
      this.logger.error({ err: this.redactor.error(error) }, "Telegram long polling stopped");
    });
  }

  private makePoller(): UpdatePoller {
    return new UpdatePoller(this.bot, {
      timeoutSeconds: this.options.pollTimeoutSeconds ?? 30,
      allowedUpdates: ALLOWED_UPDATES,
      keyOf: updateKey,
      retryDelay: (error, update, attempt) => this.retryDelay(error, update, attempt),
      onFetchError: (error) =>
        this.logger.warn({ err: this.redactor.error(error) }, "getUpdates failed; polling again in 3 s"),
      ...(this.options.busyPollMs !== undefined && { busyPollMs: this.options.busyPollMs }),
    });
  }

  /** Stops intake; in polling mode waits for the messages being handed to the relay. */
  async stop(): Promise<void> {
    this.ready = false;
    this.starting?.abort();
    const poller = this.poller;
    this.poller = undefined;
    await poller?.stop();
    await this.pollingLeader?.stop();
  }

  /** Polling: not ready while a message waits to be retried (it is safe at Telegram meanwhile). */
  isReady(): boolean {
    if (!this.ready) return false;
    if (this.webhook) return true;
    if (this.pollingLeader) return this.pollingLeader.isReady();
    return this.poller?.isRunning() === true && !this.poller.hasRetries();
  }

  async send(target: ReplyTarget, markdown: string): Promise<SentMessage> {
    const html = await markdownToTelegramHtml(markdown);
    try {
      const sent = await this.bot.api.sendMessage(chatIdOf(target), html, {
        parse_mode: "HTML",
        ...placement(target),
      });
      return { messageId: String(sent.message_id) };
    } catch (error) {
      if (!isRenderingRejection(error)) throw toDeliveryError(error, this.token);
      this.logger.warn(
        { reason: (error as GrammyError).description },
        "Telegram refused the formatted reply; sending it as plain text",
      );
    }
    return this.sendPlain(target, (await markdownToPlainText(markdown)) || markdown);
  }

  startTyping(target: ReplyTarget): TypingHandle {
    const thread = target.conversation.threadId;
    const other = thread ? { message_thread_id: Number(thread) } : {};
    return renewingIndicator(
      (signal) => this.bot.api.sendChatAction(chatIdOf(target), "typing", other, grammySignal(signal)),
      {
        everyMs: this.options.typingIntervalMs ?? 4000,
        firstAfterMs: this.options.typingDelayMs ?? DEFAULTS.typingDelayMs,
        onError: (error) => this.logger.debug({ err: this.redactor.error(error) }, "typing indicator failed"),
      },
    );
  }

  async getProfile(message: InboundMessage): Promise<UserProfile | undefined> {
    const user = this.authors.get(message.author.id);
    if (!user)
      return { userId: message.author.id, ...(message.author.name && { displayName: message.author.name }) };
    const profile: UserProfile = { userId: String(user.id), displayName: displayName(user) };
    const realName = [user.first_name, user.last_name].filter(Boolean).join(" ");
    if (realName) profile.realName = realName;
    if (user.username) profile.username = user.username;
    if (user.language_code) profile.language = user.language_code;
    const attributes: Record<string, string> = {};
    if (user.username) attributes.telegram_username = user.username;
    if (user.is_premium) attributes.telegram_premium = "true";
    if (Object.keys(attributes).length > 0) profile.attributes = attributes;
    return profile;
  }

  doctor(): Promise<DoctorCheck[]> {
    return checkBotToken(this.bot.api, this.token);
  }

  private async init(): Promise<void> {
    try {
      this.starting = new AbortController();
      // grammY types its signal with the abort-controller polyfill; Node's own is what it receives.
      await this.bot.init(this.starting.signal as unknown as Parameters<Bot["init"]>[0]);
    } catch (error) {
      if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404)) {
        throw new ConfigError("Telegram rejected TELEGRAM_BOT_TOKEN", [
          {
            variable: "TELEGRAM_BOT_TOKEN",
            problem: `${error.error_code} ${error.description}`,
            fix: "Copy the bot's token from @BotFather into TELEGRAM_BOT_TOKEN.",
          },
        ]);
      }
      throw toDeliveryError(error, this.token);
    }
  }

  private async registerWebhook(webhook: { url: string; secret: string }): Promise<void> {
    try {
      await this.bot.api.setWebhook(webhook.url, {
        secret_token: webhook.secret,
        allowed_updates: [...ALLOWED_UPDATES],
      });
    } catch (error) {
      if (!(error instanceof GrammyError) || error.error_code !== 400)
        throw toDeliveryError(error, this.token);
      throw new ConfigError(`Telegram refused TELEGRAM_WEBHOOK_URL: ${error.description}`, [
        {
          variable: "TELEGRAM_WEBHOOK_URL",
          problem: error.description,
          fix: "Use a public HTTPS URL on port 443, 80, 88 or 8443 that forwards to /telegram/webhook.",
        },
      ]);
    }
  }

  private async onMessage(message: Message): Promise<void> {
    const classified = classifyMessage(message, this.bot.botInfo);
    if (classified.kind === "skip") return;
    if (classified.kind === "non-text") {
      this.sendPlain(classified.replyTarget, TEXT_ONLY_NOTICE).catch((error: unknown) => {
        this.logger.warn({ err: this.redactor.error(error) }, "could not answer a non-text message");
      });
      return;
    }
    if (!this.sink) throw new Error("Telegram update arrived before the adapter was started");
    if (message.from) this.remember(message.from);
    await this.sink.accept(classified.message);
  }

  /** Polling: when to try a failed update again; undefined gives it up (logged as lost). */
  private retryDelay(error: unknown, update: Update, attempt: number): number | undefined {
    const storeTrouble = error instanceof StoreError || isRetryable(error);
    const context = { err: this.redactor.error(error), attempt, updateId: update.update_id };
    if (!storeTrouble && attempt >= ACCEPT_MAX_ATTEMPTS) {
      this.logger.error(context, "gave up on a Telegram message the bridge could not handle; it is lost");
      return undefined;
    }
    this.logger.warn(
      context,
      "the relay could not take a Telegram message yet; trying again (Telegram keeps it meanwhile)",
    );
    const base = this.options.acceptRetryBaseMs ?? 250;
    return Math.min(base * 2 ** (Math.min(attempt, 20) - 1), ACCEPT_MAX_DELAY_MS);
  }

  private async sendPlain(target: ReplyTarget, text: string): Promise<SentMessage> {
    let first: SentMessage | undefined;
    for (const piece of splitPlain(text, TELEGRAM_TEXT_LIMIT)) {
      try {
        const sent = await this.bot.api.sendMessage(chatIdOf(target), piece, placement(target));
        first ??= { messageId: String(sent.message_id) };
      } catch (error) {
        throw toDeliveryError(error, this.token);
      }
    }
    if (!first) throw new DeliveryError("Nothing to send: the reply is empty", false);
    return first;
  }

  private remember(user: User): void {
    const id = String(user.id);
    this.authors.delete(id);
    this.authors.set(id, user);
    if (this.authors.size > 5000) this.authors.delete(this.authors.keys().next().value as string);
  }
}

function privacyNote(me: UserFromGetMe): string {
  return me.can_read_all_group_messages
    ? "Telegram privacy mode is off: the bot receives all group messages but answers only mentions, replies to it and its commands"
    : "Telegram privacy mode is on: in groups the bot answers when @mentioned, replied to, or sent one of its commands";
}

/** A failure that says it may pass (the store's, or another retryable bridge error). */
function isRetryable(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { retryable?: unknown }).retryable === true;
}

/** grammY types its signal parameter with the abort-controller polyfill; Node's own signal works. */
function grammySignal(signal: AbortSignal): Parameters<Bot["api"]["sendChatAction"]>[3] {
  return signal as unknown as Parameters<Bot["api"]["sendChatAction"]>[3];
}
