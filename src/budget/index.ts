// The call budget's public pieces.
export { type CallBudgetOptions, createCallBudget, SlidingWindowBudget } from "./call-budget.js";
export { inFlightLimit, LatencyAverage } from "./concurrency.js";
export { budgetId } from "./key-hash.js";
export { parseRate } from "./parse-rate.js";
export { type BudgetKind, BudgetRegistry, type BudgetRegistryOptions } from "./registry.js";
export type * from "./types.js";
export { WindowLog } from "./window-log.js";
