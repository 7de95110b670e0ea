// A Slack server on 127.0.0.1 for tests. The Web API methods the bridge uses (HTTP 200 JSON ok/error,
// form or JSON bodies, Bearer tokens, Slack's error codes and text limits, scripted 429s), a Socket
// Mode websocket (hello, envelopes with envelope_id and retry_attempt, ack tracking, redelivery,
// disconnect), Events API delivery over signed HTTP, and the OAuth v2 install (authorize page and
// oauth.v2.access). The users' side (people and other bots writing, editing, joining, running slash
// commands) is driven from tests; everything the bot does is recorded and emitted: "botMessage",
// "ephemeral", "status", "call", "ack", "envelope", "socketConnected".
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { postSigned, type SignedPostOptions } from "./signer.js";

export interface SlackWorkspace {
  id: string;
  name: string;
  domain: string;
  botToken: string;
  botUserId: string;
  botId: string;
  /** Scopes granted to the bot; users.info returns email only with users:read.email. */
  scopes: string[];
}

export interface SlackUser {
  id: string;
  teamId: string;
  name: string;
  realName: string;
  displayName: string;
  email?: string;
  tz: string;
  isBot: boolean;
  botId?: string;
}

export interface SlackChannel {
  id: string;
  teamId: string;
  name?: string;
  isIm: boolean;
  isPrivate: boolean;
  /** The other party of a DM. */
  user?: string;
  botIsMember: boolean;
}

interface StoredMessage {
  ts: string;
  channel: string;
  text: string;
  user?: string;
  botId?: string;
  threadTs?: string;
}

/** Something the bot posted or changed, as users would see it. */
export interface BotMessageEvent {
  method: "chat.postMessage" | "chat.update" | "chat.delete";
  teamId: string;
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  /** Who Slack would notify: "channel", "here", "everyone", "subteam:S…", "user:U…" (none for a delete). */
  pings: string[];
}

export interface StatusEvent {
  channel: string;
  threadTs: string;
  status: string;
}

export interface EphemeralEvent {
  channel: string;
  user: string;
  text: string;
}

export interface ApiCallEvent {
  method: string;
  params: Record<string, string>;
  status: number;
  error?: string;
}

export interface AckEvent {
  envelopeId: string;
  payload: Record<string, unknown>;
}

/** An Events API `event_callback` body as Slack sends it. */
export interface EventCallback {
  token: string;
  team_id: string;
  api_app_id: string;
  type: "event_callback";
  event_id: string;
  event_time: number;
  event: Record<string, unknown>;
  authorizations: Array<Record<string, unknown>>;
  is_ext_shared_channel: boolean;
}

/** How Slack reached the app with one delivery. */
export interface DeliveryResult {
  /** HTTP mode: the app's response. */
  status?: number;
  body?: string;
  /** Socket Mode: the envelope sent. */
  envelopeId?: string;
}

export type DeliveryOptions = Omit<SignedPostOptions, "retryNum"> & { retryNum?: number };

type Transport = { kind: "none" } | { kind: "socket" } | { kind: "http"; url: string; signingSecret: string };

/** Slack retries an unacknowledged event three times. */
export const SOCKET_MAX_RETRIES = 3;

/** One envelope written to the app's websocket (a first delivery or a redelivery). */
export interface EnvelopeEvent {
  envelopeId: string;
  type: string;
  retryAttempt: number;
}

/** Slack refuses message text over 40,000 characters with msg_too_long. */
export const SLACK_TEXT_LIMIT = 40_000;
const APP_ID = "A0BRIDGE";

