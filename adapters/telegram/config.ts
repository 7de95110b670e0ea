// Telegram's settings: its environment variables, their validation (once, here) and the defaults.

import * as v from "valibot";
import { optionalText, url } from "../../src/config/env.js";
import { ConfigError } from "../../src/errors.js";
import type { ConfigProblem, EnvVariable } from "../../src/platform-module.js";

export const TELEGRAM_API_ROOT = "https://api.telegram.org";

/** What Telegram accepts as a webhook secret_token. */
const WEBHOOK_SECRET_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;

export interface TelegramSettings {
  token: string;
  apiRoot: string;
  webhook?: { url: string; secret: string };
}

export const TELEGRAM_ENV = {
  TELEGRAM_BOT_TOKEN: {
    schema: optionalText,
    meaning: "Enables Telegram. From @BotFather (`/newbot`).",
    secret: true,
  },
  TELEGRAM_API_ROOT: {
    schema: v.optional(url("the Telegram Bot API root"), TELEGRAM_API_ROOT),
    meaning: "Telegram Bot API root (e.g. a self-hosted Bot API server).",
  },
  TELEGRAM_WEBHOOK_URL: {
    schema: v.pipe(optionalText, v.optional(url("the public HTTPS URL of POST /telegram/webhook"))),
    meaning: "Public HTTPS URL of `POST /telegram/webhook`; webhook mode instead of long polling.",
  },
  TELEGRAM_WEBHOOK_SECRET: {
    schema: optionalText,
    meaning:
      "Required with TELEGRAM_WEBHOOK_URL: 1-256 characters of `A-Za-z0-9_-`; Telegram sends it with every update.",
    secret: true,
  },
} satisfies Record<string, EnvVariable>;

/** Why a webhook secret cannot be used, or undefined when Telegram will take it. */
export function webhookSecretProblem(secret: string | undefined): ConfigProblem | undefined {
  if (secret && WEBHOOK_SECRET_PATTERN.test(secret)) return undefined;
  return {
    variable: "TELEGRAM_WEBHOOK_SECRET",
    problem: secret
      ? "only A-Z, a-z, 0-9, _ and - are allowed (1-256 characters)"
      : "webhook mode (TELEGRAM_WEBHOOK_URL is set) needs a secret, or anyone could post fake updates",
    fix: "set TELEGRAM_WEBHOOK_SECRET to 1-256 characters of A-Z, a-z, 0-9, _ and - (e.g. `openssl rand -hex 32`), or unset TELEGRAM_WEBHOOK_URL for long polling",
  };
}

/** The adapter's webhook option, checked with the same rule; throws ConfigError naming the variable. */
export function checkedWebhook(webhook: { url: string; secret?: string }): { url: string; secret: string } {
  const problem = webhookSecretProblem(webhook.secret);
  if (problem) throw new ConfigError(`TELEGRAM_WEBHOOK_SECRET: ${problem.problem}`, [problem]);
  return { url: webhook.url, secret: webhook.secret as string };
}

export function telegramSettings(
  env: Record<string, unknown>,
  problems: ConfigProblem[],
): TelegramSettings | undefined {
  const token = env.TELEGRAM_BOT_TOKEN as string | undefined;
  if (!token) return undefined;
  const webhookUrl = env.TELEGRAM_WEBHOOK_URL as string | undefined;
  const secret = env.TELEGRAM_WEBHOOK_SECRET as string | undefined;
  let webhook: TelegramSettings["webhook"];
  if (webhookUrl) {
    const problem = webhookSecretProblem(secret);
    if (problem) problems.push(problem);
    else webhook = { url: webhookUrl, secret: secret as string };
  }
  return { token, apiRoot: (env.TELEGRAM_API_ROOT as string).replace(/\/+$/, ""), webhook };
}
