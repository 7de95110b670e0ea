// Bench peer: the bot the vendor's quick start leads to. grammY long polling with plain bot.start()
// (one update at a time), one fetch to the assistant per private text message, the answer (or the
// error) sent back as the reply. No queue, no budget, no store. Run as its own process by
// peers.bench.ts, with the emulators' addresses in the environment.
import { Bot } from "grammy";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const apiUrl = env("MYGPT_API_URL");
const apiKey = env("MYGPT_API_KEY");
const botId = env("MYGPT_BOT_ID");

const bot = new Bot(env("TELEGRAM_BOT_TOKEN"), { client: { apiRoot: env("TELEGRAM_API_ROOT") } });

bot.chatType("private").on("message:text", async (ctx) => {
  let text: string;
  try {
    const response = await fetch(`${apiUrl}/bot/${encodeURIComponent(botId)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ message: ctx.message.text, sessionId: String(ctx.chat.id) }),
    });
    const body = (await response.json()) as { data?: { response?: string }; error?: { message?: string } };
    text = body.data?.response ?? body.error?.message ?? `error ${response.status}`;
  } catch (error) {
    text = `error: ${String(error)}`;
  }
  await ctx.reply(text);
});

bot.catch((error) => console.error("bare grammY peer:", error.message));
process.once("SIGTERM", () => void bot.stop());
await bot.start();
