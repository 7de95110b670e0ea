// Reads the configuration once at start-up: the environment, a .env file beside it (the real
// environment wins), and the optional YAML file. Every problem is reported together, each naming
// the variable and the fix.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import type { Platform } from "../adapter.js";
import { parseRate } from "../budget/parse-rate.js";
import type { RateSpec } from "../budget/types.js";
import { DEFAULTS } from "../defaults.js";
import { ConfigError } from "../errors.js";
import type { AccessPolicy } from "../relay/policy.js";
import type { Texts } from "../relay/replies.js";
import { envSchema, type FileConfig, fileSchema } from "./schema.js";

export interface RouteRule {
  platform?: Platform;
  workspace?: string;
  channel?: string;
  botId: string;
  apiKey: string;
  texts?: Partial<Texts>;
}

export interface BridgeConfig {
  assistant: {
    apiUrl: string;
    apiKey?: string;
    botId?: string;
    chatRate: RateSpec;
    dataRate: RateSpec;
    webhookSecret?: string;
  };
  routes: RouteRule[];
  telegram?: { token: string; apiRoot: string; webhook?: { url: string; secret: string } };
  slack?: {
    botToken?: string;
    appToken?: string;
    signingSecret?: string;
    apiUrl: string;
    oauth?: { clientId: string; clientSecret: string; stateSecret: string };
  };
  discord?: { token: string; apiUrl: string; replyMode: "thread" | "reply"; devGuildId?: string };
  storeUrl: string;
  http: {
    port: number;
    host: string;
    /** METRICS_TOKEN: when set, /metrics and /readyz need `Authorization: Bearer <token>`. */
    operatorToken?: string;
  };
  logLevel: string;
  policy: AccessPolicy;
  /** Global replacements for the texts users see; routes may override them. */
  texts?: Partial<Texts>;
  relay: FileConfig["relay"];
  contacts: FileConfig["contacts"];
  handoff: FileConfig["handoff"];
  /** The YAML file that was read (CONFIG_FILE, or config/bridge.yaml when present). */
  configFile?: string;
  /** How long a stop may take before what is still in flight is left pending for the next start. */
  shutdownTimeoutMs: number;
  /** How long a dead replica's conversations stay its own before another replica takes them over. */
  processLeaseMs: number;
  /** Every secret value, so logs can scrub them wherever they appear. */
  secrets: string[];
}

type Problem = { variable: string; problem: string; fix: string };

/** Where an operator gets each credential; used by errors, `start` with nothing set, and doctor. */
export const WHERE_TO_GET: Record<string, string> = {
  MYGPT_API_KEY: "create a key in the MyGPTAssistants dashboard under Settings → API",
  MYGPT_BOT_ID: "copy the assistant's id from the MyGPTAssistants dashboard",
  TELEGRAM_BOT_TOKEN: "talk to @BotFather on Telegram, /newbot, and copy the token it gives",
  SLACK_BOT_TOKEN:
    "create a Slack app from config/slack-manifest.yaml at api.slack.com/apps, install it, and copy the Bot User OAuth Token (xoxb-…)",
  DISCORD_BOT_TOKEN:
    "create an application at discord.com/developers/applications, add a Bot, copy its token, and enable the Message Content intent",
};

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Read a .env file from cwd (default true). */
  dotenv?: boolean;
  /** At least one chat platform must be configured (`start`; `chat` and `doctor` need none). */
  requirePlatform?: boolean;
}

