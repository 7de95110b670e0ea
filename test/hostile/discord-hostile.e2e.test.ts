// Odd input on Discord, through the real discord.js adapter, the bridge and the Discord emulator.
import { afterEach, describe, expect, it } from "vitest";
import { type DiscordBridge, startDiscordBridge } from "./discord-bridge.js";

const open: DiscordBridge[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

async function start(options: Parameters<typeof startDiscordBridge>[0] = {}) {
  const b = await startDiscordBridge(options);
  open.push(b);
  return b;
}

describe("Discord: long answers", () => {
  it("an answer whose fence line is longer than 2,000 characters arrives whole, every message within 2,000", async () => {
    const b = await start();
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} of the program`);
    b.assistant.setRespond(() => [`\`\`\`${"x".repeat(2500)}`, ...lines, "```", "THE END"].join("\n"));
    b.discord.userSaysInDm("write it");
    await b.discord.nextBotMessage((m) => m.text.includes("THE END"));
    const posts = b.discord.sent.map((m) => m.text);
    for (const post of posts) expect(post.length).toBeLessThanOrEqual(2000);
    const seen = posts
      .join("\n")
      .split("\n")
      .filter((l) => l.startsWith("line "));
    expect(seen).toEqual(lines);
  });
});
