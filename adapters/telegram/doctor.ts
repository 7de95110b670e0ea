// `mygpt-bridge doctor` for Telegram: asks the Bot API who the token belongs to, and says how to fix
// a token Telegram rejects (or a Bot API it cannot reach).
import { type Api, GrammyError } from "grammy";
import type { DoctorCheck } from "../../src/adapter.js";
import { toDeliveryError } from "./errors.js";

export async function checkBotToken(api: Api, token: string): Promise<DoctorCheck[]> {
  try {
    const me = await api.getMe();
    return [
      {
        name: "Telegram bot token",
        ok: true,
        detail: `@${me.username} (id ${me.id}); ${me.can_read_all_group_messages ? "privacy mode off" : "privacy mode on"}`,
      },
    ];
  } catch (error) {
    if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404)) {
      return [
        {
          name: "Telegram bot token",
          ok: false,
          detail: `Telegram rejected TELEGRAM_BOT_TOKEN (${error.error_code} ${error.description})`,
          fix: "Copy the bot's token from @BotFather (/mybots → API Token) into TELEGRAM_BOT_TOKEN.",
        },
      ];
    }
    return [
      {
        name: "Telegram bot token",
        ok: false,
        detail: `Could not check the token: ${toDeliveryError(error, token).message}`,
        fix: "Check the network and TELEGRAM_API_ROOT, then run doctor again.",
      },
    ];
  }
}
