// `mygpt-bridge doctor` for Discord: is the token accepted, and is the privileged Message Content
// intent switched on (without it the bot sees mentions but not what follows them in channels).
import { DiscordAPIError, REST, Routes } from "discord.js";
import type { DoctorCheck } from "../../src/adapter.js";

const GATEWAY_MESSAGE_CONTENT = 1 << 19;
const GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 18;
const DOCTOR_TIMEOUT_MS = 10_000;

const TOKEN_FIX =
  "Open https://discord.com/developers/applications -> your app -> Bot -> Reset Token, and put the new token in DISCORD_BOT_TOKEN.";
const INTENT_FIX =
  "Developer Portal -> your app -> Bot -> Privileged Gateway Intents: switch on Message Content Intent, then restart the bridge.";

function reason(error: unknown): string {
  if (error instanceof DiscordAPIError) return `HTTP ${error.status}: ${error.message.split("\n")[0]}`;
  const code = (error as { cause?: { code?: string } })?.cause?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}

export async function discordDoctor(token: string, apiUrl: string): Promise<DoctorCheck[]> {
  const rest = new REST({ api: apiUrl, timeout: DOCTOR_TIMEOUT_MS, retries: 1 }).setToken(token);
  let me: { id: string; username: string };
  try {
    me = (await rest.get(Routes.user("@me"))) as { id: string; username: string };
  } catch (error) {
    const unauthorized = error instanceof DiscordAPIError && error.status === 401;
    return [
      {
        name: "Discord bot token",
        ok: false,
        detail: unauthorized
          ? "Discord rejected the token (401 Unauthorized)"
          : `Could not reach Discord: ${reason(error)}`,
        fix: unauthorized ? TOKEN_FIX : `Check network access to ${apiUrl} (DISCORD_API_URL).`,
      },
    ];
  }
  const checks: DoctorCheck[] = [
    { name: "Discord bot token", ok: true, detail: `Logged in as ${me.username} (${me.id})` },
  ];
  try {
    const app = (await rest.get(Routes.currentApplication())) as { flags?: number };
    const enabled = ((app.flags ?? 0) & (GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED)) !== 0;
    checks.push({
      name: "Discord Message Content intent",
      ok: enabled,
      detail: enabled
        ? "Message Content intent is on: the bot can read messages in channels and threads"
        : "Message Content is a privileged intent and is off: Discord will refuse the connection, or deliver channel messages with empty text",
      ...(enabled ? {} : { fix: INTENT_FIX }),
    });
  } catch (error) {
    checks.push({
      name: "Discord Message Content intent",
      ok: false,
      detail: `Could not read the application settings: ${reason(error)}`,
      fix: INTENT_FIX,
    });
  }
  return checks;
}
