// `npm run emulator`: runs the MyGPTAssistants API emulator on 127.0.0.1 (PORT, default 4010) so the
// bridge can be tried locally without a real account. Prints the env lines to point the bridge at it.
import { startAssistantEmulator } from "./server.js";

const port = Number(process.env.PORT || 4010);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be a port number (0-65535), got "${process.env.PORT}"`);
  process.exit(1);
}

const emulator = await startAssistantEmulator({ port });
emulator.on("request", (r: { method: string; path: string; status: number; errorCode?: string }) => {
  console.log(
    `${new Date().toISOString()} ${r.method} ${r.path} -> ${r.status}${r.errorCode ? ` ${r.errorCode}` : ""}`,
  );
});

console.log(`MyGPTAssistants API emulator listening on ${emulator.url}
  API key: ${emulator.apiKey}
  bot id:  ${emulator.botId}
Run the bridge against it with:
MYGPT_API_URL=${emulator.url}
MYGPT_API_KEY=${emulator.apiKey}
MYGPT_BOT_ID=${emulator.botId}
MYGPT_WEBHOOK_SECRET=${emulator.webhookSecret}
Press Ctrl-C to stop.`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void emulator.close().then(() => process.exit(0));
  });
}
