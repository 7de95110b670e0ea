// `mygpt-bridge doctor`: checks every configured credential against its real API, the store and the
// HTTP port, and prints one line per check with the fix. Exits non-zero when any check fails.

import type { DoctorCheck } from "../adapter.js";
import { createPlatformAdapters } from "../app/index.js";
import { createAssistantWiring } from "../assistant-wiring.js";
import type { BridgeConfig } from "../config/load.js";
import { WHERE_TO_GET } from "../config/load.js";
import { backlogEtaMs, describeBacklog } from "../contacts/backlog-eta.js";
import { storedBacklog } from "../contacts/contact-sync.js";
import { DEFAULTS } from "../defaults.js";
import { AssistantError } from "../errors.js";
import { listen } from "../http/server.js";
import { silentLogger } from "../logger.js";
import { openStore } from "../store/open-store.js";
import { loadConfigOrExplain } from "./load-config.js";

export async function runDoctor(): Promise<number> {
  const config = loadConfigOrExplain();
  if (!config) {
    process.stdout.write("✗ config: see the problems above\n");
    return 1;
  }
  const checks = await doctorChecks(config);
  for (const check of checks) {
    const mark = check.ok ? (check.warning ? "!" : "✓") : "✗";
    const fix = check.fix && (!check.ok || check.warning) ? `\n    fix: ${check.fix}` : "";
    process.stdout.write(`${mark} ${check.name}: ${check.detail}${fix}\n`);
  }
  return checks.every((c) => c.ok) ? 0 : 1;
}

/** A check, or (ok with `warning`) something to know that does not fail doctor. */
export type DoctorLine = DoctorCheck & { warning?: boolean };

export async function doctorChecks(config: BridgeConfig): Promise<DoctorLine[]> {
  const checks: DoctorLine[] = [
    {
      name: "config",
      ok: true,
      detail: config.configFile
        ? `loaded ${config.configFile} and the environment`
        : `environment only (no ${DEFAULTS.configFile} here, CONFIG_FILE not set)`,
    },
  ];
  if (Object.keys(config.platforms).length === 0) {
    const startable = config.modules.flatMap((m) => (m.enabledBy ? [m.enabledBy] : []));
    const options = startable.map((p) => `${p.variable} (${p.whereToGet})`);
    checks.push({
      name: "platforms",
      ok: false,
      detail: "no chat platform is configured, so `start` would refuse to run",
      fix: `set ${options.length > 1 ? `${options.slice(0, -1).join(", ")} or ${options.at(-1)}` : options.join("")}`,
    });
  }
  const logger = silentLogger();

  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    store = await openStore(config.storeUrl);
    await store.ping();
    checks.push({ name: "store", ok: true, detail: `${store.kind} store answers` });
  } catch (error) {
    checks.push({
      name: "store",
      ok: false,
      detail: `cannot open STORE_URL: ${(error as Error).message}`,
      fix: "check STORE_URL (memory://, sqlite://PATH with a writable folder, or a reachable redis://HOST:PORT)",
    });
  }

  if (store && checks.at(-1)?.name === "store" && checks.at(-1)?.ok) {
    const backlog = await contactBacklogCheck(config, store);
    if (backlog) checks.push(backlog);
  }

  const memory = await openStore("memory://");
  const wiring = await createAssistantWiring(config, logger, memory);
  const pairs = new Map<string, { botId: string; apiKey: string }>();
  if (config.assistant.botId && config.assistant.apiKey) {
    pairs.set(`${config.assistant.apiKey}|${config.assistant.botId}`, {
      botId: config.assistant.botId,
      apiKey: config.assistant.apiKey,
    });
  }
  for (const r of config.routes) pairs.set(`${r.apiKey}|${r.botId}`, { botId: r.botId, apiKey: r.apiKey });
  for (const [i, { botId, apiKey }] of [...pairs.values()].entries()) {
    checks.push(await checkAssistant(wiring.assistantFor(apiKey), botId, i, config.assistant.apiUrl));
  }

  try {
    const server = await listen((_req, res) => res.end(), config.http.port, config.http.host);
    await server.close();
    checks.push({ name: "http port", ok: true, detail: `${config.http.host}:${config.http.port} is free` });
  } catch (error) {
    checks.push({
      name: "http port",
      ok: false,
      detail: (error as Error).message,
      fix: "set PORT to a free port",
    });
  }

  const adapters = await createPlatformAdapters(config, logger, store ?? memory);
  for (const adapter of adapters) {
    if (!adapter.doctor) continue;
    try {
      checks.push(...(await adapter.doctor()));
    } catch (error) {
      checks.push({
        name: adapter.platform,
        ok: false,
        detail: (error as Error).message,
        fix: "see the adapter's SETUP.md",
      });
    }
  }
  await store?.close();
  return checks;
}

/** A warning line when the stored contact backlog needs longer than contacts.backlogWarnMinutes. */
async function contactBacklogCheck(
  config: BridgeConfig,
  store: Awaited<ReturnType<typeof openStore>>,
): Promise<DoctorLine | undefined> {
  if (!config.contacts.enabled) return undefined;
  const lanes = await storedBacklog(store);
  const waiting = lanes.new + lanes.refresh;
  if (waiting === 0) return undefined;
  const wiring = await createAssistantWiring(config, silentLogger(), store);
  try {
    const apiKey = config.assistant.apiKey ?? config.routes[0]?.apiKey ?? "";
    const etaMs = backlogEtaMs(waiting, wiring.budgetFor(apiKey, "data"));
    if (etaMs <= config.contacts.backlogWarnMinutes * 60_000) return undefined;
    return {
      name: "contact backlog",
      ok: true,
      warning: true,
      detail: describeBacklog({ waiting, etaMs }),
      fix: "raise MYGPT_DATA_RATE if your plan allows, or set contacts.syncFirst / contacts.platforms to choose what syncs first",
    };
  } finally {
    await wiring.close();
  }
}

async function checkAssistant(
  api: ReturnType<Awaited<ReturnType<typeof createAssistantWiring>>["assistantFor"]>,
  botId: string,
  index: number,
  apiUrl: string,
): Promise<DoctorCheck> {
  const name = index === 0 ? "assistant" : `assistant (route ${index})`;
  try {
    await api.chat({
      botId,
      message: "Connection check from mygpt-bridge doctor.",
      sessionId: "mygpt-bridge-doctor",
    });
    return { name, ok: true, detail: `key and bot ${botId} answered at ${apiUrl}` };
  } catch (error) {
    if (!(error instanceof AssistantError)) {
      return { name, ok: false, detail: (error as Error).message, fix: `check MYGPT_API_URL (${apiUrl})` };
    }
    const fixes: Partial<Record<string, string>> = {
      INVALID_API_KEY: `set MYGPT_API_KEY to a valid key: ${WHERE_TO_GET.MYGPT_API_KEY}`,
      BOT_NOT_FOUND: `set MYGPT_BOT_ID to an existing assistant: ${WHERE_TO_GET.MYGPT_BOT_ID}`,
      RATE_LIMIT_EXCEEDED: "the key's chat budget is spent right now; run doctor again in a minute",
      TRANSPORT: `check MYGPT_API_URL (${apiUrl}) and the network`,
      TIMEOUT: `check MYGPT_API_URL (${apiUrl}) and the network`,
    };
    return {
      name,
      ok: false,
      detail: `${error.code}: ${error.message}`,
      fix: fixes[error.code] ?? "try again; contact MyGPTAssistants support if it persists",
    };
  }
}
