// Bench peer: Vercel's Chat SDK (chat + @chat-adapter/telegram + in-memory state) wired the way its
// docs show: webhook mode (its production mode) behind a plain node:http server, concurrency
// "queue" (the docs' choice for AI bots), and handlers for direct messages, new mentions and
// subscribed threads that each fetch the assistant with sessionId = thread.id and post its answer.
// The SDK never registers its webhook itself, so this calls setWebhook once listening.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createMemoryState } from "@chat-adapter/state-memory";
import { createTelegramAdapter } from "@chat-adapter/telegram";
import { Chat, type Message, type Thread } from "chat";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const apiUrl = env("MYGPT_API_URL");
const apiKey = env("MYGPT_API_KEY");
const botId = env("MYGPT_BOT_ID");
const botToken = env("TELEGRAM_BOT_TOKEN");
const telegramRoot = env("TELEGRAM_API_ROOT");
const secretToken = "bench-peer-secret-token";

const bot = new Chat({
  userName: "bridge_test_bot",
  adapters: {
    telegram: createTelegramAdapter({ botToken, secretToken, mode: "webhook", apiUrl: telegramRoot }),
  },
  state: createMemoryState(),
  concurrency: "queue",
  logger: "warn",
});

async function answer(thread: Thread, message: Message): Promise<void> {
  let text: string;
  try {
    const response = await fetch(`${apiUrl}/bot/${encodeURIComponent(botId)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ message: message.text, sessionId: thread.id }),
    });
    const body = (await response.json()) as { data?: { response?: string }; error?: { message?: string } };
    text = body.data?.response ?? body.error?.message ?? `error ${response.status}`;
  } catch (error) {
    text = `error: ${String(error)}`;
  }
  await thread.post(text);
}

bot.onDirectMessage((thread, message) => answer(thread, message));
bot.onNewMention(async (thread, message) => {
  await thread.subscribe();
  await answer(thread, message);
});
bot.onSubscribedMessage((thread, message) => answer(thread, message));

const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(name, value);
  }
  const request = new Request(`http://127.0.0.1${req.url ?? "/"}`, {
    method: req.method,
    headers,
    body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
  });
  const response = await bot.webhooks.telegram(request, {
    waitUntil: (task) => void task.catch((error: unknown) => console.error("chat sdk peer:", error)),
  });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as AddressInfo;
await bot.initialize();
const set = await fetch(`${telegramRoot}/bot${botToken}/setWebhook`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ url: `http://127.0.0.1:${port}/telegram`, secret_token: secretToken }),
});
if (!set.ok) throw new Error(`setWebhook failed: ${set.status} ${await set.text()}`);
process.once("SIGTERM", () => server.close(() => process.exit(0)));
