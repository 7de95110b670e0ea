// A Telegram Bot API server on 127.0.0.1 for tests: the methods grammY and the bridge use, with the
// real server's replies, errors and limits, long polling and webhook pushes; plus the users' side
// (people and other bots writing in private chats, groups and forum topics) and an event record of
// everything the bot did ("botMessage", "chatAction", "commandsSet", "webhookDelivery", "call",
// "pollWaiting" when a long poll is held, "handedOut" with the update ids each time updates are
// given to the bot by getUpdates or a webhook push).
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type MessageEntity, parseTelegramHtml } from "./html-entities.js";

export type { MessageEntity } from "./html-entities.js";

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface TgChat {
  id: number;
  type: "private" | "group" | "supergroup";
  title?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
  is_forum?: boolean;
}

export interface TgMessage {
  message_id: number;
  date: number;
  chat: TgChat;
  from?: TgUser;
  text?: string;
  entities?: MessageEntity[];
  caption?: string;
  caption_entities?: MessageEntity[];
  photo?: Array<{ file_id: string; file_unique_id: string; width: number; height: number }>;
  sticker?: Record<string, unknown>;
  message_thread_id?: number;
  is_topic_message?: boolean;
  reply_to_message?: TgMessage;
  forum_topic_created?: { name: string; icon_color: number };
  edit_date?: number;
}

export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  edited_message?: TgMessage;
}

/** What the emulator reports for each message the bot posted or edited. */
export interface BotMessageEvent {
  method: "sendMessage" | "editMessageText";
  chatId: number;
  threadId?: number;
  messageId: number;
  /** The text as users see it (entities parsed away). */
  text: string;
  /** The text exactly as the bot sent it. */
  rawText: string;
  parseMode?: string;
  entities: MessageEntity[];
  replyToMessageId?: number;
}

export interface ChatActionEvent {
  chatId: number;
  threadId?: number;
  action: string;
}

export interface ApiCallEvent {
  method: string;
  params: Record<string, unknown>;
  status: number;
}

type Params = Record<string, unknown>;
type ApiReply = { status: number; body: Record<string, unknown> } | "drop";

interface ScriptedFailure {
  method: string;
  remaining: number;
  reply: ApiReply;
}

interface Poller {
  offset: number;
  limit: number;
  finish: (reply: ApiReply) => void;
}

const CHAT_ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);

const MAX_TEXT = 4096;
const WEBHOOK_SECRET_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;

export interface TelegramEmulatorOptions {
  token?: string;
  botUsername?: string;
  botName?: string;
  /** Privacy mode on (the default for new bots): can_read_all_group_messages is false. */
  privacyMode?: boolean;
  /** Wait before pushing a refused webhook update again (Telegram backs off similarly, but longer). */
  webhookRetryMs?: number;
}

export class TelegramEmulator extends EventEmitter {
  readonly token: string;
  readonly bot: TgUser;
  private readonly privacyMode: boolean;
  private readonly webhookRetryMs: number;
  private webhookRetry?: NodeJS.Timeout;
  private server?: Server;
  private port = 0;
  private nextUpdateId = 1;
  private nextUserId = 1000;
  private nextGroupId = 5000;
  private updates: TgUpdate[] = [];
  private allowedUpdates?: string[];
  private pollers = new Set<Poller>();
  private webhook?: { url: string; secret?: string };
  private pushing = false;
  private readonly chats = new Map<number, TgChat>();
  private readonly messages = new Map<string, TgMessage>();
  private readonly lastMessageId = new Map<number, number>();
  private readonly blockedBy = new Set<number>();
  private readonly topics = new Map<number, Set<number>>();
  private failures: ScriptedFailure[] = [];
  private commands: Array<{ command: string; description: string }> = [];
  /** Every message the bot sent, in order. */
  readonly sent: BotMessageEvent[] = [];
  /** Every chat action the bot sent, in order. */
  readonly actions: ChatActionEvent[] = [];
  /** Every API call the bot made (method and parameters), in order. */
  readonly calls: ApiCallEvent[] = [];

  constructor(options: TelegramEmulatorOptions = {}) {
    super();
    this.token = options.token ?? "123456:TEST-token-abcdefghijklmnopqrstuvwxyz";
    this.privacyMode = options.privacyMode ?? true;
    this.webhookRetryMs = options.webhookRetryMs ?? 100;
    this.bot = {
      id: Number(this.token.split(":")[0]) || 123456,
      is_bot: true,
      first_name: options.botName ?? "Bridge Bot",
      username: options.botUsername ?? "bridge_test_bot",
    };
  }