export function loadConfig(options: LoadOptions = {}): BridgeConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = { ...(options.dotenv === false ? {} : readDotenv(cwd)), ...(options.env ?? process.env) };
  const problems: Problem[] = [];

  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) problems.push(...zodProblems(parsedEnv.error));
  const e = parsedEnv.success ? parsedEnv.data : undefined;

  const configFile = e?.CONFIG_FILE ?? env.CONFIG_FILE;
  const file = readConfigFile(cwd, configFile, problems);
  if (!e) throw configError(problems);

  const chatRate = readRate(e.MYGPT_CHAT_RATE, "MYGPT_CHAT_RATE", problems);
  const dataRate = readRate(e.MYGPT_DATA_RATE, "MYGPT_DATA_RATE", problems);

  const routes: RouteRule[] = [];
  for (const [i, route] of file.routes.entries()) {
    const apiKey = route.apiKeyEnv ? env[route.apiKeyEnv] : e.MYGPT_API_KEY;
    if (!apiKey) {
      const variable = route.apiKeyEnv ?? "MYGPT_API_KEY";
      problems.push({
        variable,
        problem: `routes[${i}] (bot ${route.botId}) needs an API key but ${variable} is not set`,
        fix: `set ${variable}; ${WHERE_TO_GET.MYGPT_API_KEY}`,
      });
      continue;
    }
    routes.push({ ...route, apiKey });
  }
  const hasCatchAll = file.routes.some((r) => !r.platform && !r.workspace && !r.channel);
  if (!e.MYGPT_BOT_ID && !hasCatchAll) {
    problems.push({
      variable: "MYGPT_BOT_ID",
      problem: "no assistant to answer with",
      fix: `set MYGPT_BOT_ID (${WHERE_TO_GET.MYGPT_BOT_ID}), or add a route without platform/workspace/channel to the config file`,
    });
  }
  if (!e.MYGPT_API_KEY && file.routes.every((r) => !r.apiKeyEnv)) {
    problems.push({
      variable: "MYGPT_API_KEY",
      problem: "not set",
      fix: `set MYGPT_API_KEY; ${WHERE_TO_GET.MYGPT_API_KEY}`,
    });
  }

  let telegram: BridgeConfig["telegram"];
  if (e.TELEGRAM_BOT_TOKEN) {
    let webhook: { url: string; secret: string } | undefined;
    if (e.TELEGRAM_WEBHOOK_URL) {
      if (!e.TELEGRAM_WEBHOOK_SECRET || !/^[A-Za-z0-9_-]{16,256}$/.test(e.TELEGRAM_WEBHOOK_SECRET)) {
        problems.push({
          variable: "TELEGRAM_WEBHOOK_SECRET",
          problem:
            "webhook mode (TELEGRAM_WEBHOOK_URL is set) needs a secret, or anyone could post fake updates",
          fix: "set TELEGRAM_WEBHOOK_SECRET to 16-256 characters of A-Z, a-z, 0-9, _ and - (e.g. `openssl rand -hex 32`), or unset TELEGRAM_WEBHOOK_URL for long polling",
        });
      } else {
        webhook = { url: e.TELEGRAM_WEBHOOK_URL, secret: e.TELEGRAM_WEBHOOK_SECRET };
      }
    }
    telegram = { token: e.TELEGRAM_BOT_TOKEN, apiRoot: e.TELEGRAM_API_ROOT.replace(/\/+$/, ""), webhook };
  }

  let slack: BridgeConfig["slack"];
  const oauthVars = [e.SLACK_CLIENT_ID, e.SLACK_CLIENT_SECRET, e.SLACK_STATE_SECRET];
  const wantsOauth = oauthVars.some(Boolean);
  if (e.SLACK_BOT_TOKEN || wantsOauth) {
    if (wantsOauth && !oauthVars.every(Boolean)) {
      problems.push({
        variable: "SLACK_CLIENT_ID / SLACK_CLIENT_SECRET / SLACK_STATE_SECRET",
        problem: "multi-workspace install needs all three",
        fix: "set all three from your Slack app's Basic Information page (the state secret is any random string), or none",
      });
    }
    if (!e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET) {
      problems.push({
        variable: "SLACK_SIGNING_SECRET",
        problem: "HTTP mode (no SLACK_APP_TOKEN) must verify Slack's signatures",
        fix: "copy the Signing Secret from your Slack app's Basic Information page, or set SLACK_APP_TOKEN (xapp-…) for Socket Mode",
      });
    }
    if (wantsOauth && e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET) {
      problems.push({
        variable: "SLACK_SIGNING_SECRET",
        problem: "the OAuth install flow runs over HTTP and needs the signing secret",
        fix: "copy the Signing Secret from your Slack app's Basic Information page",
      });
    }
    slack = {
      botToken: e.SLACK_BOT_TOKEN,
      appToken: e.SLACK_APP_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      apiUrl: e.SLACK_API_URL.endsWith("/") ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`,
      oauth:
        e.SLACK_CLIENT_ID && e.SLACK_CLIENT_SECRET && e.SLACK_STATE_SECRET
          ? {
              clientId: e.SLACK_CLIENT_ID,
              clientSecret: e.SLACK_CLIENT_SECRET,
              stateSecret: e.SLACK_STATE_SECRET,
            }
          : undefined,
    };
  }

  const discord: BridgeConfig["discord"] = e.DISCORD_BOT_TOKEN
    ? {
        token: e.DISCORD_BOT_TOKEN,
        apiUrl: e.DISCORD_API_URL.replace(/\/+$/, ""),
        replyMode: file.discord.replyMode,
        devGuildId: file.discord.devGuildId,
      }
    : undefined;

  if (!/^(memory:\/\/|sqlite:\/\/.+|rediss?:\/\/.+)$/.test(e.STORE_URL)) {
    problems.push({
      variable: "STORE_URL",
      problem: "not a store the bridge can open",
      fix: "use memory://, sqlite://PATH (e.g. sqlite://./data/bridge.sqlite) or redis://HOST:PORT",
    });
  }

  if (options.requirePlatform && !telegram && !slack && !discord) {
    problems.push({
      variable: "TELEGRAM_BOT_TOKEN / SLACK_BOT_TOKEN / DISCORD_BOT_TOKEN",
      problem: "no chat platform is configured, so there is nothing to bridge",
      fix: [
        "set at least one:",
        `    TELEGRAM_BOT_TOKEN: ${WHERE_TO_GET.TELEGRAM_BOT_TOKEN};`,
        `    SLACK_BOT_TOKEN: ${WHERE_TO_GET.SLACK_BOT_TOKEN};`,
        `    DISCORD_BOT_TOKEN: ${WHERE_TO_GET.DISCORD_BOT_TOKEN}.`,
        "    To try the assistant without a platform, run `npx mygpt-bridge chat`",
      ].join("\n"),
    });
  }
  if (problems.length > 0) throw configError(problems);

  const secrets = [
    e.MYGPT_API_KEY,
    e.MYGPT_WEBHOOK_SECRET,
    e.TELEGRAM_BOT_TOKEN,
    e.TELEGRAM_WEBHOOK_SECRET,
    e.SLACK_BOT_TOKEN,
    e.SLACK_APP_TOKEN,
    e.SLACK_SIGNING_SECRET,
    e.SLACK_CLIENT_SECRET,
    e.SLACK_STATE_SECRET,
    e.DISCORD_BOT_TOKEN,
    e.METRICS_TOKEN,
    ...routes.map((r) => r.apiKey),
  ].filter((s): s is string => Boolean(s));

  return {
    assistant: {
      apiUrl: e.MYGPT_API_URL.replace(/\/+$/, ""),
      apiKey: e.MYGPT_API_KEY,
      botId: e.MYGPT_BOT_ID,
      chatRate: chatRate!,
      dataRate: dataRate!,
      webhookSecret: e.MYGPT_WEBHOOK_SECRET,
    },
    routes,
    telegram,
    slack,
    discord,
    storeUrl: e.STORE_URL,
    http: { port: e.PORT, host: e.HOST, operatorToken: e.METRICS_TOKEN },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    processLeaseMs: e.PROCESS_LEASE_MS,
    logLevel: e.LOG_LEVEL,
    policy: file.policy,
    texts: file.texts,
    relay: file.relay,
    contacts: file.contacts,
    handoff: file.handoff,
    configFile: existsSync(resolve(cwd, configFile ?? DEFAULTS.configFile))
      ? resolve(cwd, configFile ?? DEFAULTS.configFile)
      : undefined,
    secrets: [...new Set(secrets)],
  };
}

export function readDotenv(cwd: string): NodeJS.ProcessEnv {
  const path = resolve(cwd, ".env");
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, "utf8")) as NodeJS.ProcessEnv;
}

function readConfigFile(cwd: string, configured: string | undefined, problems: Problem[]): FileConfig {
  const path = resolve(cwd, configured ?? DEFAULTS.configFile);
  const empty = fileSchema.parse({});
  if (!existsSync(path)) {
    if (configured) {
      problems.push({
        variable: "CONFIG_FILE",
        problem: `${path} does not exist`,
        fix: "point CONFIG_FILE at your YAML file, or unset it",
      });
    }
    return empty;
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, "utf8")) ?? {};
  } catch (error) {
    problems.push({
      variable: "CONFIG_FILE",
      problem: `${path} is not valid YAML: ${(error as Error).message.split("\n")[0]}`,
      fix: "fix the YAML syntax (see config/bridge.example.yaml)",
    });
    return empty;
  }
  const parsed = fileSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    problems.push({
      variable: `CONFIG_FILE ${path}: ${issue.path.join(".") || "(top level)"}`,
      problem: issue.message,
      fix: "see config/bridge.example.yaml for the allowed keys and values",
    });
  }
  return empty;
}

function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? "environment");
    return { variable, problem: issue.message, fix: `correct ${variable} (see .env.example)` };
  });
}

function readRate(text: string, variable: string, problems: Problem[]): RateSpec | undefined {
  try {
    return parseRate(text, variable);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}

function configError(problems: Problem[]): ConfigError {
  const lines = problems.map((p) => `  - ${p.variable}: ${p.problem}. Fix: ${p.fix}.`);
  return new ConfigError(
    `The bridge's configuration has ${problems.length} problem(s):\n${lines.join("\n")}`,
    problems,
  );
}
