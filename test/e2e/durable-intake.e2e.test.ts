// Through the whole bridge (real SDK, emulator, relay and assistant emulator): a message that
// arrives while the store cannot take it is still answered, exactly once, once the store is back.
// Slack and Telegram get it again from the platform (nothing was acknowledged); Discord, which
// never redelivers, from the adapter's bounded retry.
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { startAssistantEmulator } from "../emulators/assistant/index.js";
import { DiscordEmulator } from "../emulators/discord/emulator.js";
import type { EnvelopeEvent } from "../emulators/slack/emulator.js";
import { parseReply, startTestBridge } from "../support/bridge-harness.js";
import { adaptersFromEnv } from "../support/platform-bridge.js";
import { answersTo as slackAnswersTo, answerTo as slackAnswerTo, startSlackBridge } from "./slack-helpers.js";
import { storeOutage } from "./store-outage.js";
import {
  chatCalls,
  startTelegramBridge,
  type Mode as TelegramMode,
  answersTo as telegramAnswersTo,
  answerTo as telegramAnswerTo,
} from "./telegram-helpers.js";

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("a message sent while the store is down is answered once it is back", () => {
  it("a Socket Mode event the store could not take is redelivered by Slack and answered once", async () => {
    const outage = storeOutage(2);
    const b = await startSlackBridge("socket", { wrapAdapter: outage.wrap });
    cleanups.push(() => b.close());
    b.slack.redeliverUnackedMs = 300;
    const deliveries: EnvelopeEvent[] = [];
    b.slack.on("envelope", (e: EnvelopeEvent) => deliveries.push(e));

    const { results } = await b.slack.userSays(b.user, b.dm, "asked during the outage");
    const envelopeId = results[0]?.envelopeId;
    const answer = await slackAnswerTo(b.slack, "asked during the outage");
    expect(answer.sent.channel).toBe(b.dm.id);
    expect(outage.refused).toBe(2);
    const attempts = deliveries.filter((d) => d.envelopeId === envelopeId).map((d) => d.retryAttempt);
    expect(attempts.slice(0, 3)).toEqual([0, 1, 2]);

    await b.slack.userSays(b.user, b.dm, "marker");
    expect((await slackAnswerTo(b.slack, "marker")).turn).toBe(2);
    expect(slackAnswersTo(b.slack, "asked during the outage")).toHaveLength(1);
    expect(chatCalls(b.assistant)).toBe(2);
  });

  it.each<TelegramMode>(["polling", "webhook"])(
    "a Telegram message the store could not take (%s) is delivered again and answered once",
    async (mode) => {
      const outage = storeOutage(2);
      const b = await startTelegramBridge(mode, { wrapAdapter: outage.wrap });
      cleanups.push(() => b.close());

      b.telegram.userSays(b.dm, b.user, "asked during the outage");
      const answer = await telegramAnswerTo(b.telegram, "asked during the outage");
      expect(answer.sent.chatId).toBe(b.dm.id);
      expect(outage.refused).toBe(2);

      b.telegram.userSays(b.dm, b.user, "marker");
      expect((await telegramAnswerTo(b.telegram, "marker")).turn).toBe(2);
      expect(telegramAnswersTo(b.telegram, "asked during the outage")).toHaveLength(1);
      expect(chatCalls(b.assistant)).toBe(2);
    },
  );

  it("a Discord message the store could not take is retried by the bridge and answered once", async () => {
    const discord = await DiscordEmulator.start();
    cleanups.push(() => discord.close());
    const assistant = await startAssistantEmulator();
    cleanups.push(() => assistant.close());
    const env = { DISCORD_BOT_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl };
    const store = await openStore("memory://");
    cleanups.push(() => store.close());
    const outage = storeOutage(2);
    const adapters = (await adaptersFromEnv(assistant, env, store)).map(outage.wrap);
    const t = await startTestBridge({ adapters, assistant, env });
    cleanups.push(() => t.close());

    const asked = discord.userSaysInDm("asked during the outage");
    const reply = await discord.nextBotMessage((m) => m.channelId === asked.channel_id);
    expect(parseReply(reply.text).message).toBe("asked during the outage");
    expect(outage.refused).toBe(2);

    discord.userSaysInDm("marker");
    const marker = await discord.nextBotMessage((m) => m.text.endsWith("marker"));
    expect(parseReply(marker.text).turn).toBe(2);
    const answers = discord.sent.filter((m) => m.text.endsWith("] asked during the outage"));
    expect(answers).toHaveLength(1);
    expect(chatCalls(assistant)).toBe(2);
  });
});
