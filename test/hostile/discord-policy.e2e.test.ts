// Channel policy and routes on Discord, through the real adapter and the Discord emulator: a thread
// belongs to its parent channel, so deny, allow and routes by channel hold in both reply modes.
import { afterEach, describe, expect, it } from "vitest";
import type { DiscordEmulator } from "../emulators/discord/emulator.js";
import { chatRequests } from "../support/platform-bridge.js";
import { type DiscordBridge, startDiscordBridge } from "./discord-bridge.js";

const open: DiscordBridge[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

/** A thread a user started on their own message in #general (not a bot thread). */
function userThread(discord: DiscordEmulator) {
  const starter = discord.userSays("let's discuss", { mentionBot: false });
  const general = discord.channels.get(discord.channelId)!;
  return discord.startThread(general, starter, "discussion", 60);
}

/** Waits until a DM sent after `what` is answered, so `what` has been handled (DMs are never channel-listed). */
async function settled(discord: DiscordEmulator, marker: string) {
  discord.userSaysInDm(marker);
  await discord.nextBotMessage((m) => m.text.endsWith(marker));
}

for (const replyMode of ["thread", "reply"] as const) {
  describe(`Discord channel policy (${replyMode} mode)`, () => {
    it("deny.channels: [general] refuses a mention in #general and inside a thread of #general", async () => {
      const b = await bridgeWith(replyMode, (general) => `policy:\n  deny:\n    channels: ["${general}"]\n`);
      const thread = userThread(b.discord);
      b.discord.userSays("denied in the channel", { mentionBot: true });
      b.discord.userSays("denied in the thread", { mentionBot: true, channelId: thread.id });
      await settled(b.discord, "dm marker");
      const asked = chatRequests(b.assistant).map((r) => JSON.stringify(r.body));
      expect(asked.filter((a) => a.includes("denied"))).toEqual([]);
      expect(b.discord.sent.filter((m) => m.text.includes("denied"))).toEqual([]);
    });

    it("allow.channels: [general] answers a mention in #general and a follow-up inside its thread", async () => {
      const b = await bridgeWith(replyMode, (general) => `policy:\n  allow:\n    channels: ["${general}"]\n`);
      const thread = userThread(b.discord);
      b.discord.userSays("allowed in the thread", { mentionBot: true, channelId: thread.id });
      const inThread = await b.discord.nextBotMessage((m) => m.text.endsWith("allowed in the thread"));
      expect(inThread.channelId).toBe(thread.id);
      b.discord.userSays("allowed in the channel", { mentionBot: true });
      await b.discord.nextBotMessage((m) => m.text.endsWith("allowed in the channel"));
    });

    it("a route for #general answers with its bot in the channel and in its threads", async () => {
      const b = await bridgeWith(
        replyMode,
        (general) => `routes:\n  - platform: discord\n    channel: "${general}"\n    botId: bot-general\n`,
        ["bot-1", "bot-general"],
      );
      const thread = userThread(b.discord);
      b.discord.userSays("route me in the thread", { mentionBot: true, channelId: thread.id });
      await b.discord.nextBotMessage((m) => m.text.endsWith("route me in the thread"));
      b.discord.userSays("route me in the channel", { mentionBot: true });
      await b.discord.nextBotMessage((m) => m.text.endsWith("route me in the channel"));
      const paths = chatRequests(b.assistant).map((r) => r.path);
      expect(paths).toEqual(["/bot/bot-general", "/bot/bot-general"]);
    });
  });
}

async function bridgeWith(
  replyMode: "thread" | "reply",
  yaml: (general: string) => string,
  botIds?: string[],
): Promise<DiscordBridge> {
  const b = await startDiscordBridge({
    yaml: (general) => `discord:\n  replyMode: ${replyMode}\n${yaml(general)}`,
    ...(botIds && { emulator: { botIds } }),
  });
  open.push(b);
  return b;
}
