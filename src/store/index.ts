// The store layer's public face: the Store interface, openStore, and a Keyv adapter over a Store.
export { StoreKeyvAdapter, storeKeyv } from "./keyv-adapter.js";
export { type OpenStoreOptions, openStore } from "./open-store.js";
export { parseStoreUrl } from "./store-url.js";
export type { BatchResult, ClaimOptions, QueueItem, SlotResult, Store, StoreKind, WriteOp } from "./types.js";
