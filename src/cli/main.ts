// The command line: `mygpt-bridge start | chat | doctor | invite | --help | --version`.
import { parseArgs } from "node:util";
import { PLATFORM_MODULES } from "../app/index.js";
import { packageVersion } from "./package-root.js";

const chatPlatforms = PLATFORM_MODULES.filter((m) => m.enabledBy).map((m) => m.name);

export const HELP = `mygpt-bridge: puts a MyGPTAssistants assistant into ${chatPlatforms.slice(0, -1).join(", ")} and ${chatPlatforms.at(-1)}

Usage: mygpt-bridge <command>
       mygpt-bridge --version

Commands:
  start     connect every platform whose token is set, serve HTTP, relay until SIGINT/SIGTERM
  chat      chat with the configured assistant in this terminal, through the same relay
  doctor    check the assistant key and bot id, the store, the HTTP port and each platform token
  invite    print how to add the bot to each platform (an invite URL, an app manifest)

Configuration comes from the environment, a .env file in this folder, and CONFIG_FILE
(default config/bridge.yaml). See .env.example and README.md.
`;

export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { help: { type: "boolean", short: "h" }, version: { type: "boolean", short: "v" } },
  });
  const command = positionals[0];
  if (values.version || command === "version") {
    process.stdout.write(`mygpt-bridge ${packageVersion()}\n`);
    return 0;
  }
  if (values.help || command === "help" || command === undefined) {
    process.stdout.write(HELP);
    return command === undefined && !values.help ? 1 : 0;
  }
  // Each command is loaded on use, so --help stays instant and one command's imports cannot break another.
  switch (command) {
    case "start":
      return (await import("./start.js")).runStart();
    case "chat":
      return (await import("./chat.js")).runChat();
    case "doctor":
      return (await import("./doctor.js")).runDoctor();
    case "invite":
      return (await import("./invite.js")).runInvite();
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${HELP}`);
      return 2;
  }
}
