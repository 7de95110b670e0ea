// Reads the configuration once at start-up: the environment, a .env file beside it (the real
// environment wins), and the optional YAML file. Every problem is reported together, each naming
// the variable and the fix. The platform modules the composition root passes read and validate their
// own variables; the core only asks each for its settings.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import * as v from "valibot";
import type { Platform } from "../adapter.js";
import { parseRate } from "../budget/parse-rate.js";
import type { RateSpec } from "../budget/types.js";
import { DEFAULTS } from "../defaults.js";
import { ConfigError } from "../errors.js";
import type { ConfigProblem, PlatformModule } from "../platform-module.js";
import type { AccessPolicy } from "../relay/policy.js";
import type { Texts } from "../relay/replies.js";
import { CORE_SECRETS, type CoreEnv, envSchemaFor, type FileConfig, fileSchemaFor } from "./schema.js";

/** The YAML parser, loaded only when there is a config file to read (most deployments have none). */
function parseYaml(text: string): unknown {
  const { parse } = createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return parse(text);
}

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
  /** The platform modules the root composed (each enabled one's adapter is built from `platforms`). */
  modules: readonly PlatformModule[];
  /** The validated settings of each configured platform, by module id. */
  platforms: Record<Platform, unknown>;
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

type Problem = ConfigProblem;

/** Where an operator gets each core credential (a platform's is in its module's `enabledBy`). */
export const WHERE_TO_GET: Record<string, string> = {
  MYGPT_API_KEY: "create a key in the MyGPTAssistants dashboard under Settings → API",
  MYGPT_BOT_ID: "copy the assistant's id from the MyGPTAssistants dashboard",
};

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Read a .env file from cwd (default true). */
  dotenv?: boolean;
  /** At least one chat platform must be configured (`start`; `chat` and `doctor` need none). */
  requirePlatform?: boolean;
}

/** Reads and validates the configuration, with the platforms the composition root passes. */
export function loadConfigFor(modules: readonly PlatformModule[], options: LoadOptions = {}): BridgeConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = { ...(options.dotenv === false ? {} : readDotenv(cwd)), ...(options.env ?? process.env) };
  const problems: Problem[] = [];

  const parsedEnv = v.safeParse(envSchemaFor(modules), env);
  if (!parsedEnv.success) problems.push(...envProblems(parsedEnv.issues));
  const e = parsedEnv.success ? (parsedEnv.output as CoreEnv & Record<string, unknown>) : undefined;

  const configFile = e?.CONFIG_FILE ?? env.CONFIG_FILE;
  const file = readConfigFile(cwd, configFile, modules, problems);
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

  const platforms: Record<Platform, unknown> = {};
  for (const module of modules) {
    const settings = module.settings({
      env: e,
      file: (file as Record<string, unknown>)[module.id],
      problems,
    });
    if (settings !== undefined) platforms[module.id] = settings;
  }

  if (!/^(memory:\/\/|sqlite:\/\/.+|rediss?:\/\/.+)$/.test(e.STORE_URL)) {
    problems.push({
      variable: "STORE_URL",
      problem: "not a store the bridge can open",
      fix: "use memory://, sqlite://PATH (e.g. sqlite://./data/bridge.sqlite) or redis://HOST:PORT",
    });
  }

  const startable = modules.flatMap((m) => (m.enabledBy ? [m.enabledBy] : []));
  if (options.requirePlatform && Object.keys(platforms).length === 0) {
    problems.push({
      variable: startable.map((p) => p.variable).join(" / "),
      problem: "no chat platform is configured, so there is nothing to bridge",
      fix: [
        "set at least one:",
        ...startable.map(
          (p, i) => `    ${p.variable}: ${p.whereToGet}${i === startable.length - 1 ? "." : ";"}`,
        ),
        "    To try the assistant without a platform, run `npx mygpt-bridge chat`",
      ].join("\n"),
    });
  }
  if (problems.length > 0) throw configError(problems);

  const secretVariables = [
    ...CORE_SECRETS,
    ...modules.flatMap((m) => Object.entries(m.env).flatMap(([name, v]) => (v.secret ? [name] : []))),
  ];
  const secrets = [...secretVariables.map((name) => e[name]), ...routes.map((r) => r.apiKey)].filter(
    (s): s is string => typeof s === "string" && s.length > 0,
  );

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
    modules,
    platforms,
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

function readConfigFile(
  cwd: string,
  configured: string | undefined,
  modules: readonly PlatformModule[],
  problems: Problem[],
): FileConfig {
  const path = resolve(cwd, configured ?? DEFAULTS.configFile);
  const fileSchema = fileSchemaFor(modules);
  const empty = v.parse(fileSchema, {});
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
  const parsed = v.safeParse(fileSchema, raw);
  if (parsed.success) return parsed.output;
  for (const issue of parsed.issues) {
    problems.push({
      variable: `CONFIG_FILE ${path}: ${keyPath(issue) || "(top level)"}`,
      problem: issue.message,
      fix: "see config/bridge.example.yaml for the allowed keys and values",
    });
  }
  return empty;
}

/** Where an issue is in the YAML file, as `relay.concurrency` or `routes.0.botId`. */
function keyPath(issue: v.BaseIssue<unknown>): string {
  return (issue.path ?? []).map((item) => String(item.key)).join(".");
}

function envProblems(issues: readonly v.BaseIssue<unknown>[]): Problem[] {
  return issues.map((issue) => {
    const variable = String(issue.path?.[0]?.key ?? "environment");
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
