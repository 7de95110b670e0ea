import { PassThrough } from "node:stream";
import { ConsoleAdapter } from "../adapters/console/index.js";
import { type AdapterHarness, runAdapterContract } from "./support/adapter-contract.js";
import { waitForEvent } from "./support/events.js";

runAdapterContract(
  "Console",
  async (): Promise<AdapterHarness> => {
    const input = new PassThrough();
    const output = new PassThrough();
    const adapter = new ConsoleAdapter({ input, output, userName: "ada" });
    const sent: string[] = [];
    let typed = false;
    adapter.on("sent", (s: { text: string }) => sent.push(s.text));
    adapter.on("typing", () => {
      typed = true;
    });
    return {
      adapter,
      sendDirect: async (text) => {
        input.write(`${text}\n`);
      },
      sendMention: async () => {
        throw new Error("the console has no shared channel");
      },
      sendFromOtherBot: null,
      waitForBotMessage: async (needle) => {
        const text =
          sent.find((t) => t.includes(needle)) ??
          (await waitForEvent<{ text: string }>(adapter, "sent", (s) => s.text.includes(needle))).text;
        return { text, conversation: { channelId: "terminal" } };
      },
      waitForTyping: async () => {
        if (!typed) await waitForEvent(adapter, "typing");
      },
      close: async () => {
        input.end();
      },
    };
  },
  { sharedChannels: false },
);
