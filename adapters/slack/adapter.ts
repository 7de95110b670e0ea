// The Slack adapter: a Bolt app that hands mentions, DMs and thread follow-ups to the relay and posts
// the replies back as mrkdwn in the right thread. This file holds its life cycle and the Web API
// calls; each concern lives beside it:
// - receivers.ts: Socket Mode (appToken set) or the HTTP Events API on the bridge's own server;
// - events.ts and commands.ts: what Bolt hands over (events, slash commands);
// - authorize.ts and oauth.ts: which token answers for a workspace, and the multi-workspace install
//   (/slack/install, /slack/oauth_redirect) with installations in the bridge store;
// - checks.ts: settings and credentials (construction, start, doctor); profile.ts: users.info;
// - progress.ts: the status or "Thinking…" placeholder while the assistant works.
import { App, type SocketModeReceiver, type webApi } from "@slack/bolt";
import type { InstallProvider } from "@slack/oauth";
import express, { type Express } from "express";
import type { Logger } from "pino";
import type {
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
import { routeTexts } from "../../src/kit/index.js";
import type { Texts } from "../../src/relay/replies.js";
import { SlackAuthorizer } from "./authorize.js";
import { appTokenError, checkBotToken, checkOptions, doctorChecks } from "./checks.js";
import { listenForSlashCommands } from "./commands.js";
import { SLACK_API_URL } from "./config.js";
import { toDeliveryError } from "./errors.js";
import { listenForEvents } from "./events.js";
import type { KeyvInstallationStore } from "./installations.js";
import { createInstalls, mountOAuthRoutes } from "./oauth.js";
import {
  DEFAULT_RETRY_CONFIG,
  EVENTS_PATH,
  SLACK_MAX_MARKDOWN_CHUNK,
  type SlackAdapterOptions,
} from "./options.js";
import { type SlackUserInfo, toProfile } from "./profile.js";
import { ProgressIndicators } from "./progress.js";
import { httpReceiver, socketReceiver } from "./receivers.js";
import { markdownToMrkdwn } from "./render.js";
import { slackSdkLogger } from "./sdk-logger.js";

export {
  DEFAULT_RETRY_CONFIG,
  SLACK_MAX_MARKDOWN_CHUNK,
  type SlackAdapterOptions,
  type SlackOAuthOptions,
} from "./options.js";

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
  private readonly authorizer: SlackAuthorizer;
  private readonly progress: ProgressIndicators;
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
      const installs = createInstalls(options.oauth, this.apiUrl, clientOptions(), sdkLogger);
      this.installer = installs.installer;
      this.installations = installs.installations;
    }
    this.authorizer = new SlackAuthorizer(options.botToken, this.installer);

    if (options.appToken) {
      this.socketReceiver = socketReceiver({
        appToken: options.appToken,
        sdkLogger,
        clientOptions: clientOptions(),
        ...(options.socketPingTimeoutMs !== undefined && { pingTimeoutMs: options.socketPingTimeoutMs }),
        onConnected: (connected) => {
          this.socketConnected = connected;
        },
      });
    }
    const receiver =
      this.socketReceiver ??
      httpReceiver({
        router: this.router,
        signingSecret: options.signingSecret as string,
        sdkLogger,
        logger: this.logger,
        isReady: () => this.started,
      });

    this.app = new App({
      receiver,
      authorize: (source) => this.authorizer.authorize(source),
      clientOptions: clientOptions(),
      logger: sdkLogger,
    });
    this.progress = new ProgressIndicators(
      { call: (t, m, a) => this.call(t, m, a) },
      this.logger,
      options.progress,
    );
    const sink = () => this.sink;
    listenForEvents(this.app, { sink, installations: this.installations, logger: this.logger });
    listenForSlashCommands(this.app, {
      sink,
      textsOf: (conversation) => this.textsOf(conversation),
      logger: this.logger,
    });
  }

  mountHttp(app: Express): void {
    if (this.installer) {
      mountOAuthRoutes(this.router, this.installer, this.options.oauth?.redirectUri, this.logger);
    }
    app.use(this.router);
  }

  async start(sink: InboundSink): Promise<void> {
    this.sink = sink;
    if (this.options.botToken) {
      this.authorizer.identity = await checkBotToken(this.app.client, this.options.botToken);
    }
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
        team: this.authorizer.identity?.teamId,
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
    const texts = this.textsOf(target.conversation);
    return this.progress.start(target, { placeholder: texts.thinking, status: texts.thinkingStatus });
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
    return doctorChecks(this.app.client, this.options);
  }

  /** The installation store (OAuth mode), for tests and operators' tooling. */
  get installationStore(): KeyvInstallationStore | undefined {
    return this.installations;
  }

  private textsOf(conversation: ConversationRef): Texts {
    return routeTexts(this.sink, conversation);
  }

  /** Calls the Web API as the bot of the target's workspace. */
  private async call(
    target: ReplyTarget,
    method: string,
    args: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const { workspaceId } = target.conversation;
    const enterpriseId = target.extra?.enterpriseId;
    const auth = await this.authorizer.authorize({
      teamId: workspaceId,
      ...(enterpriseId && { enterpriseId }),
      isEnterpriseInstall: false,
    });
    const reply = await this.app.client.apiCall(method, { token: auth.botToken, ...args });
    return reply as unknown as Record<string, unknown>;
  }
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}
