// Checking the Slack settings: the options at construction (a token to serve with, a way to verify
// requests), the bot token at start (auth.test, which also tells the bot's identity), and the
// credentials for `mygpt-bridge doctor`, each failure with the fix an operator needs.
import type { App } from "@slack/bolt";
import type { DoctorCheck } from "../../src/adapter.js";
import { ConfigError } from "../../src/errors.js";
import type { Identity } from "./authorize.js";
import { signingSecretProblem } from "./config.js";
import { slackErrorCode, toDeliveryError } from "./errors.js";
import { INSTALL_PATH, type SlackAdapterOptions } from "./options.js";

const BOT_TOKEN_FIX =
  "Copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page into SLACK_BOT_TOKEN (reinstall the app if it was revoked).";
const APP_TOKEN_FIX =
  "Create an app-level token with the connections:write scope (Basic Information → App-Level Tokens) and put it in SLACK_APP_TOKEN, and turn Socket Mode on.";

type WebClient = App["client"];

export function checkOptions(options: SlackAdapterOptions): void {
  if (!options.botToken && !options.oauth) {
    throw new ConfigError("Slack needs SLACK_BOT_TOKEN (or the OAuth install settings)", [
      { variable: "SLACK_BOT_TOKEN", problem: "empty", fix: BOT_TOKEN_FIX },
    ]);
  }
  const httpProblem = signingSecretProblem(options);
  if (httpProblem) throw new ConfigError("Slack HTTP mode needs SLACK_SIGNING_SECRET", [httpProblem]);
}

/** The bot's identity, or a ConfigError naming SLACK_BOT_TOKEN when Slack refuses the token. */
export async function checkBotToken(client: WebClient, token: string): Promise<Identity> {
  try {
    const reply = await client.auth.test({ token });
    return {
      teamId: String(reply.team_id),
      ...(reply.team && { teamName: reply.team }),
      botUserId: String(reply.user_id),
      botId: String(reply.bot_id),
    };
  } catch (error) {
    const code = slackErrorCode(error);
    if (code && ["invalid_auth", "not_authed", "account_inactive", "token_revoked"].includes(code)) {
      throw new ConfigError(`Slack rejected SLACK_BOT_TOKEN (${code})`, [
        { variable: "SLACK_BOT_TOKEN", problem: code, fix: BOT_TOKEN_FIX },
      ]);
    }
    throw toDeliveryError(error, "check the bot token (auth.test)");
  }
}

/** Why Socket Mode could not start: a ConfigError naming SLACK_APP_TOKEN when Slack refused it. */
export function appTokenError(error: unknown): Error {
  const code = slackErrorCode(error) ?? slackErrorCode((error as { cause?: unknown })?.cause);
  if (code && ["invalid_auth", "not_authed", "not_allowed_token_type", "token_revoked"].includes(code)) {
    return new ConfigError(`Slack rejected SLACK_APP_TOKEN (${code})`, [
      { variable: "SLACK_APP_TOKEN", problem: code, fix: APP_TOKEN_FIX },
    ]);
  }
  return toDeliveryError(error, "open a Socket Mode connection");
}

export async function doctorChecks(client: WebClient, options: SlackAdapterOptions): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  if (options.botToken) checks.push(await doctorBotToken(client, options.botToken));
  if (options.appToken) checks.push(await doctorAppToken(client, options.appToken));
  if (options.oauth) {
    checks.push({
      name: "Slack OAuth install",
      ok: true,
      detail: `workspaces can add the app at ${INSTALL_PATH}; installations are kept in the store`,
    });
  }
  return checks;
}

async function doctorBotToken(client: WebClient, token: string): Promise<DoctorCheck> {
  const name = "Slack bot token";
  try {
    const reply = await client.auth.test({ token });
    return { name, ok: true, detail: `bot ${reply.user_id} in workspace ${reply.team} (${reply.team_id})` };
  } catch (error) {
    const code = slackErrorCode(error);
    if (code)
      return { name, ok: false, detail: `Slack rejected SLACK_BOT_TOKEN (${code})`, fix: BOT_TOKEN_FIX };
    return {
      name,
      ok: false,
      detail: toDeliveryError(error, "check the bot token").message,
      fix: "Check the network and SLACK_API_URL, then run doctor again.",
    };
  }
}

async function doctorAppToken(client: WebClient, token: string): Promise<DoctorCheck> {
  const name = "Slack app-level token (Socket Mode)";
  try {
    await client.apiCall("apps.connections.open", { token });
    return { name, ok: true, detail: "Socket Mode connections can be opened" };
  } catch (error) {
    const code = slackErrorCode(error);
    return {
      name,
      ok: false,
      detail: code ? `Slack rejected SLACK_APP_TOKEN (${code})` : toDeliveryError(error).message,
      fix: APP_TOKEN_FIX,
    };
  }
}
