// `mygpt-bridge chat`: a terminal conversation with the configured assistant through the relay.
import { terminalChatAdapter } from "../app/index.js";
import { Bridge } from "../bridge.js";
import { createLogger } from "../logger.js";
import { loadConfigOrExplain } from "./load-config.js";

export async function runChat(): Promise<number> {
  const config = loadConfigOrExplain();
  if (!config) return 1;
  const interactive = process.stdin.isTTY === true;
  const adapter = terminalChatAdapter({ input: process.stdin, output: process.stdout, interactive });
  // Logs go to stderr at warn and above so they do not interleave with the conversation.
  const logger = createLogger({
    level: config.logLevel === "info" ? "warn" : config.logLevel,
    secrets: config.secrets,
    pretty: false,
    destination: process.stderr,
  });
  const bridge = await Bridge.create({ config, logger, adapters: [adapter] });
  await bridge.start({ http: false });
  process.stdout.write(
    "Chatting with your assistant. /reset starts over, /help lists commands, Ctrl-D quits.\n",
  );
  await new Promise<void>((resolve) => {
    // Piped input ends at once: answer everything it said before leaving.
    adapter.once("input-closed", () => bridge.relay.whenIdle().then(resolve));
    process.once("SIGINT", resolve);
  });
  await bridge.stop();
  return 0;
}
