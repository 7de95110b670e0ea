// The Slack adapter: a Bolt app that hands mentions, DMs and thread follow-ups to the relay and posts
// the replies back as mrkdwn in the right thread.
//
// Two ways in:
// - Socket Mode (appToken set): Bolt's SocketModeReceiver, changed to acknowledge an event only once
//   the relay has durably accepted it (socket-receiver.ts); apps.connections.open goes to apiUrl.
// - HTTP Events API: Bolt's ExpressReceiver built on an express Router we own, so its routes live on
//   the bridge's one express 5 app (mountHttp) instead of a server of its own. Our signature check
//   (signature.ts) runs on that router first, over the raw body, refusing stale AND future
//   timestamps; Bolt then parses the same raw body. processBeforeResponse makes Slack's HTTP answer
//   wait until the relay has durably accepted the message, so a failure becomes a 500 and a retry.
//
// Workspaces: with a bot token the adapter serves that one workspace. With OAuth options it also
// serves Bolt's install flow (/slack/install, /slack/oauth_redirect) through an InstallProvider whose
// installations live in the bridge store; every event and reply looks up its workspace's token there
// (falling back to the single bot token), and app_uninstalled / tokens_revoked delete it.
import {
  App,
  type AuthorizeResult,
  ExpressReceiver,
  type SocketModeReceiver,
  type webApi,
} from "@slack/bolt";
import { InstallProvider } from "@slack/oauth";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import type {
  AuthorRef,
  CommandName,
  ConversationRef,
  DoctorCheck,
  InboundMessage,
  InboundSink,
  PlatformAdapter,
  ReplyTarget,
  SentMessage,
  TypingHandle,
  UserProfile,
} from "../../src/adapter.js";
import { BoundedSet } from "../../src/bounded-set.js";
import { ConfigError, StoreError } from "../../src/errors.js";
import { storeKeyv } from "../../src/store/keyv-adapter.js";
import type { Store } from "../../src/store/types.js";
import { SLACK_API_URL, signingSecretProblem } from "./config.js";
import { slackErrorCode, toDeliveryError } from "./errors.js";
import { classifySlackEvent, type SlackMessageEvent } from "./inbound.js";
import { KeyvInstallationStore } from "./installations.js";
import { NOT_INSTALLED } from "./not-installed.js";
import { ProgressIndicators, type ProgressOptions } from "./progress.js";
import { markdownToMrkdwn } from "./render.js";
import { SLACK_BOT_SCOPES, SLACK_SLASH_COMMANDS } from "./scopes.js";
import { slackSdkLogger } from "./sdk-logger.js";
import { verifySlackRequest } from "./signature.js";
import { AckAfterAcceptReceiver } from "./socket-receiver.js";

export interface SlackOAuthOptions {
  clientId: string;
  clientSecret: string;
  stateSecret: string;
  store: Store;
  /** The public URL of /slack/oauth_redirect; Slack uses the app's configured one when absent. */
  redirectUri?: string;
}

export interface SlackAdapterOptions {
  /** SLACK_BOT_TOKEN (xoxb-…): the single workspace. Optional when OAuth installs are enabled. */
  botToken?: string;
  /** SLACK_APP_TOKEN (xapp-…): Socket Mode when set. */
  appToken?: string;
  /** SLACK_SIGNING_SECRET: required in HTTP mode. */
  signingSecret?: string;
  /** SLACK_API_URL: the Web API root, e.g. https://slack.com/api/ */
  apiUrl?: string;
  oauth?: SlackOAuthOptions;
  logger: Logger;
  /** How Web API calls are retried (429 Retry-After is waited out within it). */
  retryConfig?: webApi.RetryOptions;
  progress?: ProgressOptions;
  /** Socket Mode: how long to wait for a pong, and the base delay before reconnecting (default 5 s). */
  socketPingTimeoutMs?: number;
}

/**
 * Slack accepts up to 40,000 characters but recommends under 4,000 per message, and long messages
 * render with "Show more" folds; 3,500 Markdown characters keeps each chunk readable and leaves
 * room for mrkdwn escaping (&amp; etc.).
 */
export const SLACK_MAX_MARKDOWN_CHUNK = 3500;

/** Bounded: Retry-After is honoured, at most 3 retries and one minute in all. */
export const DEFAULT_RETRY_CONFIG: webApi.RetryOptions = {
  retries: 3,
  factor: 2,
  minTimeout: 500,
  maxTimeout: 10_000,
  maxRetryTime: 60_000,
};