export class SlackEmulator extends EventEmitter {
  readonly workspace: SlackWorkspace;
  readonly appToken: string;
  readonly clientId = "1111.2222";
  readonly clientSecret = "emulated-client-secret";
  /** Everything the bot posted, updated or deleted, in order. */
  readonly sent: BotMessageEvent[] = [];
  readonly statuses: StatusEvent[] = [];
  readonly ephemerals: EphemeralEvent[] = [];
  readonly calls: ApiCallEvent[] = [];
  readonly acks = new Map<string, Record<string, unknown>>();
  /** Whether the bot's own posts come back to it as message events (as they do on Slack). */
  echoBotMessages = true;
  /**
   * Socket Mode: an events_api envelope not acknowledged within this many ms is sent again under the
   * same envelope_id with retry_attempt + 1, at most SOCKET_MAX_RETRIES times, as Slack does. Off when unset.
   */
  redeliverUnackedMs?: number;
  /** Workspace the next OAuth approval installs the app into (a new one when unset). */
  nextInstallWorkspace?: SlackWorkspace;
  /** The Redirect URL set in the app's settings: where Slack sends the browser when the authorize link names none. */
  appRedirectUrl?: string;
  private readonly workspaces = new Map<string, SlackWorkspace>();
  private readonly users = new Map<string, SlackUser>();
  private readonly channels = new Map<string, SlackChannel>();
  private readonly messages = new Map<string, StoredMessage[]>();
  private readonly codes = new Map<string, SlackWorkspace>();
  private readonly tickets = new Set<string>();
  private readonly envelopes = new Map<string, { type: string; payload: unknown; retryAttempt: number }>();
  private readonly rateLimits = new Map<string, { remaining: number; retryAfterSec: number }>();
  private readonly sockets = new Set<WebSocket>();
  private readonly redeliveries = new Map<string, NodeJS.Timeout>();
  private transport: Transport = { kind: "none" };
  private server?: Server;
  private wss?: WebSocketServer;
  private port = 0;
  private counter = 0;
  private clock = Math.floor(Date.now() / 1000);

