// Writes docs/configuration.md from the valibot schemas in src/config/schema.ts, composed with the
// platform modules of the composition root: every environment variable and every key of the YAML
// file, with its type, allowed values and default taken from the schema, and the one-line meaning
// kept here for the core's settings and in each platform module for its own. A setting added to the schema without a meaning, or a
// meaning left for a setting that is gone, is an error, and test/package/config-reference.test.ts
// fails when the checked-in page differs from what this renders: the reference cannot drift.
//
//   npm run docs:config            rewrite docs/configuration.md
//   npm run docs:config -- --check exit 1 when the page is out of date
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import { PLATFORM_MODULES } from "../src/app/index.js";
import { envSchemaFor, fileSchemaFor } from "../src/config/schema.js";
import { DEFAULT_TEXTS, type TextKey } from "../src/relay/replies.js";

const envSchema = envSchemaFor(PLATFORM_MODULES);
const fileSchema = fileSchemaFor(PLATFORM_MODULES);

/** The core's variables; each platform module gives its own variables' meanings. */
const CORE_ENV_MEANINGS: Record<string, string> = {
  MYGPT_API_KEY:
    "Bearer key of the MyGPTAssistants API (dashboard → Settings → API). Required unless every route names its own key variable.",
  MYGPT_BOT_ID:
    "The assistant that answers. Required unless the config file has a route with no platform/workspace/channel.",
  MYGPT_API_URL: "Base URL of the MyGPTAssistants API.",
  MYGPT_CHAT_RATE:
    "Chat-call budget per API key, as `calls/window` (e.g. `100/60s`); kept in the store and shared by processes on one store.",
  MYGPT_DATA_RATE: "Data-call budget per API key (contact sync), as `calls/window`.",
  MYGPT_WEBHOOK_SECRET:
    "Enables `POST /webhooks/mygpt` (dashboard events such as a human agent's message) and verifies their signature.",
  STORE_URL:
    "Where sessions, the backlog and budgets live: `memory://`, `sqlite://PATH` or `redis://…` / `rediss://…`.",
  PORT: "HTTP port (`/healthz`, `/readyz`, `/metrics`, Slack HTTP, Telegram webhook, MyGPT webhooks).",
  HOST: "HTTP listen address.",
  LOG_LEVEL: "pino log level. Tokens and keys never appear in logs.",
  CONFIG_FILE: "The YAML file with routes, policies and limits; `config/bridge.yaml` is read when present.",
  METRICS_TOKEN:
    "When set (16+ characters), `/metrics` and `/readyz` require `Authorization: Bearer <token>`; `/healthz` stays open.",
  PROCESS_LEASE_MS:
    "How long a replica that died keeps its conversations (and what it held in the store) before another replica sharing the store takes them over; renewed every third of it. One that died on the same host is noticed at once.",
  SHUTDOWN_TIMEOUT_MS:
    "After SIGTERM/SIGINT, how long `start` drains before exiting anyway; unanswered messages stay pending in the store for the next start. Keep it below your orchestrator's stop grace period (Docker: 10 s).",
};

/** What each user-facing text is for; the English defaults live in src/relay/replies.ts. */
const TEXT_MEANINGS: Record<string, string> = {
  help: "The answer to /help (and to a bare mention).",
  greeting: "The answer to Telegram's /start.",
  reset: "The confirmation of /reset.",
  backlogFull: "Sent when the line is full and the user should try again later.",
  tooLong: "Sent when a message is longer than the assistant accepts.",
  longWait: "Sent once when the expected wait is long.",
  filesNote: "Sent when a message carries files or images, which are not read.",
  quotaReached: "Sent once when a user reaches relay.userQuota.",
  apologyMisconfigured: "The apology when the API key or bot id is refused.",
  apologyInvalidRequest: "The apology when the assistant refuses the request.",
  apologyTimeout: "The apology when the assistant did not answer in time.",
  apologyUnavailable: "The apology when the assistant is unavailable after retries.",
  thinking: "Slack: the placeholder message shown while the assistant works, replaced by the answer.",
  thinkingStatus: "Slack: the assistant thread status shown after the app's name while it works (DMs).",
  commandNotReady: "Slack: the answer to a slash command that arrives before the bridge has started.",
  commandFailed: "Slack: the answer to a slash command that failed (e.g. the store is unreachable).",
};

/** The meanings of the texts under `prefix`; with `withDefault`, each names its English default too. */
function textKeys(prefix: string, withDefault = false): Record<string, string> {
  return Object.fromEntries(
    Object.entries(TEXT_MEANINGS).map(([key, meaning]) => [
      `${prefix}.${key}`,
      withDefault ? `${meaning} Default: \`${JSON.stringify(DEFAULT_TEXTS[key as TextKey])}\`` : meaning,
    ]),
  );
}

