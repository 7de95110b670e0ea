// Slack's settings: its environment variables, their validation (once, here) and the defaults.
import * as v from "valibot";
import { optionalText, url } from "../../src/config/env.js";
import type { ConfigProblem, EnvVariable } from "../../src/platform-module.js";

export const SLACK_API_URL = "https://slack.com/api/";

export interface SlackSettings {
  botToken?: string;
  appToken?: string;
  signingSecret?: string;
  apiUrl: string;
  oauth?: { clientId: string; clientSecret: string; stateSecret: string };
}

export const SLACK_ENV = {
  SLACK_BOT_TOKEN: {
    schema: optionalText,
    meaning: "Enables Slack (single workspace). Bot User OAuth Token, `xoxb-…`.",
    secret: true,
  },
  SLACK_APP_TOKEN: {
    schema: optionalText,
    meaning:
      "Socket Mode when set (`xapp-…`, scope `connections:write`); otherwise Slack calls `POST /slack/events` over HTTP.",
    secret: true,
  },
  SLACK_SIGNING_SECRET: {
    schema: optionalText,
    meaning: "Verifies Slack's HTTP requests; required in HTTP mode and for the OAuth install flow.",
    secret: true,
  },
  SLACK_CLIENT_ID: {
    schema: optionalText,
    meaning:
      "Multi-workspace install (OAuth), with SLACK_CLIENT_SECRET and SLACK_STATE_SECRET; installations are kept in the store.",
  },
  SLACK_CLIENT_SECRET: { schema: optionalText, meaning: "See SLACK_CLIENT_ID.", secret: true },
  SLACK_STATE_SECRET: {
    schema: optionalText,
    meaning: "See SLACK_CLIENT_ID: any long random string, signs the OAuth state.",
    secret: true,
  },
  SLACK_API_URL: {
    schema: v.optional(url("the Slack Web API root"), SLACK_API_URL),
    meaning: "Slack Web API root.",
  },
} satisfies Record<string, EnvVariable>;

/** HTTP mode (no app token) cannot run without the signing secret; undefined when the mode is sound. */
export function signingSecretProblem(options: {
  appToken?: string;
  signingSecret?: string;
}): ConfigProblem | undefined {
  if (options.appToken || options.signingSecret) return undefined;
  return {
    variable: "SLACK_SIGNING_SECRET",
    problem: "HTTP mode (no SLACK_APP_TOKEN) must verify Slack's signatures",
    fix: "copy the Signing Secret from your Slack app's Basic Information page, or set SLACK_APP_TOKEN (xapp-…) for Socket Mode",
  };
}

export function slackSettings(
  env: Record<string, unknown>,
  problems: ConfigProblem[],
): SlackSettings | undefined {
  const text = (name: keyof typeof SLACK_ENV) => env[name] as string | undefined;
  const [clientId, clientSecret, stateSecret] = [
    text("SLACK_CLIENT_ID"),
    text("SLACK_CLIENT_SECRET"),
    text("SLACK_STATE_SECRET"),
  ];
  const wantsOauth = Boolean(clientId || clientSecret || stateSecret);
  if (!text("SLACK_BOT_TOKEN") && !wantsOauth) return undefined;
  if (wantsOauth && !(clientId && clientSecret && stateSecret)) {
    problems.push({
      variable: "SLACK_CLIENT_ID / SLACK_CLIENT_SECRET / SLACK_STATE_SECRET",
      problem: "multi-workspace install needs all three",
      fix: "set all three from your Slack app's Basic Information page (the state secret is any random string), or none",
    });
  }
  const modes = { appToken: text("SLACK_APP_TOKEN"), signingSecret: text("SLACK_SIGNING_SECRET") };
  const httpProblem = signingSecretProblem(modes);
  if (httpProblem) problems.push(httpProblem);
  if (wantsOauth && modes.appToken && !modes.signingSecret) {
    problems.push({
      variable: "SLACK_SIGNING_SECRET",
      problem: "the OAuth install flow runs over HTTP and needs the signing secret",
      fix: "copy the Signing Secret from your Slack app's Basic Information page",
    });
  }
  const apiUrl = text("SLACK_API_URL") as string;
  return {
    botToken: text("SLACK_BOT_TOKEN"),
    ...modes,
    apiUrl: apiUrl.endsWith("/") ? apiUrl : `${apiUrl}/`,
    oauth: clientId && clientSecret && stateSecret ? { clientId, clientSecret, stateSecret } : undefined,
  };
}
