// The shape of the bridge's configuration: environment variables (the outside contract) and the
// optional YAML file (routes, policies, limits). zod validates both once at start-up.
import { z } from "zod";
import { DEFAULTS } from "../defaults.js";
import { TEXT_KEYS, type TextKey } from "../relay/replies.js";

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();
const url = (what: string) =>
  z
    .string()
    .trim()
    .refine((v) => /^https?:\/\//.test(v), { message: `must be an http(s) URL (${what})` });
const intInRange = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be between ${min} and ${max}` });

export const envSchema = z.object({
  MYGPT_API_KEY: optionalText,
  MYGPT_BOT_ID: optionalText,
  MYGPT_API_URL: url("the MyGPTAssistants API base").default(DEFAULTS.assistantApiUrl),
  MYGPT_CHAT_RATE: z.string().default(DEFAULTS.chatRate),
  MYGPT_DATA_RATE: z.string().default(DEFAULTS.dataRate),
  MYGPT_WEBHOOK_SECRET: optionalText,
  TELEGRAM_BOT_TOKEN: optionalText,
  TELEGRAM_API_ROOT: url("the Telegram Bot API root").default(DEFAULTS.telegramApiRoot),
  TELEGRAM_WEBHOOK_URL: optionalText.pipe(url("the public HTTPS URL of POST /telegram/webhook").optional()),
  TELEGRAM_WEBHOOK_SECRET: optionalText,
  SLACK_BOT_TOKEN: optionalText,
  SLACK_APP_TOKEN: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_CLIENT_ID: optionalText,
  SLACK_CLIENT_SECRET: optionalText,
  SLACK_STATE_SECRET: optionalText,
  SLACK_API_URL: url("the Slack Web API root").default(DEFAULTS.slackApiUrl),
  DISCORD_BOT_TOKEN: optionalText,
  DISCORD_API_URL: url("the Discord REST root").default(DEFAULTS.discordApiUrl),
  STORE_URL: z.string().trim().default(DEFAULTS.storeUrl),
  PORT: intInRange(0, 65535).default(DEFAULTS.port),
  HOST: z.string().trim().default(DEFAULTS.host),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default(DEFAULTS.logLevel),
  CONFIG_FILE: optionalText,
  METRICS_TOKEN: optionalText.pipe(
    z.string().min(16, "must be at least 16 characters (e.g. `openssl rand -hex 32`)").optional(),
  ),
  SHUTDOWN_TIMEOUT_MS: intInRange(0, 3_600_000).default(DEFAULTS.shutdownTimeoutMs),
  PROCESS_LEASE_MS: intInRange(1_000, 3_600_000).default(DEFAULTS.processLeaseMs),
});
export type EnvInput = z.input<typeof envSchema>;

const accessLists = z
  .object({
    workspaces: z.array(z.coerce.string()).optional(),
    channels: z.array(z.coerce.string()).optional(),
    users: z.array(z.coerce.string()).optional(),
  })
  .strict();

/** Replacements for the texts users see (src/relay/replies.ts lists them with their defaults). */
const texts = z
  .object(
    Object.fromEntries(TEXT_KEYS.map((key) => [key, z.string().trim().min(1).optional()])) as Record<
      TextKey,
      z.ZodOptional<z.ZodString>
    >,
  )
  .strict();

export const fileSchema = z
  .object({
    routes: z
      .array(
        z
          .object({
            platform: z.enum(["slack", "discord", "telegram", "console"]).optional(),
            workspace: z.coerce.string().optional(),
            channel: z.coerce.string().optional(),
            botId: z.string().min(1),
            /** Name of an environment variable holding this route's API key (keys never go in files). */
            apiKeyEnv: z
              .string()
              .regex(/^[A-Z_][A-Z0-9_]*$/)
              .optional(),
            /** This route's texts, over the global `texts:` and the English defaults. */
            texts: texts.optional(),
          })
          .strict(),
      )
      .default([]),
    policy: z.object({ allow: accessLists.optional(), deny: accessLists.optional() }).strict().default({}),
    texts: texts.optional(),
    relay: z
      .object({
        mergeQueuedMessages: z.boolean().default(DEFAULTS.mergeQueuedMessages),
        maxBacklog: z.number().int().positive().default(DEFAULTS.maxBacklog),
        maxConversationBacklog: z.number().int().positive().default(DEFAULTS.maxConversationBacklog),
        longWaitNoticeSeconds: z
          .number()
          .positive()
          .default(DEFAULTS.longWaitNoticeMs / 1000),
        sessionIdleDays: z
          .number()
          .positive()
          .default(DEFAULTS.sessionIdleMs / 86_400_000),
        concurrency: z.number().int().positive().max(100).default(DEFAULTS.chatConcurrency),
        /** Per-user quota, off by default: at most `messages` per `perMinutes` per user. */
        userQuota: z
          .object({ messages: z.number().int().positive(), perMinutes: z.number().positive() })
          .strict()
          .optional(),
      })
      .strict()
      .default({
        mergeQueuedMessages: DEFAULTS.mergeQueuedMessages,
        maxBacklog: DEFAULTS.maxBacklog,
        maxConversationBacklog: DEFAULTS.maxConversationBacklog,
        longWaitNoticeSeconds: DEFAULTS.longWaitNoticeMs / 1000,
        sessionIdleDays: DEFAULTS.sessionIdleMs / 86_400_000,
        concurrency: DEFAULTS.chatConcurrency,
      }),
    discord: z
      .object({
        replyMode: z.enum(["thread", "reply"]).default("thread"),
        devGuildId: z.coerce.string().optional(),
      })
      .strict()
      .default({ replyMode: "thread" }),
    contacts: z
      .object({
        enabled: z.boolean().default(true),
        platforms: z.array(z.enum(["slack", "discord", "telegram", "console"])).optional(),
        excludeFields: z.array(z.enum(["name", "email", "phone", "attributes"])).default([]),
        refreshHours: z
          .number()
          .positive()
          .default(DEFAULTS.contactRefreshMs / 3_600_000),
        profileCheckMinutes: z
          .number()
          .nonnegative()
          .default(DEFAULTS.contactProfileCheckMs / 60_000),
        /** Log once when the backlog needs longer than this to drain (the ETA is in /metrics too). */
        backlogWarnMinutes: z
          .number()
          .positive()
          .default(DEFAULTS.contactBacklogWarnMs / 60_000),
        /** Which waiting contacts are synced first: new users, or changed profiles of known ones. */
        syncFirst: z.enum(["new", "refresh"]).default("new"),
      })
      .strict()
      .default({
        enabled: true,
        excludeFields: [],
        refreshHours: DEFAULTS.contactRefreshMs / 3_600_000,
        profileCheckMinutes: DEFAULTS.contactProfileCheckMs / 60_000,
        backlogWarnMinutes: DEFAULTS.contactBacklogWarnMs / 60_000,
        syncFirst: "new",
      }),
    handoff: z
      .object({
        mode: z.enum(["keep-relaying", "stay-silent"]).default("keep-relaying"),
        windowMinutes: z
          .number()
          .positive()
          .default(DEFAULTS.handoffWindowMs / 60_000),
      })
      .strict()
      .default({ mode: "keep-relaying", windowMinutes: DEFAULTS.handoffWindowMs / 60_000 }),
  })
  .strict();
export type FileConfig = z.output<typeof fileSchema>;