const CORE_FILE_MEANINGS: Record<string, string> = {
  routes:
    "Which assistant answers where: the first route whose platform/workspace/channel match wins; otherwise MYGPT_BOT_ID with MYGPT_API_KEY.",
  "routes[].platform": "Match this platform only.",
  "routes[].workspace": "Match this Slack team / Discord guild id only.",
  "routes[].channel": "Match this channel / Telegram chat id only.",
  "routes[].botId": "The assistant that answers matching conversations.",
  "routes[].texts": "Texts users see in this route's conversations (e.g. another language), over `texts`.",
  ...textKeys("routes[].texts"),
  texts: "Texts users see, replacing the English defaults everywhere (a route's own `texts` win).",
  ...textKeys("texts", true),
  "routes[].apiKeyEnv":
    "Name of the environment variable holding this route's API key (keys never go in files); default MYGPT_API_KEY. Each key has its own budget.",
  policy:
    "Who may talk to the bot. Deny wins; an empty or missing allow list allows everyone. Entries are ids, optionally prefixed with the platform (`slack:T123`).",
  "policy.allow": "Lists of ids that may talk to the bot.",
  "policy.allow.workspaces": "Slack team / Discord guild ids.",
  "policy.allow.channels": "Channel / Telegram chat ids.",
  "policy.allow.users": "User ids.",
  "policy.deny": "Lists of ids that are never answered.",
  "policy.deny.workspaces": "Slack team / Discord guild ids.",
  "policy.deny.channels": "Channel / Telegram chat ids.",
  "policy.deny.users": "User ids.",
  relay: "How messages wait for and reach the assistant.",
  "relay.mergeQueuedMessages":
    "Messages that pile up in one conversation while it waits become one assistant call.",
  "relay.maxBacklog":
    "Accepted, unanswered messages across all conversations; beyond it new ones are refused with a notice.",
  "relay.maxConversationBacklog":
    "Unanswered messages per conversation; beyond it the user is asked to wait.",
  "relay.longWaitNoticeSeconds": "Tell the user when their expected wait is longer than this.",
  "relay.sessionIdleDays": "A conversation nobody wrote in for this long starts a new assistant session.",
  "relay.concurrency":
    "Most assistant calls in flight at once per API key; within it each key's limit follows its budget and how long a call takes, the reply's posting included.",
  "relay.userQuota": "Per-user quota, off by default: one person cannot spend a budget everyone shares.",
  "relay.userQuota.messages": "Messages a user may send in the window (counted per process).",
  "relay.userQuota.perMinutes": "The quota's sliding window, in minutes.",
  contacts: "Contact sync to the assistant's CRM. On by default: see docs/privacy.md.",
  "contacts.enabled":
    "Upsert everyone who writes as a contact (name, e-mail, phone where the platform shares them).",
  "contacts.platforms": "Sync users of these platforms only (default: all).",
  "contacts.excludeFields": "Fields never sent to the CRM.",
  "contacts.refreshHours": "A known contact is refreshed at most this often.",
  "contacts.backlogWarnMinutes":
    "Log once when the contact backlog is expected to take longer than this to drain (the ETA is in /metrics).",
  "contacts.syncFirst":
    "`new`: sync new users before refreshes of known ones (default); `refresh`: the other way.",
  "contacts.profileCheckMinutes": "A known user's profile is looked at for changes at most this often.",
  handoff: "When a human agent answers from the dashboard (needs MYGPT_WEBHOOK_SECRET).",
  "handoff.mode":
    "`keep-relaying`: the assistant keeps answering too; `stay-silent`: its answers are held back while the agent is active.",
  "handoff.windowMinutes": "How long after the agent's last message the handoff lasts.",
};

export const ENV_MEANINGS: Record<string, string> = {
  ...CORE_ENV_MEANINGS,
  ...Object.fromEntries(
    PLATFORM_MODULES.flatMap((m) => Object.entries(m.env).map(([name, v]) => [name, v.meaning])),
  ),
};

export const FILE_MEANINGS: Record<string, string> = {
  ...CORE_FILE_MEANINGS,
  ...Object.fromEntries(PLATFORM_MODULES.flatMap((m) => Object.entries(m.file?.meanings ?? {}))),
};