const EVENTS_PATH = "/slack/events";
const INSTALL_PATH = "/slack/install";
const REDIRECT_PATH = "/slack/oauth_redirect";

interface Identity {
  teamId: string;
  teamName?: string;
  botUserId: string;
  botId: string;
}

export function createSlackAdapter(options: SlackAdapterOptions): SlackAdapter {
  return new SlackAdapter(options);
}

export class SlackAdapter implements PlatformAdapter {
  readonly platform = "slack" as const;
  readonly maxMessageLength = SLACK_MAX_MARKDOWN_CHUNK;
  readonly mode: "socket" | "http";
  private readonly app: App;
  private readonly logger: Logger;
  private readonly apiUrl: string;
  private readonly router = express.Router();
  private readonly socketReceiver?: SocketModeReceiver;
  private readonly installer?: InstallProvider;
  private readonly installations?: KeyvInstallationStore;
  private readonly progress: ProgressIndicators;
  private identity?: Identity;
  /** Workspaces already logged as not having installed the app. */
  private readonly uninstalled = new BoundedSet({ max: 10_000 });
  private sink?: InboundSink;
  private started = false;
  private socketConnected = false;

  constructor(private readonly options: SlackAdapterOptions) {
    checkOptions(options);
    this.logger = options.logger.child({ platform: "slack" });
    this.mode = options.appToken ? "socket" : "http";
    this.apiUrl = withSlash(options.apiUrl ?? SLACK_API_URL);
    const sdkLogger = slackSdkLogger(this.logger, [
      options.botToken,
      options.appToken,
      options.signingSecret,
      options.oauth?.clientSecret,
      options.oauth?.stateSecret,
    ]);
    const clientOptions = (): webApi.WebClientOptions => ({
      slackApiUrl: this.apiUrl,
      retryConfig: { ...(options.retryConfig ?? DEFAULT_RETRY_CONFIG) },
      logger: sdkLogger,
    });

    if (options.oauth) {
      this.installations = new KeyvInstallationStore(storeKeyv(options.oauth.store, "slack-installation"));
      this.installer = new InstallProvider({
        clientId: options.oauth.clientId,
        clientSecret: options.oauth.clientSecret,
        stateSecret: options.oauth.stateSecret,
        installationStore: this.installations,
        directInstall: true,
        authorizationUrl: new URL("../oauth/v2/authorize", this.apiUrl).toString(),
        clientOptions: clientOptions(),
        logger: sdkLogger,
      });
    }

    let receiver: SocketModeReceiver | ExpressReceiver;
    if (options.appToken) {
      this.socketReceiver = new AckAfterAcceptReceiver({
        appToken: options.appToken,
        logger: sdkLogger,
        ...(options.socketPingTimeoutMs !== undefined && { clientPingTimeout: options.socketPingTimeoutMs }),
        installerOptions: { clientOptions: clientOptions() },
      });
      this.watchSocket(this.socketReceiver);
      receiver = this.socketReceiver;
    } else {
      const signingSecret = options.signingSecret as string;
      this.router.post(
        EVENTS_PATH,
        (_req: Request, res: Response, next: NextFunction) => {
          if (!this.started) {
            res.status(503).json({ ok: false, error: "bridge not ready" });
            return;
          }
          next();
        },
        express.raw({ type: () => true, limit: "1mb" }),
        verifySlackRequest(signingSecret, this.logger),
      );
      receiver = new ExpressReceiver({
        signingSecret,
        router: this.router,
        endpoints: EVENTS_PATH,
        processBeforeResponse: true,
        logger: sdkLogger,
      });
    }

    this.app = new App({
      receiver,
      authorize: (source) => this.authorize(source),
      clientOptions: clientOptions(),
      logger: sdkLogger,
    });
    this.progress = new ProgressIndicators(
      { call: (t, m, a) => this.call(t, m, a) },
      this.logger,
      options.progress,
    );
    this.listen();
  }

  mountHttp(app: Express): void {
    if (this.installer) this.mountOAuth();
    app.use(this.router);
  }

