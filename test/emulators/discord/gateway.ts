// The emulated Discord gateway: a websocket speaking the real protocol (HELLO, IDENTIFY -> READY and
// GUILD_CREATE, heartbeats and ACKs, RESUME with replay of missed dispatches, RECONNECT) so that
// discord.js's own connection and resume logic runs unmodified against it.
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Server } from "node:http";
import { type WebSocket, WebSocketServer } from "ws";

export const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  Resume: 6,
  Reconnect: 7,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;

/** Close codes Discord uses that the emulator can produce. */
export const CloseCode = {
  UnknownError: 4000,
  NotAuthenticated: 4003,
  AuthenticationFailed: 4004,
  DisallowedIntents: 4014,
  GoingAway: 1001,
} as const;

export const MESSAGE_CONTENT_INTENT = 1 << 15;
/** GuildMembers, GuildPresences, MessageContent: each must be switched on in the Developer Portal. */
const PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | MESSAGE_CONTENT_INTENT;

interface Dispatch {
  s: number;
  t: string;
  d: unknown;
}

interface Session {
  id: string;
  intents: number;
  seq: number;
  log: Dispatch[];
  socket?: WebSocket;
}

export interface GatewayOptions {
  token: string;
  path: string;
  heartbeatIntervalMs: number;
  /** READY's d, given the new session id and the URL to resume on. */
  ready(sessionId: string, resumeUrl: string): unknown;
  /** One GUILD_CREATE d per guild, sent right after READY. */
  guilds(): unknown[];
  /** Privileged intents the application may request (Message Content unless switched off). */
  privilegedIntentsAllowed(): number;
}

/**
 * Emits "hello" (a client connected), "identify" {sessionId, intents}, "resume" {sessionId, replayed}, "closed" {code},
 * "heartbeat" and "invalidSession".
 */
export class Gateway extends EventEmitter {
  private readonly wss: WebSocketServer;
  private session: Session | undefined;
  private url = "";

  constructor(
    server: Server,
    private readonly options: GatewayOptions,
  ) {
    super();
    this.wss = new WebSocketServer({ server, path: options.path });
    this.wss.on("connection", (socket) => this.onConnection(socket));
  }

  setUrl(url: string): void {
    this.url = url;
  }

  /** Whether a bot is identified and its socket is open. */
  get connected(): boolean {
    return this.session?.socket !== undefined;
  }

  /** The intents the bot identified with (0 before IDENTIFY). */
  get intents(): number {
    return this.session?.intents ?? 0;
  }

  /**
   * Sends a dispatch to the identified bot. While its link is down the dispatch is only logged, and
   * goes out when the bot resumes - as on Discord. Without a session at all it is dropped.
   */
  dispatch(t: string, d: unknown): void {
    const session = this.session;
    if (!session) return;
    const entry = { s: ++session.seq, t, d };
    session.log.push(entry);
    session.socket?.send(JSON.stringify({ op: Op.Dispatch, ...entry }));
  }

  /** Drops the bot's connection with a close code it will resume after (4000 or 1001). */
  async forceDisconnect(code: number = CloseCode.UnknownError): Promise<void> {
    const socket = this.session?.socket;
    if (!socket) throw new Error("the bot is not connected to the gateway");
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    this.detach(socket);
    socket.close(code, "emulator forced disconnect");
    await closed;
  }

  /** Asks the bot to reconnect and resume (op 7), as Discord does before moving a session. */
  requestReconnect(): void {
    this.session?.socket?.send(JSON.stringify({ op: Op.Reconnect, d: null }));
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private onConnection(socket: WebSocket): void {
    socket.send(
      JSON.stringify({ op: Op.Hello, d: { heartbeat_interval: this.options.heartbeatIntervalMs } }),
    );
    this.emit("hello");
    socket.on("message", (raw) => {
      let payload: { op?: number; d?: unknown };
      try {
        payload = JSON.parse(raw.toString());
      } catch {
        socket.close(4002, "Error while decoding payload.");
        return;
      }
      this.onPayload(socket, payload);
    });
    socket.on("close", (code) => {
      this.detach(socket);
      this.emit("closed", { code });
    });
  }

  private onPayload(socket: WebSocket, payload: { op?: number; d?: unknown }): void {
    switch (payload.op) {
      case Op.Heartbeat:
        socket.send(JSON.stringify({ op: Op.HeartbeatAck }));
        this.emit("heartbeat");
        return;
      case Op.Identify:
        this.identify(socket, payload.d as { token?: string; intents?: number });
        return;
      case Op.Resume:
        this.resume(socket, payload.d as { token?: string; session_id?: string; seq?: number | null });
        return;
      case Op.PresenceUpdate:
        return;
      default:
        socket.close(4001, "Unknown opcode.");
    }
  }

  private identify(socket: WebSocket, d: { token?: string; intents?: number }): void {
    if (d.token !== this.options.token) {
      socket.close(CloseCode.AuthenticationFailed, "Authentication failed.");
      return;
    }
    const privileged = (d.intents ?? 0) & PRIVILEGED_INTENTS;
    if ((privileged & ~this.options.privilegedIntentsAllowed()) !== 0) {
      socket.close(CloseCode.DisallowedIntents, "Disallowed intent(s).");
      return;
    }
    const sessionId = randomBytes(16).toString("hex");
    this.session = { id: sessionId, intents: d.intents ?? 0, seq: 0, log: [], socket };
    this.emit("identify", { sessionId, intents: this.session.intents });
    this.dispatch("READY", this.options.ready(sessionId, this.url));
    for (const guild of this.options.guilds()) this.dispatch("GUILD_CREATE", guild);
  }

  private resume(socket: WebSocket, d: { token?: string; session_id?: string; seq?: number | null }): void {
    const session = this.session;
    if (d.token !== this.options.token) {
      socket.close(CloseCode.AuthenticationFailed, "Authentication failed.");
      return;
    }
    if (!session || session.id !== d.session_id) {
      socket.send(JSON.stringify({ op: Op.InvalidSession, d: false }));
      this.emit("invalidSession");
      return;
    }
    session.socket = socket;
    const missed = session.log.filter((entry) => entry.s > (d.seq ?? 0));
    for (const entry of missed) socket.send(JSON.stringify({ op: Op.Dispatch, ...entry }));
    this.dispatch("RESUMED", null);
    this.emit("resume", { sessionId: session.id, replayed: missed.length });
  }

  private detach(socket: WebSocket): void {
    if (this.session?.socket === socket) this.session.socket = undefined;
  }
}