  constructor() {
    super();
    this.workspace = this.createWorkspace("Emulated Team");
    this.appToken = `xapp-1-${APP_ID}-${randomBytes(8).toString("hex")}`;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** Starts listening; resolves with the Web API root (SLACK_API_URL). */
  async start(): Promise<string> {
    this.wss = new WebSocketServer({ noServer: true });
    this.server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
    this.server.on("upgrade", (req, socket, head) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const ticket = url.searchParams.get("ticket") ?? "";
      if (url.pathname !== "/socket" || !this.tickets.delete(ticket)) {
        socket.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
        return;
      }
      this.wss?.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.apiUrl;
  }

  async close(): Promise<void> {
    for (const timer of this.redeliveries.values()) clearTimeout(timer);
    this.redeliveries.clear();
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    this.wss?.close();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- the world: workspaces, people, channels -------------------------------------------------

  createWorkspace(name: string): SlackWorkspace {
    const n = this.workspaces.size + 1;
    const ws: SlackWorkspace = {
      id: `T${String(n).padStart(4, "0")}`,
      name,
      domain: name.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
      botToken: `xoxb-${n}-${randomBytes(10).toString("hex")}`,
      botUserId: `U0BOT${n}`,
      botId: `B0BOT${n}`,
      scopes: [
        "app_mentions:read",
        "chat:write",
        "im:history",
        "channels:history",
        "users:read",
        "users:read.email",
      ],
    };
    this.workspaces.set(ws.id, ws);
    return ws;
  }

  createUser(fields: Partial<Omit<SlackUser, "id">> & { name: string }): SlackUser {
    const isBot = fields.isBot ?? false;
    const id = `U${String(++this.counter).padStart(6, "0")}`;
    const user: SlackUser = {
      id,
      teamId: fields.teamId ?? this.workspace.id,
      name: fields.name,
      realName: fields.realName ?? fields.name,
      displayName: fields.displayName ?? fields.name,
      tz: fields.tz ?? "Europe/London",
      isBot,
      ...(fields.email !== undefined && { email: fields.email }),
      ...(isBot && { botId: fields.botId ?? `B${id.slice(1)}` }),
    };
    this.users.set(id, user);
    return user;
  }

  createChannel(
    name: string,
    options: { botIsMember?: boolean; isPrivate?: boolean; teamId?: string } = {},
  ): SlackChannel {
    const isPrivate = options.isPrivate ?? false;
    const channel: SlackChannel = {
      id: `${isPrivate ? "G" : "C"}${String(++this.counter).padStart(6, "0")}`,
      teamId: options.teamId ?? this.workspace.id,
      name,
      isIm: false,
      isPrivate,
      botIsMember: options.botIsMember ?? true,
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** The DM between a user and the bot. */
  dmWith(user: SlackUser): SlackChannel {
    for (const c of this.channels.values()) if (c.isIm && c.user === user.id) return c;
    const channel: SlackChannel = {
      id: `D${String(++this.counter).padStart(6, "0")}`,
      teamId: user.teamId,
      isIm: true,
      isPrivate: true,
      user: user.id,
      botIsMember: true,
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  mention(teamId = this.workspace.id): string {
    return `<@${this.workspaceById(teamId).botUserId}>`;
  }

  // ---- where events go -----------------------------------------------------------------------

  /** Events API over HTTP: POST signed requests to the app's Request URL. */
  deliverOverHttp(url: string, signingSecret: string): void {
    this.transport = { kind: "http", url, signingSecret };
  }

  /** Socket Mode: events go to the app's open websocket (the default once one connects). */
  deliverOverSocket(): void {
    this.transport = { kind: "socket" };
  }

  /** The next `count` calls of `method` get HTTP 429 with Retry-After. */
  rateLimit(method: string, count: number, retryAfterSec = 1): void {
    this.rateLimits.set(method, { remaining: count, retryAfterSec });
  }

  // ---- the users' side -----------------------------------------------------------------------

  /**
   * A person (or bot user) writes in a channel or DM. Slack sends a `message` event, plus an
   * `app_mention` event when the text mentions the bot in a channel.
   */
  async userSays(
    user: SlackUser,
    channel: SlackChannel,
    text: string,
    options: { threadTs?: string; files?: string[] } & DeliveryOptions = {},
  ): Promise<{ ts: string; events: EventCallback[]; results: DeliveryResult[] }> {
    const ts = this.nextTs();
    // Files shared with a message arrive as subtype file_share with a `files` list (app_mention too).
    const files = (options.files ?? []).map((name, i) => ({
      id: `F${ts.replace(".", "")}${i}`,
      name,
      title: name,
      mimetype: name.endsWith(".png") ? "image/png" : "application/octet-stream",
      filetype: name.split(".").pop() ?? "binary",
      size: 1024,
      url_private: `https://files.slack.test/${name}`,
    }));
    this.store({
      ts,
      channel: channel.id,
      text,
      user: user.id,
      threadTs: options.threadTs,
      botId: user.botId,
    });
    const base: Record<string, unknown> = {
      user: user.id,
      text,
      ts,
      channel: channel.id,
      event_ts: ts,
      team: user.teamId,
      ...(!user.isBot && { client_msg_id: randomBytes(8).toString("hex") }),
      ...(user.botId && {
        bot_id: user.botId,
        app_id: "A0OTHER",
        bot_profile: { id: user.botId, name: user.name },
      }),
      ...(options.threadTs && { thread_ts: options.threadTs }),
      ...(files.length > 0 && { files, upload: true }),
    };
    const events: EventCallback[] = [];
    if (this.receivesMessagesIn(channel)) {
      events.push(
        this.envelope(channel.teamId, {
          type: "message",
          ...(files.length > 0 && { subtype: "file_share" }),
          channel_type: channelType(channel),
          ...base,
        }),
      );
    }
    if (!channel.isIm && channel.botIsMember && text.includes(this.mention(channel.teamId))) {
      events.push(this.envelope(channel.teamId, { type: "app_mention", ...base }));
    }
    const results: DeliveryResult[] = [];
    for (const event of events) results.push(await this.deliver(event, options));
    return { ts, events, results };
  }

  /** The user edits a message: Slack sends message/message_changed. */
  async userEdits(user: SlackUser, channel: SlackChannel, ts: string, text: string): Promise<DeliveryResult> {
    const eventTs = this.nextTs();
    return this.deliver(
      this.envelope(channel.teamId, {
        type: "message",
        subtype: "message_changed",
        channel: channel.id,
        channel_type: channelType(channel),
        hidden: true,
        ts: eventTs,
        event_ts: eventTs,
        message: { type: "message", user: user.id, text, ts, edited: { user: user.id, ts: eventTs } },
        previous_message: { type: "message", user: user.id, ts, text: "(before)" },
      }),
    );
  }

  async userDeletes(channel: SlackChannel, ts: string): Promise<DeliveryResult> {
    const eventTs = this.nextTs();
    return this.deliver(
      this.envelope(channel.teamId, {
        type: "message",
        subtype: "message_deleted",
        channel: channel.id,
        channel_type: channelType(channel),
        hidden: true,
        deleted_ts: ts,
        ts: eventTs,
        event_ts: eventTs,
      }),
    );
  }

  async userJoins(user: SlackUser, channel: SlackChannel): Promise<DeliveryResult> {
    const ts = this.nextTs();
    return this.deliver(
      this.envelope(channel.teamId, {
        type: "message",
        subtype: "channel_join",
        channel: channel.id,
        channel_type: channelType(channel),
        user: user.id,
        text: `<@${user.id}> has joined the channel`,
        ts,
        event_ts: ts,
      }),
    );
  }

  /** Runs a slash command; resolves with the app's immediate response (HTTP body or Socket Mode ack). */
  async slashCommand(
    user: SlackUser,
    channel: SlackChannel,
    command: string,
    text = "",
    options: DeliveryOptions = {},
  ): Promise<{ result: DeliveryResult; response: Record<string, unknown> }> {
    const team = this.workspaceById(channel.teamId);
    const body: Record<string, string> = {
      token: "legacy-verification-token",
      team_id: team.id,
      team_domain: team.domain,
      channel_id: channel.id,
      channel_name: channel.isIm ? "directmessage" : (channel.name ?? ""),
      user_id: user.id,
      user_name: user.name,
      command,
      text,
      api_app_id: APP_ID,
      is_enterprise_install: "false",
      response_url: `http://127.0.0.1:${this.port}/commands/response`,
      trigger_id: `${Date.now()}.${randomBytes(4).toString("hex")}`,
    };
    if (this.transport.kind === "http") {
      const { url, signingSecret } = this.transport;
      const post = await postSigned(
        url,
        signingSecret,
        new URLSearchParams(body).toString(),
        "application/x-www-form-urlencoded",
        options,
      );
      const response = post.body && post.contentType?.includes("json") ? JSON.parse(post.body) : {};
      return { result: { status: post.status, body: post.body }, response };
    }
    const envelopeId = this.sendEnvelope("slash_commands", body, 0, true);
    const ack = await this.waitForAck(envelopeId);
    return { result: { envelopeId }, response: ack.payload };
  }

  /** Slack's check of a new Request URL (HTTP mode only). */
  async urlVerification(challenge: string, options: DeliveryOptions = {}): Promise<DeliveryResult> {
    return this.postToApp(
      JSON.stringify({ token: "legacy-verification-token", challenge, type: "url_verification" }),
      options,
    );
  }

  /** The workspace removes the app: Slack revokes its tokens and sends app_uninstalled. */
  async uninstall(teamId: string): Promise<DeliveryResult> {
    const ws = this.workspaceById(teamId);
    ws.botToken = `revoked-${ws.botToken}`;
    return this.deliver(this.envelope(teamId, { type: "app_uninstalled", event_ts: this.nextTs() }));
  }

  async tokensRevoked(teamId: string): Promise<DeliveryResult> {
    const ws = this.workspaceById(teamId);
    const botUserId = ws.botUserId;
    ws.botToken = `revoked-${ws.botToken}`;
    return this.deliver(
      this.envelope(teamId, {
        type: "tokens_revoked",
        tokens: { oauth: [], bot: [botUserId] },
        event_ts: this.nextTs(),
      }),
    );
  }

  /** Delivers an event body (again), e.g. to act out Slack's retries. */
  async deliver(body: EventCallback, options: DeliveryOptions = {}): Promise<DeliveryResult> {
    if (this.transport.kind === "http") return this.postToApp(JSON.stringify(body), options);
    if (this.transport.kind === "socket") {
      const envelopeId = this.sendEnvelope("events_api", body, options.retryNum ?? 0, false);
      return { envelopeId };
    }
    return {};
  }

  /** Socket Mode: sends an envelope again under the same envelope_id (as Slack does when unacked). */
  redeliverEnvelope(envelopeId: string, retryAttempt?: number): void {
    const envelope = this.envelopes.get(envelopeId);
    if (!envelope) throw new Error(`no envelope ${envelopeId}`);
    const attempt = retryAttempt ?? envelope.retryAttempt + 1;
    this.writeEnvelope(
      envelopeId,
      envelope.type,
      envelope.payload,
      attempt,
      envelope.type === "slash_commands",
    );
  }

  /** Socket Mode: asks the app to reconnect, as Slack does before recycling a connection. */
  requestReconnect(reason = "refresh_requested"): void {
    for (const ws of this.sockets) ws.send(JSON.stringify({ type: "disconnect", reason }));
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  waitForAck(envelopeId: string, timeoutMs = 10_000): Promise<AckEvent> {
    const payload = this.acks.get(envelopeId);
    if (payload) return Promise.resolve({ envelopeId, payload });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off("ack", listener);
        reject(new Error(`envelope ${envelopeId} was not acknowledged`));
      }, timeoutMs);
      const listener = (ack: AckEvent) => {
        if (ack.envelopeId !== envelopeId) return;
        clearTimeout(timer);
        this.off("ack", listener);
        resolve(ack);
      };
      this.on("ack", listener);
    });
  }

  /** Messages in a channel (or one thread of it), as Slack stores them. */
  history(channelId: string, threadTs?: string): StoredMessage[] {
    const all = this.messages.get(channelId) ?? [];
    return threadTs ? all.filter((m) => m.ts === threadTs || m.threadTs === threadTs) : all;
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === "/oauth/v2/authorize") {
      this.authorizePage(url, res);
      return;
    }
    if (req.method !== "POST" || !url.pathname.startsWith("/api/")) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const method = url.pathname.slice("/api/".length);
    const params = parseParams(await readBody(req), req.headers["content-type"]);
    const limit = this.rateLimits.get(method);
    if (limit && limit.remaining > 0) {
      limit.remaining -= 1;
      this.record({ method, params, status: 429, error: "ratelimited" });
      res.writeHead(429, { "content-type": "application/json", "retry-after": String(limit.retryAfterSec) });
      res.end(JSON.stringify({ ok: false, error: "ratelimited" }));
      return;
    }
    const token = bearer(req.headers.authorization) ?? params.token;
    const result = this.call(method, params, token, req.headers.authorization);
    this.record({ method, params, status: 200, ...(result.ok === false && { error: String(result.error) }) });
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(result));
  }

  private record(call: ApiCallEvent): void {
    const { token: _t, client_secret: _s, ...shown } = call.params;
    const entry = { ...call, params: shown };
    this.calls.push(entry);
    this.emit("call", entry);
  }

  private call(
    method: string,
    p: Record<string, string>,
    token: string | undefined,
    authorization: string | undefined,
  ): Record<string, unknown> {
    if (method === "oauth.v2.access") return this.oauthAccess(p, authorization);
    if (!token) return { ok: false, error: "not_authed" };
    if (method === "apps.connections.open") {
      if (token !== this.appToken)
        return { ok: false, error: token.startsWith("xapp-") ? "invalid_auth" : "not_allowed_token_type" };
      const ticket = randomBytes(12).toString("hex");
      this.tickets.add(ticket);
      return { ok: true, url: `ws://127.0.0.1:${this.port}/socket?ticket=${ticket}` };
    }
    const team = [...this.workspaces.values()].find((w) => w.botToken === token);
    if (!team)
      return { ok: false, error: token === this.appToken ? "not_allowed_token_type" : "invalid_auth" };
    switch (method) {
      case "auth.test":
        return {
          ok: true,
          url: `https://${team.domain}.slack.com/`,
          team: team.name,
          user: "bridge",
          team_id: team.id,
          user_id: team.botUserId,
          bot_id: team.botId,
          is_enterprise_install: false,
        };
      case "chat.postMessage":
        return this.postMessage(team, p);
      case "chat.update":
        return this.updateMessage(team, p);
      case "chat.delete":
        return this.deleteMessage(team, p);
      case "chat.postEphemeral": {
        const channel = this.channelFor(team, p.channel);
        if ("error" in channel) return channel;
        if (!p.text) return { ok: false, error: "no_text" };
        this.ephemerals.push({ channel: channel.id, user: p.user ?? "", text: p.text });
        this.emit("ephemeral", this.ephemerals.at(-1));
        return { ok: true, message_ts: this.nextTs() };
      }
      case "users.info": {
        const user = p.user ? this.users.get(p.user) : undefined;
        if (!user || user.teamId !== team.id) return { ok: false, error: "user_not_found" };
        return { ok: true, user: userObject(user, team.scopes.includes("users:read.email")) };
      }
      case "conversations.info": {
        const channel = this.channelFor(team, p.channel, false);
        if ("error" in channel) return channel;
        return {
          ok: true,
          channel: {
            id: channel.id,
            name: channel.name,
            is_im: channel.isIm,
            is_channel: !channel.isIm && !channel.isPrivate,
            is_group: !channel.isIm && channel.isPrivate,
            is_private: channel.isPrivate,
            is_member: channel.botIsMember,
            ...(channel.user && { user: channel.user }),
          },
        };
      }
      case "assistant.threads.setStatus": {
        const channel = this.channelFor(team, p.channel_id, false);
        if ("error" in channel) return channel;
        if (!p.thread_ts) return { ok: false, error: "invalid_arguments" };
        // Only a DM with an app that has the assistant feature is an assistant thread.
        if (!channel.isIm || !team.scopes.includes("assistant:write"))
          return { ok: false, error: "not_allowed" };
        const status: StatusEvent = { channel: channel.id, threadTs: p.thread_ts, status: p.status ?? "" };
        this.statuses.push(status);
        this.emit("status", status);
        return { ok: true };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  private postMessage(team: SlackWorkspace, p: Record<string, string>): Record<string, unknown> {
    const channel = this.channelFor(team, p.channel);
    if ("error" in channel) return channel;
    const text = p.text ?? "";
    if (!text && !p.blocks) return { ok: false, error: "no_text" };
    if (text.length > SLACK_TEXT_LIMIT) return { ok: false, error: "msg_too_long" };
    const ts = this.nextTs();
    const threadTs = p.thread_ts || undefined;
    this.store({ ts, channel: channel.id, text, user: team.botUserId, botId: team.botId, threadTs });
    const event: BotMessageEvent = {
      method: "chat.postMessage",
      teamId: team.id,
      channel: channel.id,
      ts,
      text,
      pings: slackPings(text, p.link_names),
      ...(threadTs && { threadTs }),
    };
    this.sent.push(event);
    this.emit("botMessage", event);
    if (this.echoBotMessages && this.receivesMessagesIn(channel)) {
      const echo = this.envelope(team.id, {
        type: "message",
        channel: channel.id,
        channel_type: channelType(channel),
        user: team.botUserId,
        bot_id: team.botId,
        app_id: APP_ID,
        text,
        ts,
        event_ts: ts,
        team: team.id,
        ...(threadTs && { thread_ts: threadTs }),
      });
      this.deliver(echo).catch(() => {});
    }
    const message = { type: "message", text, user: team.botUserId, bot_id: team.botId, ts, team: team.id };
    return {
      ok: true,
      channel: channel.id,
      ts,
      message: { ...message, ...(threadTs && { thread_ts: threadTs }) },
    };
  }

  private updateMessage(team: SlackWorkspace, p: Record<string, string>): Record<string, unknown> {
    const channel = this.channelFor(team, p.channel);
    if ("error" in channel) return channel;
    const stored = this.history(channel.id).find((m) => m.ts === p.ts);
    if (!stored) return { ok: false, error: "message_not_found" };
    if (stored.botId !== team.botId) return { ok: false, error: "cant_update_message" };
    const text = p.text ?? "";
    if (!text && !p.blocks) return { ok: false, error: "no_text" };
    if (text.length > SLACK_TEXT_LIMIT) return { ok: false, error: "msg_too_long" };
    stored.text = text;
    const event: BotMessageEvent = {
      method: "chat.update",
      teamId: team.id,
      channel: channel.id,
      ts: stored.ts,
      text,
      pings: slackPings(text, p.link_names),
      ...(stored.threadTs && { threadTs: stored.threadTs }),
    };
    this.sent.push(event);
    this.emit("botMessage", event);
    return { ok: true, channel: channel.id, ts: stored.ts, text };
  }

  private deleteMessage(team: SlackWorkspace, p: Record<string, string>): Record<string, unknown> {
    const channel = this.channelFor(team, p.channel);
    if ("error" in channel) return channel;
    const all = this.messages.get(channel.id) ?? [];
    const index = all.findIndex((m) => m.ts === p.ts);
    if (index < 0) return { ok: false, error: "message_not_found" };
    const [stored] = all.splice(index, 1);
    if (stored?.botId !== team.botId) return { ok: false, error: "cant_delete_message" };
    const event: BotMessageEvent = {
      method: "chat.delete",
      teamId: team.id,
      channel: channel.id,
      ts: stored.ts,
      text: "",
      pings: [],
      ...(stored.threadTs && { threadTs: stored.threadTs }),
    };
    this.sent.push(event);
    this.emit("botMessage", event);
    return { ok: true, channel: channel.id, ts: stored.ts };
  }

  private oauthAccess(p: Record<string, string>, authorization: string | undefined): Record<string, unknown> {
    let clientId = p.client_id;
    let clientSecret = p.client_secret;
    if (authorization?.startsWith("Basic ")) {
      const [id, secret] = Buffer.from(authorization.slice(6), "base64").toString().split(":");
      clientId = id;
      clientSecret = secret;
    }
    if (clientId !== this.clientId) return { ok: false, error: "invalid_client_id" };
    if (clientSecret !== this.clientSecret) return { ok: false, error: "bad_client_secret" };
    const team = p.code ? this.codes.get(p.code) : undefined;
    if (!team || !p.code) return { ok: false, error: "invalid_code" };
    this.codes.delete(p.code);
    return {
      ok: true,
      access_token: team.botToken,
      token_type: "bot",
      scope: team.scopes.join(","),
      bot_user_id: team.botUserId,
      app_id: APP_ID,
      team: { id: team.id, name: team.name },
      enterprise: null,
      is_enterprise_install: false,
      authed_user: { id: "U0INSTALLER" },
    };
  }

  /** Slack's "Allow" page, approved at once: redirects back with a one-time code and the state. */
  private authorizePage(url: URL, res: ServerResponse): void {
    if (url.searchParams.get("client_id") !== this.clientId) {
      res.statusCode = 400;
      res.end("invalid client_id");
      return;
    }
    const redirect = url.searchParams.get("redirect_uri") ?? this.appRedirectUrl;
    if (!redirect) {
      res.statusCode = 400;
      res.end("no redirect_uri, and the app has no Redirect URL configured (set appRedirectUrl)");
      return;
    }
    let team = this.nextInstallWorkspace ?? this.createWorkspace(`Workspace ${this.workspaces.size + 1}`);
    this.nextInstallWorkspace = undefined;
    if (team.botToken.startsWith("revoked-")) {
      team.botToken = `xoxb-re-${randomBytes(10).toString("hex")}`;
    }
    const granted = (url.searchParams.get("scope") ?? "").split(",").filter(Boolean);
    if (granted.length > 0) team = Object.assign(team, { scopes: granted });
    const code = randomBytes(8).toString("hex");
    this.codes.set(code, team);
    const target = new URL(redirect);
    target.searchParams.set("code", code);
    const state = url.searchParams.get("state");
    if (state) target.searchParams.set("state", state);
    res.writeHead(302, { location: target.toString() });
    res.end();
  }

  // ---- Socket Mode ---------------------------------------------------------------------------

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    if (this.transport.kind === "none") this.transport = { kind: "socket" };
    ws.on("close", () => this.sockets.delete(ws));
    ws.on("message", (data) => {
      let message: { envelope_id?: string; payload?: Record<string, unknown> };
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (!message.envelope_id) return;
      const payload = message.payload ?? {};
      this.acks.set(message.envelope_id, payload);
      clearTimeout(this.redeliveries.get(message.envelope_id));
      this.redeliveries.delete(message.envelope_id);
      this.emit("ack", { envelopeId: message.envelope_id, payload } satisfies AckEvent);
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.sockets.size,
        debug_info: { host: "emulator", approximate_connection_time: 18060 },
        connection_info: { app_id: APP_ID },
      }),
    );
    this.emit("socketConnected", this.sockets.size);
  }

  private sendEnvelope(
    type: string,
    payload: unknown,
    retryAttempt: number,
    acceptsResponse: boolean,
  ): string {
    const envelopeId = `${randomBytes(4).toString("hex")}-${++this.counter}`;
    this.envelopes.set(envelopeId, { type, payload, retryAttempt });
    this.writeEnvelope(envelopeId, type, payload, retryAttempt, acceptsResponse);
    return envelopeId;
  }

  private writeEnvelope(
    envelopeId: string,
    type: string,
    payload: unknown,
    retryAttempt: number,
    acceptsResponse: boolean,
  ): void {
    const socket = [...this.sockets].at(-1);
    if (!socket) throw new Error("no Socket Mode connection is open");
    this.acks.delete(envelopeId);
    const stored = this.envelopes.get(envelopeId);
    if (stored) stored.retryAttempt = retryAttempt;
    this.emit("envelope", { envelopeId, type, retryAttempt } satisfies EnvelopeEvent);
    if (type === "events_api") this.scheduleRedelivery(envelopeId, retryAttempt);
    socket.send(
      JSON.stringify({
        envelope_id: envelopeId,
        type,
        accepts_response_payload: acceptsResponse,
        payload,
        ...(type === "events_api" && {
          retry_attempt: retryAttempt,
          retry_reason: retryAttempt > 0 ? "timeout" : "",
        }),
      }),
    );
  }

  private scheduleRedelivery(envelopeId: string, retryAttempt: number): void {
    clearTimeout(this.redeliveries.get(envelopeId));
    this.redeliveries.delete(envelopeId);
    if (this.redeliverUnackedMs === undefined || retryAttempt >= SOCKET_MAX_RETRIES) return;
    const timer = setTimeout(() => {
      this.redeliveries.delete(envelopeId);
      if (this.acks.has(envelopeId) || this.sockets.size === 0) return;
      this.redeliverEnvelope(envelopeId);
    }, this.redeliverUnackedMs);
    this.redeliveries.set(envelopeId, timer);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private async postToApp(rawBody: string, options: DeliveryOptions): Promise<DeliveryResult> {
    if (this.transport.kind !== "http") throw new Error("the emulator is not delivering over HTTP");
    const { url, signingSecret } = this.transport;
    const post = await postSigned(url, signingSecret, rawBody, "application/json", options);
    return { status: post.status, body: post.body };
  }

  private envelope(teamId: string, event: Record<string, unknown>): EventCallback {
    const team = this.workspaceById(teamId);
    return {
      token: "legacy-verification-token",
      team_id: team.id,
      api_app_id: APP_ID,
      type: "event_callback",
      event_id: `Ev${randomBytes(6).toString("hex").toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      event,
      authorizations: [
        {
          enterprise_id: null,
          team_id: team.id,
          user_id: team.botUserId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
    };
  }

  private receivesMessagesIn(channel: SlackChannel): boolean {
    return channel.isIm || channel.botIsMember;
  }

  private channelFor(
    team: SlackWorkspace,
    id: string | undefined,
    mustBeMember = true,
  ): SlackChannel | { ok: false; error: string } {
    const channel = id ? this.channels.get(id) : undefined;
    if (!channel || channel.teamId !== team.id) return { ok: false, error: "channel_not_found" };
    if (mustBeMember && !channel.botIsMember) return { ok: false, error: "not_in_channel" };
    return channel;
  }

  private workspaceById(teamId: string): SlackWorkspace {
    const ws = this.workspaces.get(teamId);
    if (!ws) throw new Error(`no workspace ${teamId}`);
    return ws;
  }

  private store(message: StoredMessage): void {
    const list = this.messages.get(message.channel) ?? [];
    list.push(message);
    this.messages.set(message.channel, list);
  }

  /** Slack timestamps: seconds "." a 6-digit sequence, unique per channel and increasing. */
  private nextTs(): string {
    this.clock = Math.max(this.clock, Math.floor(Date.now() / 1000));
    return `${this.clock}.${String(++this.counter).padStart(6, "0")}`;
  }
}

function channelType(channel: SlackChannel): string {
  if (channel.isIm) return "im";
  return channel.isPrivate ? "group" : "channel";
}

function userObject(user: SlackUser, withEmail: boolean): Record<string, unknown> {
  return {
    id: user.id,
    team_id: user.teamId,
    name: user.name,
    real_name: user.realName,
    tz: user.tz,
    tz_label: user.tz,
    is_bot: user.isBot,
    deleted: false,
    profile: {
      real_name: user.realName,
      display_name: user.displayName,
      ...(withEmail && user.email !== undefined && { email: user.email }),
      ...(user.botId && { bot_id: user.botId }),
    },
  };
}

function bearer(header: string | undefined): string | undefined {
  return header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Web API bodies: form-urlencoded (what the SDK sends) or JSON; values are kept as strings. */
function parseParams(body: string, contentType: string | undefined): Record<string, string> {
  if (!body) return {};
  if (contentType?.includes("application/json")) {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(parsed).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
  }
  return Object.fromEntries(new URLSearchParams(body));
}

/**
 * The notifications Slack sends for a message's text: special mentions in angle brackets anywhere
 * (code spans included: Slack parses them before formatting), and, with link_names, bare @channel,
 * @here and @everyone.
 */
export function slackPings(text: string, linkNames?: string | boolean): string[] {
  const pings: string[] = [];
  for (const m of text.matchAll(
    /<(!channel|!here|!everyone|!subteam\^[A-Z0-9]+|@[UW][A-Z0-9]+)(\|[^>]*)?>/g,
  )) {
    const token = m[1]!;
    if (token.startsWith("!subteam^")) pings.push(`subteam:${token.slice(9)}`);
    else if (token.startsWith("@")) pings.push(`user:${token.slice(1)}`);
    else pings.push(token.slice(1));
  }
  if (linkNames === true || linkNames === "true" || linkNames === "1") {
    for (const m of text.matchAll(/(?:^|\s)@(channel|here|everyone)\b/g)) pings.push(m[1]!);
  }
  return pings;
}
