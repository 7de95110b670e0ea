// The shape of the bridge's configuration: environment variables (the outside contract) and the
// optional YAML file (routes, policies, limits). valibot validates both once at start-up. The platform
// modules given by the composition root add their own variables and file sections.
import * as v from "valibot";
import { DEFAULTS } from "../defaults.js";
import type { PlatformModule } from "../platform-module.js";
import { TEXT_KEYS, type TextKey } from "../relay/replies.js";
import { idText, intInRange, oneOf, optionalText, section, url } from "./env.js";

/** The core's variables that come before the platforms' in the reference, and those after. */
const coreEnvHead = {
  MYGPT_API_KEY: optionalText,
  MYGPT_BOT_ID: optionalText,
  MYGPT_API_URL: v.optional(url("the MyGPTAssistants API base"), DEFAULTS.assistantApiUrl),
  MYGPT_CHAT_RATE: v.optional(v.string(), DEFAULTS.chatRate),
  MYGPT_DATA_RATE: v.optional(v.string(), DEFAULTS.dataRate),
  MYGPT_WEBHOOK_SECRET: optionalText,
};
const coreEnvTail = {
  STORE_URL: v.optional(v.pipe(v.string(), v.trim()), DEFAULTS.storeUrl),
  PORT: v.optional(intInRange(0, 65535), String(DEFAULTS.port)),
  HOST: v.optional(v.pipe(v.string(), v.trim()), DEFAULTS.host),
  LOG_LEVEL: v.optional(
    oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
    DEFAULTS.logLevel,
  ),
  CONFIG_FILE: optionalText,
  METRICS_TOKEN: v.pipe(
    optionalText,
    v.optional(
      v.pipe(v.string(), v.minLength(16, "must be at least 16 characters (e.g. `openssl rand -hex 32`)")),
    ),
  ),
  SHUTDOWN_TIMEOUT_MS: v.optional(intInRange(0, 3_600_000), String(DEFAULTS.shutdownTimeoutMs)),
  PROCESS_LEASE_MS: v.optional(intInRange(1_000, 3_600_000), String(DEFAULTS.processLeaseMs)),
};
const coreEnv = v.object({ ...coreEnvHead, ...coreEnvTail });
/** The core's variables, parsed. */
export type CoreEnv = v.InferOutput<typeof coreEnv>;
/** The core's secret variables, scrubbed from every log line. */
export const CORE_SECRETS = ["MYGPT_API_KEY", "MYGPT_WEBHOOK_SECRET", "METRICS_TOKEN"] as const;

/** Every environment variable: the core's, with each platform module's in the middle. */
export function envSchemaFor(modules: readonly PlatformModule[]) {
  const platformVars = Object.fromEntries(
    modules.flatMap((m) => Object.entries(m.env).map(([name, variable]) => [name, variable.schema])),
  );
  return v.object({ ...coreEnvHead, ...platformVars, ...coreEnvTail });
}

const accessLists = section({
  workspaces: v.optional(v.array(idText)),
  channels: v.optional(v.array(idText)),
  users: v.optional(v.array(idText)),
});

const aNumber = v.number("must be a number");
const aBoolean = v.boolean("must be true or false");
const positive = v.pipe(aNumber, v.gtValue(0, "must be more than 0"));
const positiveInteger = v.pipe(
  aNumber,
  v.integer("must be a whole number"),
  v.gtValue(0, "must be more than 0"),
);

const replacementText = v.optional(v.pipe(v.string(), v.trim(), v.minLength(1)));
/** Replacements for the texts users see (src/relay/replies.ts lists them with their defaults). */
const texts = section(
  Object.fromEntries(TEXT_KEYS.map((key) => [key, replacementText])) as Record<
    TextKey,
    typeof replacementText
  >,
);

/** The YAML file's schema: the core's sections, with each platform module's own section after `relay`. */
export function fileSchemaFor(modules: readonly PlatformModule[]) {
  const ids = modules.map((m) => m.id);
  const platformId = ids.length > 0 ? oneOf(ids as [string, ...string[]]) : v.string();
  const platformSections: Record<string, v.GenericSchema> = Object.fromEntries(
    modules.flatMap((m) => (m.file ? [[m.id, m.file.schema]] : [])),
  );
  return section({
    routes: v.optional(
      v.array(
        section({
          platform: v.optional(platformId),
          workspace: v.optional(idText),
          channel: v.optional(idText),
          botId: v.pipe(v.string(), v.minLength(1)),
          /** Name of an environment variable holding this route's API key (keys never go in files). */
          apiKeyEnv: v.optional(
            v.pipe(v.string(), v.regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable's name")),
          ),
          /** This route's texts, over the global `texts:` and the English defaults. */
          texts: v.optional(texts),
        }),
      ),
      [],
    ),
    policy: v.optional(section({ allow: v.optional(accessLists), deny: v.optional(accessLists) }), {}),
    texts: v.optional(texts),
    relay: v.optional(
      section({
        mergeQueuedMessages: v.optional(aBoolean, DEFAULTS.mergeQueuedMessages),
        maxBacklog: v.optional(positiveInteger, DEFAULTS.maxBacklog),
        maxConversationBacklog: v.optional(positiveInteger, DEFAULTS.maxConversationBacklog),
        longWaitNoticeSeconds: v.optional(positive, DEFAULTS.longWaitNoticeMs / 1000),
        sessionIdleDays: v.optional(positive, DEFAULTS.sessionIdleMs / 86_400_000),
        concurrency: v.optional(
          v.pipe(positiveInteger, v.maxValue(100, "must be at most 100")),
          DEFAULTS.chatConcurrency,
        ),
        /** Per-user quota, off by default: at most `messages` per `perMinutes` per user. */
        userQuota: v.optional(section({ messages: positiveInteger, perMinutes: positive })),
      }),
      {},
    ),
    ...platformSections,
    contacts: v.optional(
      section({
        enabled: v.optional(aBoolean, true),
        platforms: v.optional(v.array(platformId)),
        excludeFields: v.optional(v.array(oneOf(["name", "email", "phone", "attributes"])), []),
        refreshHours: v.optional(positive, DEFAULTS.contactRefreshMs / 3_600_000),
        profileCheckMinutes: v.optional(
          v.pipe(aNumber, v.minValue(0, "must be 0 or more")),
          DEFAULTS.contactProfileCheckMs / 60_000,
        ),
        /** Log once when the backlog needs longer than this to drain (the ETA is in /metrics too). */
        backlogWarnMinutes: v.optional(positive, DEFAULTS.contactBacklogWarnMs / 60_000),
        /** Which waiting contacts are synced first: new users, or changed profiles of known ones. */
        syncFirst: v.optional(oneOf(["new", "refresh"]), "new"),
      }),
      {},
    ),
    handoff: v.optional(
      section({
        mode: v.optional(oneOf(["keep-relaying", "stay-silent"]), "keep-relaying"),
        windowMinutes: v.optional(positive, DEFAULTS.handoffWindowMs / 60_000),
      }),
      {},
    ),
  });
}
export type FileConfig = v.InferOutput<ReturnType<typeof fileSchemaFor>>;
