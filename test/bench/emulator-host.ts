// The child process side of remote-emulator.ts: starts the assistant emulator with the options
// passed as JSON in argv and answers the parent's requests for the request log's figures.
import { type AssistantEmulatorOptions, startAssistantEmulator } from "../emulators/assistant/index.js";
import type { HostReply, HostRequest } from "./remote-emulator.js";

const reply = (message: HostReply) => process.send?.(message);

try {
  const options = JSON.parse(process.argv[2] ?? "{}") as AssistantEmulatorOptions;
  const emulator = await startAssistantEmulator(options);
  process.on("message", (request: HostRequest) => {
    if (request.type === "close") {
      void emulator.close().then(() => process.exit(0));
      return;
    }
    const chat = emulator.requests.filter((r) => r.kind === "chat");
    reply({
      type: "stats",
      chatCalls: chat.length,
      chat429s: chat.filter((r) => r.status === 429).length,
      maxChatCallsInAnyWindow: emulator.maxChatCallsInAnyWindow(),
      chatLog: chat.map((r) => ({ at: r.at, status: r.status })),
    });
  });
  process.on("disconnect", () => void emulator.close().then(() => process.exit(0)));
  reply({ type: "ready", url: emulator.url, apiKey: emulator.apiKey, botId: emulator.botId });
} catch (error) {
  reply({ type: "failed", error: String(error) });
  process.exit(1);
}
