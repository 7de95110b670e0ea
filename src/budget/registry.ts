// One call budget per (API key, kind): bots sharing a key share its chat and data budgets, different
// keys never do. Also hands the assistant client the hooks that keep those budgets in step with
// what the server says (rate-limit headers) and that count client retries as calls.
import type { Logger } from "pino";
import type { ApiArea, AssistantClientOptions } from "../assistant/client.js";
import { DEFAULTS } from "../defaults.js";
import type { Store } from "../store/types.js";
import { createCallBudget, type SlidingWindowBudget } from "./call-budget.js";
import { parseRate } from "./parse-rate.js";
import type { BudgetSnapshot, RateSpec } from "./types.js";

export type BudgetKind = ApiArea;

export interface BudgetRegistryOptions {
  store?: Store;
  /** Default 100/60s (MYGPT_CHAT_RATE). */
  chatRate?: RateSpec;
  /** Default 1000/3600s (MYGPT_DATA_RATE). */
  dataRate?: RateSpec;
  chatConcurrency?: number;
  dataConcurrency?: number;
  now?: () => number;
  logger?: Logger;
  safetyMarginMs?: number;
}

export class BudgetRegistry {
  private readonly budgets = new Map<string, { kind: BudgetKind; budget: SlidingWindowBudget }>();
  private readonly rates: Record<BudgetKind, RateSpec>;

  constructor(private readonly options: BudgetRegistryOptions = {}) {
    this.rates = {
      chat: options.chatRate ?? parseRate(DEFAULTS.chatRate, "MYGPT_CHAT_RATE"),
      data: options.dataRate ?? parseRate(DEFAULTS.dataRate, "MYGPT_DATA_RATE"),
    };
  }

  budgetFor(apiKey: string, kind: BudgetKind): SlidingWindowBudget {
    const name = `${kind}:${apiKey}`;
    let entry = this.budgets.get(name);
    if (!entry) {
      const concurrency = kind === "chat" ? this.options.chatConcurrency : this.options.dataConcurrency;
      const budget = createCallBudget({
        rate: this.rates[kind],
        key: name,
        store: this.options.store,
        concurrency,
        now: this.options.now,
        logger: this.options.logger,
        safetyMarginMs: this.options.safetyMarginMs,
      });
      entry = { kind, budget };
      this.budgets.set(name, entry);
    }
    return entry.budget;
  }

  /** Spread into createAssistantClient's options for this key. */
  clientHooks(apiKey: string): Required<Pick<AssistantClientOptions, "onRateLimit" | "beforeRetry">> {
    return {
      onRateLimit: (info, area) => this.budgetFor(apiKey, area).noteServerLimits(info),
      beforeRetry: (area, signal) => this.budgetFor(apiKey, area).reserve(signal),
    };
  }

  /** Every budget's state, labelled by kind and by its (hashed) id, for metrics. */
  snapshots(): Array<{ kind: BudgetKind; id: string; snapshot: BudgetSnapshot }> {
    return [...this.budgets.values()].map(({ kind, budget }) => ({
      kind,
      id: budget.id,
      snapshot: budget.snapshot(),
    }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.budgets.values()].map(({ budget }) => budget.close()));
  }
}