  async start(sink: InboundSink): Promise<void> {
    this.sink = sink;
    if (this.options.botToken) this.identity = await this.checkBotToken(this.options.botToken);
    if (this.socketReceiver) {
      try {
        await this.app.start();
      } catch (error) {
        throw appTokenError(error);
      }
    }
    this.started = true;
    this.logger.info(
      {
        mode: this.mode,
        team: this.identity?.teamId,
        oauth: Boolean(this.installer),
      },
      `Slack connected (${this.mode === "socket" ? "Socket Mode" : `HTTP events at ${EVENTS_PATH}`})`,
    );
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.socketReceiver) await this.app.stop();
    this.socketConnected = false;
    await this.progress.flush();
  }

  isReady(): boolean {
    return this.started && (this.mode === "http" || this.socketConnected);
  }

  async send(target: ReplyTarget, markdown: string): Promise<SentMessage> {
    const text = markdownToMrkdwn(markdown);
    const { channelId, threadId } = target.conversation;
    const placeholder = await this.progress.claim(target);
    if (placeholder) {
      try {
        await this.call(target, "chat.update", { channel: placeholder.channel, ts: placeholder.ts, text });
        return { messageId: placeholder.ts };
      } catch (error) {
        this.logger.warn(
          { err: toDeliveryError(error) },
          "could not replace the placeholder; posting the reply",
        );
      }
    }
    try {
      const reply = await this.call(target, "chat.postMessage", {
        channel: channelId,
        text,
        ...(threadId && { thread_ts: threadId }),
      });
      return { messageId: String(reply.ts) };
    } catch (error) {
      throw toDeliveryError(error);
    }
  }

  startTyping(target: ReplyTarget): TypingHandle {
    return this.progress.start(target);
  }

  async getProfile(message: InboundMessage): Promise<UserProfile | undefined> {
    try {
      const reply = await this.call(message.replyTarget, "users.info", { user: message.author.id });
      return toProfile(reply.user as SlackUserInfo, message.conversation.workspaceId);
    } catch (error) {
      this.logger.warn({ err: toDeliveryError(error, "read a user profile") }, "users.info failed");
      return undefined;
    }
  }

  async doctor(): Promise<DoctorCheck[]> {
    const checks: DoctorCheck[] = [];
    if (this.options.botToken) checks.push(await this.doctorBotToken(this.options.botToken));
    if (this.options.appToken) checks.push(await this.doctorAppToken(this.options.appToken));
    if (this.options.oauth) {
      checks.push({
        name: "Slack OAuth install",
        ok: true,
        detail: `workspaces can add the app at ${INSTALL_PATH}; installations are kept in the store`,
      });
    }
    return checks;
  }

  /** The installation store (OAuth mode), for tests and operators' tooling. */
  get installationStore(): KeyvInstallationStore | undefined {
    return this.installations;
  }

  // ---- inbound -------------------------------------------------------------------------------

  private listen(): void {
    const onMessage = async (args: {
      event: SlackMessageEvent;
      body: { team_id?: string; enterprise_id?: string };
      context: { teamId?: string; enterpriseId?: string; botUserId?: string };
    }): Promise<void> => {
      const teamId = args.body.team_id ?? args.context.teamId;
      if (!teamId) return;
      if ((args.context as Record<string, unknown>)[NOT_INSTALLED]) {
        if (this.uninstalled.addNew(teamId))
          this.logger.warn(
            { team: teamId },
            "Slack workspace has not installed the app: its events are ignored",
          );
        return;
      }
      const message = classifySlackEvent(args.event, {
        teamId,
        ...(args.context.botUserId && { botUserId: args.context.botUserId }),
        ...((args.body.enterprise_id ?? args.context.enterpriseId) && {
          enterpriseId: args.body.enterprise_id ?? args.context.enterpriseId,
        }),
      });
      if (!message) return;
      if (!this.sink) throw new Error("a Slack event arrived before the adapter was started");
      await this.sink.accept(message);
    };
    this.app.event("app_mention", (args) => onMessage(args as unknown as Parameters<typeof onMessage>[0]));
    this.app.event("message", (args) => onMessage(args as unknown as Parameters<typeof onMessage>[0]));

    this.app.event("app_uninstalled", async ({ body }) => {
      await this.forgetWorkspace(body.team_id, body.enterprise_id, "app_uninstalled");
    });
    this.app.event("tokens_revoked", async ({ event, body }) => {
      if ((event.tokens.bot ?? []).length === 0) return;
      await this.forgetWorkspace(body.team_id, body.enterprise_id, "tokens_revoked");
    });

    for (const { command, name } of SLACK_SLASH_COMMANDS) {
      this.app.command(command, async ({ command: payload, ack }) => {
        const conversation: ConversationRef = {
          platform: "slack",
          workspaceId: payload.team_id,
          channelId: payload.channel_id,
        };
        const author: AuthorRef = { id: payload.user_id, name: payload.user_name, isBot: false };
        const text = await this.runCommand(name, conversation, author);
        await ack({ response_type: "ephemeral", text: markdownToMrkdwn(text) });
      });
    }

    this.app.error(async (error) => {
      if (error instanceof StoreError) {
        this.logger.warn(
          { err: error, code: error.code },
          "the store could not take a Slack event; it is not acknowledged, so Slack will send it again",
        );
        throw error;
      }
      this.logger.error(
        { err: toDeliveryError(error, "handle a Slack event") },
        "handling a Slack event failed",
      );
      throw error;
    });
  }

  private async runCommand(
    name: CommandName,
    conversation: ConversationRef,
    author: AuthorRef,
  ): Promise<string> {
    if (!this.sink) return "The bridge is starting; try again in a moment.";
    try {
      return await this.sink.command(name, conversation, author);
    } catch (error) {
      this.logger.error({ err: error, command: name }, "a Slack slash command failed");
      return "Sorry, that did not work. Please try again in a moment.";
    }
  }

  private async forgetWorkspace(
    teamId: string | undefined,
    enterpriseId: string | undefined,
    reason: string,
  ): Promise<void> {
    this.logger.info({ team: teamId, reason }, "Slack workspace removed the app");
    if (!this.installations) return;
    await this.installations.deleteInstallation({
      teamId,
      enterpriseId,
      isEnterpriseInstall: Boolean(enterpriseId) && !teamId,
    });
  }

  private watchSocket(receiver: SocketModeReceiver): void {
    receiver.client.on("connected", () => {
      this.socketConnected = true;
    });
    for (const state of ["disconnected", "reconnecting", "connecting"]) {
      receiver.client.on(state, () => {
        this.socketConnected = false;
      });
    }
  }

  // ---- workspaces and the Web API ------------------------------------------------------------

  private async authorize(source: {
    teamId?: string;
    enterpriseId?: string;
    isEnterpriseInstall: boolean;
  }): Promise<AuthorizeResult> {
    const single = this.identity;
    if (this.installer && (!single || source.teamId !== single.teamId)) {
      try {
        return await this.installer.authorize({
          teamId: source.teamId,
          enterpriseId: source.enterpriseId,
          isEnterpriseInstall: source.isEnterpriseInstall,
        });
      } catch (error) {
        if (!single) throw error;
        // The bridge's own token cannot answer in another workspace: mark the event, so it is dropped.
        if (source.teamId && source.teamId !== single.teamId) {
          return { botToken: this.options.botToken, teamId: source.teamId, [NOT_INSTALLED]: true };
        }
      }
    }
    if (!single || !this.options.botToken)
      throw new Error(`no Slack credentials for team ${source.teamId ?? "?"}`);
    return {
      botToken: this.options.botToken,
      botId: single.botId,
      botUserId: single.botUserId,
      teamId: single.teamId,
    };
  }

  /** Calls the Web API as the bot of the target's workspace. */
  private async call(
    target: ReplyTarget,
    method: string,
    args: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const { workspaceId } = target.conversation;
    const enterpriseId = target.extra?.enterpriseId;
    const auth = await this.authorize({
      teamId: workspaceId,
      ...(enterpriseId && { enterpriseId }),
      isEnterpriseInstall: false,
    });
    const reply = await this.app.client.apiCall(method, { token: auth.botToken, ...args });
    return reply as unknown as Record<string, unknown>;
  }

  private async checkBotToken(token: string): Promise<Identity> {
    try {
      const reply = await this.app.client.auth.test({ token });
      return {
        teamId: String(reply.team_id),
        ...(reply.team && { teamName: reply.team }),
        botUserId: String(reply.user_id),
        botId: String(reply.bot_id),
      };
    } catch (error) {
      const code = slackErrorCode(error);
      if (code && ["invalid_auth", "not_authed", "account_inactive", "token_revoked"].includes(code)) {
        throw new ConfigError(`Slack rejected SLACK_BOT_TOKEN (${code})`, [
          { variable: "SLACK_BOT_TOKEN", problem: code, fix: BOT_TOKEN_FIX },
        ]);
      }
      throw toDeliveryError(error, "check the bot token (auth.test)");
    }
  }

  private async doctorBotToken(token: string): Promise<DoctorCheck> {
    const name = "Slack bot token";
    try {
      const reply = await this.app.client.auth.test({ token });
      return { name, ok: true, detail: `bot ${reply.user_id} in workspace ${reply.team} (${reply.team_id})` };
    } catch (error) {
      const code = slackErrorCode(error);
      if (code)
        return { name, ok: false, detail: `Slack rejected SLACK_BOT_TOKEN (${code})`, fix: BOT_TOKEN_FIX };
      return {
        name,
        ok: false,
        detail: toDeliveryError(error, "check the bot token").message,
        fix: "Check the network and SLACK_API_URL, then run doctor again.",
      };
    }
  }

  private async doctorAppToken(token: string): Promise<DoctorCheck> {
    const name = "Slack app-level token (Socket Mode)";
    try {
      await this.app.client.apiCall("apps.connections.open", { token });
      return { name, ok: true, detail: "Socket Mode connections can be opened" };
    } catch (error) {
      const code = slackErrorCode(error);
      return {
        name,
        ok: false,
        detail: code ? `Slack rejected SLACK_APP_TOKEN (${code})` : toDeliveryError(error).message,
        fix: APP_TOKEN_FIX,
      };
    }
  }

  private mountOAuth(): void {
    const installer = this.installer as InstallProvider;
    const installUrlOptions = {
      scopes: [...SLACK_BOT_SCOPES],
      ...(this.options.oauth?.redirectUri && { redirectUri: this.options.oauth.redirectUri }),
    };
    this.router.get(INSTALL_PATH, async (req, res) => {
      try {
        await installer.handleInstallPath(req, res, undefined, installUrlOptions);
      } catch (error) {
        this.logger.error({ err: error }, "could not start a Slack install");
        if (!res.headersSent) res.status(500).send("Could not start the Slack install.");
      }
    });
    this.router.get(REDIRECT_PATH, async (req, res) => {
      await installer.handleCallback(req, res, {
        success: (installation, _options, _req, response) => {
          this.logger.info({ team: installation.team?.id }, "a Slack workspace installed the app");
          response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
          response.end(
            "<html><body><h1>Installed.</h1><p>Mention the bot in a channel or send it a DM.</p></body></html>",
          );
        },
        failure: (error, _options, _req, response) => {
          this.logger.warn({ reason: error.message }, "a Slack install failed");
          response.writeHead(400, { "content-type": "text/html; charset=utf-8" });
          response.end(
            "<html><body><h1>The install did not complete.</h1><p>Please start again.</p></body></html>",
          );
        },
      });
    });
  }
}