  /** Starts listening on 127.0.0.1 (ephemeral port) and returns the API root for grammY. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.apiRoot;
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    clearTimeout(this.webhookRetry);
    this.webhook = undefined;
    for (const poller of this.pollers) poller.finish({ status: 200, body: { ok: true, result: [] } });
    this.pollers.clear();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- the users' side -------------------------------------------------------------------------

  createUser(fields: Partial<Omit<TgUser, "id">> = {}): TgUser {
    const id = this.nextUserId++;
    return {
      id,
      is_bot: false,
      first_name: `User${id}`,
      username: `user${id}`,
      language_code: "en",
      ...fields,
    };
  }

  /** The private chat between a user and the bot (its id is the user's id, as on Telegram). */
  privateChat(user: TgUser): TgChat {
    const existing = this.chats.get(user.id);
    if (existing) return existing;
    const chat: TgChat = { id: user.id, type: "private", first_name: user.first_name };
    if (user.username) chat.username = user.username;
    if (user.last_name) chat.last_name = user.last_name;
    this.chats.set(chat.id, chat);
    return chat;
  }

  /** A group the bot is a member of; forum: a supergroup with topics. */
  createGroup(options: { title?: string; supergroup?: boolean; forum?: boolean } = {}): TgChat {
    const n = this.nextGroupId++;
    const supergroup = options.supergroup || options.forum;
    const chat: TgChat = {
      id: supergroup ? -(1_000_000_000_000 + n) : -n,
      type: supergroup ? "supergroup" : "group",
      title: options.title ?? `Group ${n}`,
    };
    if (options.forum) chat.is_forum = true;
    this.chats.set(chat.id, chat);
    return chat;
  }

  /** Opens a forum topic; returns its message_thread_id (the id of the topic's service message). */
  createTopic(chat: TgChat, creator: TgUser, name = "Topic"): number {
    if (!chat.is_forum) throw new Error("topics exist only in forum supergroups");
    const message = this.store({
      message_id: this.nextMessageId(chat.id),
      date: now(),
      chat,
      from: creator,
      forum_topic_created: { name, icon_color: 7322096 },
    });
    message.message_thread_id = message.message_id;
    message.is_topic_message = true;
    let set = this.topics.get(chat.id);
    if (!set) {
      set = new Set();
      this.topics.set(chat.id, set);
    }
    set.add(message.message_id);
    return message.message_id;
  }

  /** The user blocks the bot: sends to their private chat fail with 403. */
  blockBot(user: TgUser): void {
    this.blockedBy.add(user.id);
  }

  /**
   * A user (or another bot) writes a text message. Mentions (@name) and /commands are detected as
   * entities the way Telegram does unless `entities` is given.
   */
  userSays(
    chat: TgChat,
    from: TgUser,
    text: string,
    options: { entities?: MessageEntity[]; replyTo?: number; threadId?: number } = {},
  ): TgMessage {
    const message = this.newUserMessage(chat, from, options);
    message.text = text;
    const entities = options.entities ?? detectEntities(text);
    if (entities.length > 0) message.entities = entities;
    this.enqueue({ message });
    return message;
  }

  /** A user sends a photo (or sticker), with or without a caption. */
  userSendsMedia(
    chat: TgChat,
    from: TgUser,
    kind: "photo" | "sticker",
    options: { caption?: string; replyTo?: number; threadId?: number } = {},
  ): TgMessage {
    const message = this.newUserMessage(chat, from, options);
    if (kind === "photo") {
      message.photo = [
        { file_id: `photo-${message.message_id}`, file_unique_id: "p1", width: 90, height: 90 },
      ];
    } else {
      message.sticker = { file_id: `sticker-${message.message_id}`, emoji: "👍", type: "regular" };
    }
    if (options.caption !== undefined && kind === "photo") {
      message.caption = options.caption;
      const entities = detectEntities(options.caption);
      if (entities.length > 0) message.caption_entities = entities;
    }
    this.enqueue({ message });
    return message;
  }

  /** The author edits an earlier message: arrives as an edited_message update. */
  userEdits(message: TgMessage, text: string): TgMessage {
    const edited: TgMessage = { ...message, text, edit_date: now() };
    const entities = detectEntities(text);
    if (entities.length > 0) edited.entities = entities;
    else delete edited.entities;
    this.messages.set(key(message.chat.id, message.message_id), edited);
    this.enqueue({ edited_message: edited });
    return edited;
  }

