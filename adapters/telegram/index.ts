// The Telegram platform: the adapter and the helpers its tests and the README refer to.
export * from "./adapter.js";