type JsonSchema = {
  type?: string;
  enum?: unknown[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  pattern?: string;
};

/** The schema as JSON Schema of what may be written; checks and transforms it cannot express are left out. */
function asJson(schema: v.GenericSchema): JsonSchema {
  return toJsonSchema(schema, { typeMode: "input", errorMode: "ignore" }) as JsonSchema;
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(" | ");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" or ");
  if (s.type === "array") return `list of ${s.items ? typeOf(s.items) : "values"}`;
  const bounds: string[] = [];
  if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
  if (s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER) bounds.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) bounds.push(`≤ ${s.maximum}`);
  return [s.type ?? "any", ...bounds].join(" ");
}

function shown(value: unknown): string {
  if (value === undefined) return "—";
  if (typeof value === "object") return `\`${JSON.stringify(value)}\``;
  return `\`${String(value)}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The file keys as dotted paths (arrays as `name[]`), parents before children. */
function fileRows(schema: JsonSchema, prefix = ""): Array<{ key: string; schema: JsonSchema }> {
  const rows: Array<{ key: string; schema: JsonSchema }> = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const key = prefix ? `${prefix}.${name}` : name;
    rows.push({ key, schema: child });
    if (child.type === "object") rows.push(...fileRows(child, key));
    if (child.type === "array" && child.items?.type === "object")
      rows.push(...fileRows(child.items, `${key}[]`));
  }
  return rows;
}

export function renderConfigReference(): string {
  const problems: string[] = [];
  const envJson = asJson(envSchema);
  const envDefaults = v.parse(envSchema, {}) as Record<string, unknown>;
  const envKeys = Object.keys(envSchema.entries);
  const fileJson = asJson(fileSchema);
  const rows = fileRows(fileJson);

  for (const key of envKeys)
    if (!ENV_MEANINGS[key])
      problems.push(`environment variable ${key} has no meaning in scripts/config-reference.ts`);
  for (const key of Object.keys(ENV_MEANINGS))
    if (!envKeys.includes(key)) problems.push(`ENV_MEANINGS names ${key}, which the schema no longer has`);
  for (const { key } of rows)
    if (!FILE_MEANINGS[key])
      problems.push(`config file key ${key} has no meaning in scripts/config-reference.ts`);
  for (const key of Object.keys(FILE_MEANINGS))
    if (!rows.some((r) => r.key === key))
      problems.push(`FILE_MEANINGS names ${key}, which the schema no longer has`);
  if (problems.length) throw new Error(problems.join("\n"));

  const lines = [
    "# Configuration reference",
    "",
    "<!-- Generated by `npm run docs:config` from src/config/schema.ts; do not edit by hand. -->",
    "",
    "Settings come from environment variables (a `.env` file in the working folder is read too; the real",
    "environment wins) and an optional YAML file (`CONFIG_FILE`, default `config/bridge.yaml` when present).",
    "Everything is validated once at start-up, and every problem is reported together, naming the",
    "setting and the fix. `mygpt-bridge doctor` checks the credentials against the real services.",
    "",
    "## Environment variables",
    "",
    "| variable | type | default | meaning |",
    "| --- | --- | --- | --- |",
  ];
  for (const key of envKeys) {
    const schema = envJson.properties?.[key] ?? {};
    const type = schema.enum ? typeOf(schema) : /PORT|_MS$/.test(key) ? "whole number" : "string";
    lines.push(`| \`${key}\` | ${cell(type)} | ${shown(envDefaults[key])} | ${cell(ENV_MEANINGS[key]!)} |`);
  }
  lines.push(
    "",
    "## Config file (YAML)",
    "",
    "Unknown keys are errors. `config/bridge.example.yaml` shows a complete file.",
    "",
    "| key | type | default | meaning |",
    "| --- | --- | --- | --- |",
  );
  for (const { key, schema } of rows) {
    const type = schema.type === "object" ? "section" : typeOf(schema);
    const def = schema.type === "object" ? "" : shown(schema.default);
    lines.push(`| \`${key}\` | ${cell(type)} | ${def} | ${cell(FILE_MEANINGS[key]!)} |`);
  }
  return `${lines.join("\n")}\n`;
}

export const REFERENCE_PATH = resolve(import.meta.dirname ?? ".", "..", "docs", "configuration.md");

if (
  process.argv[1] &&
  resolve(process.argv[1]) === resolve(import.meta.dirname ?? ".", "config-reference.ts")
) {
  const page = renderConfigReference();
  if (process.argv.includes("--check")) {
    const current = readFileSync(REFERENCE_PATH, "utf8");
    if (current !== page) {
      console.error("docs/configuration.md is out of date: run `npm run docs:config`");
      process.exit(1);
    }
  } else {
    writeFileSync(REFERENCE_PATH, page);
    console.log(`wrote ${REFERENCE_PATH}`);
  }
}