  /** The message the bot sent with this id, as stored (for replying to it). */
  message(chatId: number, messageId: number): TgMessage | undefined {
    return this.messages.get(key(chatId, messageId));
  }

  // ---- scripting failures ----------------------------------------------------------------------

  /** The next `times` calls of `method` answer 429 "Too Many Requests: retry after N". */
  floodNext(method: string, retryAfterSeconds: number, times = 1): void {
    this.scriptFailure(method, times, {
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${retryAfterSeconds}`,
        parameters: { retry_after: retryAfterSeconds },
      },
    });
  }

  /** The next `times` calls of `method` answer with this Bot API error. */
  failNext(method: string, errorCode: number, description: string, times = 1): void {
    this.scriptFailure(method, times, {
      status: errorCode,
      body: { ok: false, error_code: errorCode, description },
    });
  }

  /** The next call of `method` has its connection dropped before any answer. */
  dropNextConnection(method: string, times = 1): void {
    this.scriptFailure(method, times, "drop");
  }

  private scriptFailure(method: string, times: number, reply: ApiReply): void {
    this.failures.push({ method, remaining: times, reply });
  }

  get registeredCommands(): Array<{ command: string; description: string }> {
    return [...this.commands];
  }

  get webhookInfo(): { url: string; hasSecret: boolean; pendingUpdateCount: number } {
    return {
      url: this.webhook?.url ?? "",
      hasSecret: Boolean(this.webhook?.secret),
      pendingUpdateCount: this.updates.length,
    };
  }

  // ---- HTTP --------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec((req.url ?? "").split("?")[0] ?? "");
    if (!match)
      return send(res, { status: 404, body: { ok: false, error_code: 404, description: "Not Found" } });
    const [, token, method] = match as unknown as [string, string, string];
    let params: Params;
    try {
      params = await readParams(req);
    } catch {
      return send(res, badRequest("Bad Request: can't parse request body"));
    }
    if (token !== this.token) {
      return send(res, { status: 401, body: { ok: false, error_code: 401, description: "Unauthorized" } });
    }
    const scripted = this.takeFailure(method);
    const reply = scripted ?? (await this.call(method, params, res));
    this.calls.push({ method, params, status: reply === "drop" ? 0 : reply.status });
    this.emit("call", this.calls[this.calls.length - 1]);
    if (reply === "drop") {
      req.socket.destroy();
      return;
    }
    send(res, reply);
  }

  private takeFailure(method: string): ApiReply | undefined {
    const failure = this.failures.find((f) => f.method === method && f.remaining > 0);
    if (!failure) return undefined;
    failure.remaining -= 1;
    if (failure.remaining === 0) this.failures.splice(this.failures.indexOf(failure), 1);
    return failure.reply;
  }

  private call(method: string, params: Params, res: ServerResponse): ApiReply | Promise<ApiReply> {
    switch (method) {
      case "getMe":
        return ok({
          ...this.bot,
          can_join_groups: true,
          can_read_all_group_messages: !this.privacyMode,
          supports_inline_queries: false,
        });
      case "getUpdates":
        return this.getUpdates(params, res);
      case "setWebhook":
        return this.setWebhook(params);
      case "deleteWebhook":
        this.webhook = undefined;
        if (params.drop_pending_updates === true) this.updates = [];
        return ok(true);
      case "getWebhookInfo":
        return ok({ url: this.webhook?.url ?? "", pending_update_count: this.updates.length });
      case "sendMessage":
        return this.sendMessage(params);
      case "editMessageText":
        return this.editMessageText(params);
      case "sendChatAction":
        return this.sendChatAction(params);
      case "setMyCommands":
        return this.setMyCommands(params);
      case "getMyCommands":
        return ok(this.commands);
      case "getChat":
        return this.getChat(params);
      default:
        return { status: 404, body: { ok: false, error_code: 404, description: "Not Found" } };
    }
  }

  private getUpdates(params: Params, res: ServerResponse): ApiReply | Promise<ApiReply> {
    if (this.webhook) {
      return conflict(
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    if (Array.isArray(params.allowed_updates)) this.allowedUpdates = params.allowed_updates as string[];
    const offset = toInt(params.offset) ?? 0;
    const limit = Math.min(100, Math.max(1, toInt(params.limit) ?? 100));
    const timeout = Math.max(0, toInt(params.timeout) ?? 0);
    if (offset > 0) this.updates = this.updates.filter((u) => u.update_id >= offset);
    for (const other of this.pollers) {
      other.finish(
        conflict(
          "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
        ),
      );
    }
    const ready = this.updates.slice(0, limit);
    if (ready.length > 0) this.handOut(ready);
    if (ready.length > 0 || timeout === 0) return ok(ready);
    return new Promise<ApiReply>((resolve) => {
      const poller: Poller = {
        offset,
        limit,
        finish: (reply) => {
          clearTimeout(timer);
          this.pollers.delete(poller);
          resolve(reply);
        },
      };
      const timer = setTimeout(() => poller.finish(ok([])), timeout * 1000);
      res.once("close", () => poller.finish(ok([])));
      this.pollers.add(poller);
      this.emit("pollWaiting", { offset, timeout });
    });
  }

  private setWebhook(params: Params): ApiReply {
    const url = typeof params.url === "string" ? params.url : "";
    const secret = typeof params.secret_token === "string" ? params.secret_token : undefined;
    if (secret !== undefined && !WEBHOOK_SECRET_PATTERN.test(secret)) {
      return badRequest("Bad Request: secret token contains unallowed characters");
    }
    if (url === "") {
      this.webhook = undefined;
      return ok(true);
    }
    if (!/^https?:\/\//.test(url))
      return badRequest("Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
    if (Array.isArray(params.allowed_updates)) this.allowedUpdates = params.allowed_updates as string[];
    if (params.drop_pending_updates === true) this.updates = [];
    this.webhook = secret ? { url, secret } : { url };
    for (const poller of this.pollers) poller.finish(conflict("Conflict: terminated by setWebhook request"));
    void this.pushToWebhook();
    return ok(true);
  }

  private sendMessage(params: Params): ApiReply {
    const chat = this.chatFor(params.chat_id);
    if ("status" in chat) return chat;
    const rendered = renderText(params);
    if ("status" in rendered) return rendered;
    const threadId = toInt(params.message_thread_id);
    if (threadId !== undefined && chat.is_forum && !this.topics.get(chat.id)?.has(threadId)) {
      return badRequest("Bad Request: message thread not found");
    }
    const replyParams = (params.reply_parameters ?? undefined) as
      | { message_id?: number; allow_sending_without_reply?: boolean }
      | undefined;
    let replyTo: TgMessage | undefined;
    if (replyParams?.message_id !== undefined) {
      replyTo = this.messages.get(key(chat.id, replyParams.message_id));
      if (!replyTo && !replyParams.allow_sending_without_reply) {
        return badRequest("Bad Request: message to be replied not found");
      }
    }
    const message: TgMessage = {
      message_id: this.nextMessageId(chat.id),
      from: { ...this.bot },
      chat,
      date: now(),
      text: rendered.text,
    };
    if (rendered.entities.length > 0) message.entities = rendered.entities;
    if (threadId !== undefined && chat.is_forum) {
      message.message_thread_id = threadId;
      message.is_topic_message = true;
    }
    if (replyTo) message.reply_to_message = replyTo;
    this.store(message);
    const event: BotMessageEvent = {
      method: "sendMessage",
      chatId: chat.id,
      messageId: message.message_id,
      text: rendered.text,
      rawText: String(params.text),
      entities: rendered.entities,
    };
    if (message.message_thread_id !== undefined) event.threadId = message.message_thread_id;
    if (typeof params.parse_mode === "string") event.parseMode = params.parse_mode;
    if (replyTo) event.replyToMessageId = replyTo.message_id;
    this.sent.push(event);
    this.emit("botMessage", event);
    return ok(message);
  }

  private editMessageText(params: Params): ApiReply {
    const chat = this.chatFor(params.chat_id);
    if ("status" in chat) return chat;
    const existing = this.messages.get(key(chat.id, toInt(params.message_id) ?? -1));
    if (!existing || existing.from?.id !== this.bot.id)
      return badRequest("Bad Request: message to edit not found");
    const rendered = renderText(params);
    if ("status" in rendered) return rendered;
    if (rendered.text === existing.text) {
      return badRequest(
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
      );
    }
    const edited: TgMessage = { ...existing, text: rendered.text, edit_date: now() };
    if (rendered.entities.length > 0) edited.entities = rendered.entities;
    else delete edited.entities;
    this.store(edited);
    const event: BotMessageEvent = {
      method: "editMessageText",
      chatId: chat.id,
      messageId: edited.message_id,
      text: rendered.text,
      rawText: String(params.text),
      entities: rendered.entities,
    };
    if (edited.message_thread_id !== undefined) event.threadId = edited.message_thread_id;
    if (typeof params.parse_mode === "string") event.parseMode = params.parse_mode;
    this.sent.push(event);
    this.emit("botMessage", event);
    return ok(edited);
  }

  private sendChatAction(params: Params): ApiReply {
    const chat = this.chatFor(params.chat_id);
    if ("status" in chat) return chat;
    const action = String(params.action ?? "");
    if (!CHAT_ACTIONS.has(action)) return badRequest("Bad Request: wrong parameter action in request");
    const event: ChatActionEvent = { chatId: chat.id, action };
    const threadId = toInt(params.message_thread_id);
    if (threadId !== undefined) event.threadId = threadId;
    this.actions.push(event);
    this.emit("chatAction", event);
    return ok(true);
  }

  private setMyCommands(params: Params): ApiReply {
    const commands = params.commands;
    if (!Array.isArray(commands)) return badRequest('Bad Request: parameter "commands" is required');
    if (commands.length > 100) return badRequest("Bad Request: too many commands");
    for (const c of commands as Array<{ command?: unknown; description?: unknown }>) {
      if (typeof c.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(c.command)) {
        return badRequest("Bad Request: BOT_COMMAND_INVALID");
      }
      if (typeof c.description !== "string" || c.description.length < 1 || c.description.length > 256) {
        return badRequest("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID");
      }
    }
    this.commands = (commands as Array<{ command: string; description: string }>).map((c) => ({
      command: c.command,
      description: c.description,
    }));
    this.emit("commandsSet", this.registeredCommands);
    return ok(true);
  }

  private getChat(params: Params): ApiReply {
    const chat = this.chatFor(params.chat_id);
    if ("status" in chat) return chat;
    return ok(chat);
  }

  private chatFor(chatId: unknown): TgChat | { status: number; body: Record<string, unknown> } {
    const chat = this.chats.get(toInt(chatId) ?? Number.NaN);
    if (!chat) return badRequest("Bad Request: chat not found");
    if (chat.type === "private" && this.blockedBy.has(chat.id)) {
      return {
        status: 403,
        body: { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" },
      };
    }
    return chat;
  }

  // ---- updates -----------------------------------------------------------------------------------

  private newUserMessage(
    chat: TgChat,
    from: TgUser,
    options: { replyTo?: number; threadId?: number },
  ): TgMessage {
    const message: TgMessage = { message_id: this.nextMessageId(chat.id), date: now(), chat, from };
    if (options.threadId !== undefined) {
      message.message_thread_id = options.threadId;
      message.is_topic_message = true;
    }
    const replyId = options.replyTo ?? options.threadId;
    if (replyId !== undefined) {
      const replied = this.messages.get(key(chat.id, replyId));
      if (!replied) throw new Error(`no message ${replyId} in chat ${chat.id} to reply to`);
      message.reply_to_message = stripReply(replied);
    }
    return this.store(message);
  }

  private enqueue(fields: Omit<TgUpdate, "update_id">): void {
    const type = Object.keys(fields)[0]!;
    if (this.allowedUpdates && this.allowedUpdates.length > 0 && !this.allowedUpdates.includes(type)) return;
    const update: TgUpdate = { update_id: this.nextUpdateId++, ...fields };
    this.updates.push(update);
    this.emit("update", update);
    if (this.webhook) {
      void this.pushToWebhook();
      return;
    }
    for (const poller of this.pollers) {
      const ready = this.updates.filter((u) => u.update_id >= poller.offset).slice(0, poller.limit);
      if (ready.length > 0) {
        this.handOut(ready);
        poller.finish(ok(ready));
      }
    }
  }

  private handOut(updates: TgUpdate[]): void {
    this.emit("handedOut", { updateIds: updates.map((u) => u.update_id) });
  }

  /** Posts pending updates to the webhook in order; a refused update stays first and is pushed again. */
  private async pushToWebhook(): Promise<void> {
    if (this.pushing) return;
    this.pushing = true;
    try {
      while (this.webhook && this.updates.length > 0) {
        const update = this.updates[0]!;
        const { url, secret } = this.webhook;
        let status = 0;
        try {
          const headers: Record<string, string> = { "content-type": "application/json" };
          if (secret) headers["x-telegram-bot-api-secret-token"] = secret;
          this.handOut([update]);
          const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(update) });
          status = response.status;
          await response.arrayBuffer();
        } catch {
          status = 0;
        }
        this.emit("webhookDelivery", { updateId: update.update_id, status });
        if (status < 200 || status >= 300) {
          clearTimeout(this.webhookRetry);
          this.webhookRetry = setTimeout(() => void this.pushToWebhook(), this.webhookRetryMs);
          break;
        }
        this.updates.shift();
      }
    } finally {
      this.pushing = false;
    }
  }

  private nextMessageId(chatId: number): number {
    const next = (this.lastMessageId.get(chatId) ?? 0) + 1;
    this.lastMessageId.set(chatId, next);
    return next;
  }

  private store(message: TgMessage): TgMessage {
    this.messages.set(key(message.chat.id, message.message_id), message);
    return message;
  }
}

/** Mentions and bot commands in user text, found the way Telegram's servers find them. */
export function detectEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  for (const m of text.matchAll(/(^|\s)(@[A-Za-z][A-Za-z0-9_]{4,31})\b/g)) {
    entities.push({ type: "mention", offset: m.index + m[1]!.length, length: m[2]!.length });
  }
  for (const m of text.matchAll(/(^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z][A-Za-z0-9_]{4,31})?)(?=\s|$)/g)) {
    entities.push({ type: "bot_command", offset: m.index + m[1]!.length, length: m[2]!.length });
  }
  return entities.sort((a, b) => a.offset - b.offset);
}

function renderText(
  params: Params,
): { text: string; entities: MessageEntity[] } | { status: number; body: Record<string, unknown> } {
  const raw = typeof params.text === "string" ? params.text : "";
  let text = raw;
  let entities: MessageEntity[] = [];
  const mode = typeof params.parse_mode === "string" ? params.parse_mode : undefined;
  if (mode !== undefined && mode.toLowerCase() === "html") {
    const parsed = parseTelegramHtml(raw);
    if (!parsed.ok) return badRequest(`Bad Request: can't parse entities: ${parsed.reason}`);
    text = parsed.text;
    entities = parsed.entities;
  } else if (mode !== undefined && mode !== "") {
    return badRequest(`Bad Request: unsupported parse_mode "${mode}" in this emulator`);
  }
  if (text.trim().length === 0) return badRequest("Bad Request: message text is empty");
  if (text.length > MAX_TEXT) return badRequest("Bad Request: message is too long");
  return { text, entities };
}

function stripReply(message: TgMessage): TgMessage {
  const { reply_to_message: _, ...rest } = message;
  return rest;
}

async function readParams(req: IncomingMessage): Promise<Params> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  const type = req.headers["content-type"] ?? "";
  const query = Object.fromEntries(new URL(req.url ?? "/", "http://x").searchParams);
  if (body.length === 0) return decodeFields(query);
  if (type.includes("application/json")) return { ...query, ...(JSON.parse(body) as Params) };
  if (type.includes("application/x-www-form-urlencoded")) {
    return decodeFields({ ...query, ...Object.fromEntries(new URLSearchParams(body)) });
  }
  if (type.includes("multipart/form-data")) return decodeFields({ ...query, ...parseMultipart(body, type) });
  throw new Error("unsupported content type");
}

/** Form fields arrive as strings; objects and arrays in them are JSON, as the Bot API accepts. */
function decodeFields(fields: Record<string, string>): Params {
  const out: Params = {};
  for (const [name, value] of Object.entries(fields)) {
    out[name] = /^[[{]/.test(value) || value === "true" || value === "false" ? safeJson(value) : value;
  }
  return out;
}

function parseMultipart(body: string, contentType: string): Record<string, string> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) throw new Error("multipart without boundary");
  const fields: Record<string, string> = {};
  for (const part of body.split(`--${marker}`)) {
    const name = /name="([^"]+)"/.exec(part)?.[1];
    const split = part.indexOf("\r\n\r\n");
    if (!name || split < 0 || /filename=/.test(part.slice(0, split))) continue;
    fields[name] = part.slice(split + 4).replace(/\r\n$/, "");
  }
  return fields;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function toInt(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}

function ok(result: unknown): ApiReply {
  return { status: 200, body: { ok: true, result } };
}

function badRequest(description: string): { status: number; body: Record<string, unknown> } {
  return { status: 400, body: { ok: false, error_code: 400, description } };
}

function conflict(description: string): ApiReply {
  return { status: 409, body: { ok: false, error_code: 409, description } };
}

function send(res: ServerResponse, reply: Exclude<ApiReply, "drop">): void {
  if (res.writableEnded || res.destroyed) return;
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

function key(chatId: number, messageId: number): string {
  return `${chatId}:${messageId}`;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
