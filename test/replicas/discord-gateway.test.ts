// The Discord gateway with two bridge replicas on one Redis: exactly one opens a gateway session
// (the emulator sees one IDENTIFY); when that replica is killed the other connects within the
// lease time and answers a new message.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import { DiscordEmulator } from "../emulators/discord/emulator.js";
import type { BridgeProcess } from "../reliability/bridge-process.js";
import { type RedisServer, skipWithoutRedis, startRedis } from "../support/redis.js";
import { startReplicas, TEST_LEASE_MS, theHolder } from "./replicas.js";

describe.skipIf(skipWithoutRedis())("Discord gateway across replicas", { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let discord: DiscordEmulator;
  let assistant: AssistantEmulator;
  let replicas: BridgeProcess[] = [];

  beforeEach(async () => {
    redis = await startRedis();
    discord = await DiscordEmulator.start();
    assistant = await startAssistantEmulator();
  });
  afterEach(async () => {
    await Promise.all(replicas.map((r) => r.close()));
    replicas = [];
    await discord.close();
    await assistant.close();
    await redis.stop();
  });

  it("keeps one gateway session across two replicas, and moves it within the lease time when its replica is killed", async () => {
    const identifies: number[] = [];
    discord.gateway.on("identify", () => identifies.push(Date.now()));
    const identified = new Promise<void>((resolve) => discord.gateway.once("identify", () => resolve()));
    replicas = await startReplicas(2, {
      MYGPT_API_URL: assistant.url,
      MYGPT_API_KEY: assistant.apiKey,
      MYGPT_BOT_ID: assistant.botId,
      DISCORD_BOT_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      STORE_URL: redis.url,
    });
    const role = `discord:shard:${discord.applicationId}:0/1`;
    const holder = await theHolder(replicas, role);
    const standby = replicas.find((r) => r !== holder)!;
    // The lock is taken before the holder's gateway connects: wait for that connection, then check
    // it is the only one (a second IDENTIFY would also show in the count after the kill below).
    await identified;
    expect(identifies).toHaveLength(1);

    const firstAnswer = discord.nextBotMessage((m) => m.text.includes("first question"));
    discord.userSays("first question", { mentionBot: true });
    expect((await firstAnswer).text).toContain("first question");

    const reconnected = new Promise<number>((resolve) =>
      discord.gateway.once("identify", () => resolve(Date.now())),
    );
    const killedAt = Date.now();
    await holder.kill9();
    const connectedAt = await reconnected;
    expect(connectedAt - killedAt).toBeLessThan(TEST_LEASE_MS + TEST_LEASE_MS / 3 + 1500);
    expect(await theHolder(replicas, role)).toBe(standby);

    const answer = discord.nextBotMessage((m) => m.text.includes("second question"));
    discord.userSays("second question", { mentionBot: true });
    expect((await answer).text).toContain("second question");
    expect(identifies).toHaveLength(2);
  });
});
