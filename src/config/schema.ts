// The shape of the bridge's configuration: environment variables (the outside contract) and the
// optional YAML file (routes, policies, limits). zod validates both once at start-up. The platform
// modules given by the composition root add their own variables and file sections.
import { z } from "zod";
import { DEFAULTS } from "../defaults.js";
import type { PlatformModule } from "../platform-module.js";
import { TEXT_KEYS, type TextKey } from "../relay/replies.js";
import { intInRange, optionalText, url } from "./env.js";

/** The core's variables that come before the platforms' in the reference, and those after. */
const coreEnvHead = {
  MYGPT_API_KEY: optionalText,
  MYGPT_BOT_ID: optionalText,
  MYGPT_API_URL: url("the MyGPTAssistants API base").default(DEFAULTS.assistantApiUrl),
  MYGPT_CHAT_RATE: z.string().default(DEFAULTS.chatRate),
  MYGPT_DATA_RATE: z.string().default(DEFAULTS.dataRate),
  MYGPT_WEBHOOK_SECRET: optionalText,
};
const coreEnvTail = {
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
};
const coreEnv = z.object({ ...coreEnvHead, ...coreEnvTail });
/** The core's variables, parsed. */
export type CoreEnv = z.output<typeof coreEnv>;
/** The core's secret variables, scrubbed from every log line. */
export const CORE_SECRETS = ["MYGPT_API_KEY", "MYGPT_WEBHOOK_SECRET", "METRICS_TOKEN"] as const;

/** Every environment variable: the core's, with each platform module's in the middle. */
export function envSchemaFor(modules: readonly PlatformModule[]) {
  const platformVars = Object.fromEntries(
    modules.flatMap((m) => Object.entries(m.env).map(([name, variable]) => [name, variable.schema])),
  );
  return z.object({ ...coreEnvHead, ...platformVars, ...coreEnvTail });
}

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

/** The YAML file's schema: the core's sections, with each platform module's own section after `relay`. */
export function fileSchemaFor(modules: readonly PlatformModule[]) {
  const ids = modules.map((m) => m.id);
  const platformId = ids.length > 0 ? z.enum(ids as [string, ...string[]]) : z.string();
  const platformSections = Object.fromEntries(
    modules.flatMap((m) => (m.file ? [[m.id, m.file.schema]] : [])),
  );
  return z
    .object({
      routes: z
        .array(
          z
            .object({
              platform: platformId.optional(),
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
      ...platformSections,
      contacts: z
        .object({
          enabled: z.boolean().default(true),
          platforms: z.array(platformId).optional(),
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
}
export type FileConfig = z.output<ReturnType<typeof fileSchemaFor>>;
