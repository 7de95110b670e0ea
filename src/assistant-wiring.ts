// Connects the assistant client to the call budgets: one client per API key, each reporting the
// server's rate-limit headers to that key's budgets and spending a budget slot on every retry. The
// bridge's clients talk HTTP through node:http (cheaper per call than fetch).
import type { Logger } from "pino";
import { createAssistantClient } from "./assistant/index.js";
import { nodeExchange } from "./assistant/node-exchange.js";
import type { AssistantApi } from "./assistant/types.js";
import type { AssistantWiring } from "./bridge.js";
import { BudgetRegistry } from "./budget/index.js";
import type { BridgeConfig } from "./config/load.js";
import type { Store } from "./store/types.js";

export async function createAssistantWiring(
  config: BridgeConfig,
  logger: Logger,
  store: Store,
): Promise<AssistantWiring> {
  const budgets = new BudgetRegistry({
    store,
    chatRate: config.assistant.chatRate,
    dataRate: config.assistant.dataRate,
    chatConcurrency: config.relay.concurrency,
    dataConcurrency: 1,
    logger: logger.child({ part: "budget" }),
  });
  const clients = new Map<string, AssistantApi>();
  return {
    assistantFor(apiKey) {
      let client = clients.get(apiKey);
      if (!client) {
        client = createAssistantClient({
          baseUrl: config.assistant.apiUrl,
          apiKey,
          logger: logger.child({ part: "assistant" }),
          exchange: nodeExchange,
          ...budgets.clientHooks(apiKey),
        });
        clients.set(apiKey, client);
      }
      return client;
    },
    budgetFor: (apiKey, kind) => budgets.budgetFor(apiKey, kind),
    snapshots: () => budgets.snapshots(),
    close: () => budgets.close(),
  };
}
