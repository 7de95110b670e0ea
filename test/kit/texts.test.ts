// The texts an adapter shows by itself follow the route when the sink knows them, else English.
import { describe, expect, it } from "vitest";
import type { ConversationRef, InboundSink } from "../../src/adapter.js";
import { routeTexts } from "../../src/kit/index.js";
import { DEFAULT_TEXTS, Replies } from "../../src/relay/replies.js";

const conversation: ConversationRef = { platform: "console", workspaceId: "W1", channelId: "C1" };
const plainSink: InboundSink = {
  accept: async () => ({ status: "duplicate" }),
  command: async () => "",
};

describe("an adapter's own texts", () => {
  it("come from the sink's route texts when it has them", () => {
    const german = new Replies({ thinking: "_Denke nach…_" });
    const sink = {
      ...plainSink,
      texts: (c: ConversationRef) => (c.channelId === "C1" ? german.texts : DEFAULT_TEXTS),
    };
    expect(routeTexts(sink, conversation).thinking).toBe("_Denke nach…_");
    expect(routeTexts(sink, { ...conversation, channelId: "C2" }).thinking).toBe(DEFAULT_TEXTS.thinking);
  });

  it("are the English defaults before start or behind a sink that does not know routes", () => {
    expect(routeTexts(undefined, conversation)).toBe(DEFAULT_TEXTS);
    expect(routeTexts(plainSink, conversation).commandFailed).toBe(DEFAULT_TEXTS.commandFailed);
  });
});