interface SlackUserInfo {
  id: string;
  name?: string;
  real_name?: string;
  tz?: string;
  is_bot?: boolean;
  profile?: { display_name?: string; real_name?: string; email?: string };
}

function toProfile(user: SlackUserInfo | undefined, teamId: string): UserProfile | undefined {
  if (!user) return undefined;
  const profile: UserProfile = { userId: user.id, attributes: { slack_team_id: teamId } };
  if (user.name) profile.username = user.name;
  const displayName = user.profile?.display_name || user.profile?.real_name || user.real_name;
  if (displayName) profile.displayName = displayName;
  const realName = user.profile?.real_name || user.real_name;
  if (realName) profile.realName = realName;
  if (user.profile?.email) profile.email = user.profile.email;
  if (user.tz) profile.timeZone = user.tz;
  return profile;
}

const BOT_TOKEN_FIX =
  "Copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page into SLACK_BOT_TOKEN (reinstall the app if it was revoked).";
const APP_TOKEN_FIX =
  "Create an app-level token with the connections:write scope (Basic Information → App-Level Tokens) and put it in SLACK_APP_TOKEN, and turn Socket Mode on.";

function checkOptions(options: SlackAdapterOptions): void {
  if (!options.botToken && !options.oauth) {
    throw new ConfigError("Slack needs SLACK_BOT_TOKEN (or the OAuth install settings)", [
      { variable: "SLACK_BOT_TOKEN", problem: "empty", fix: BOT_TOKEN_FIX },
    ]);
  }
  const httpProblem = signingSecretProblem(options);
  if (httpProblem) throw new ConfigError("Slack HTTP mode needs SLACK_SIGNING_SECRET", [httpProblem]);
}

function appTokenError(error: unknown): Error {
  const code = slackErrorCode(error) ?? slackErrorCode((error as { cause?: unknown })?.cause);
  if (code && ["invalid_auth", "not_authed", "not_allowed_token_type", "token_revoked"].includes(code)) {
    return new ConfigError(`Slack rejected SLACK_APP_TOKEN (${code})`, [
      { variable: "SLACK_APP_TOKEN", problem: code, fix: APP_TOKEN_FIX },
    ]);
  }
  return toDeliveryError(error, "open a Socket Mode connection");
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}
