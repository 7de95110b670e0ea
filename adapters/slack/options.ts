// What the Slack adapter is made from (tokens, the Web API root, OAuth install settings, retry and
// progress tuning) and the fixed facts it works with: chunk size, retry policy, HTTP paths.
import type { webApi } from "@slack/bolt";
import type { Logger } from "pino";
import type { Store } from "../../src/store/types.js";
import type { ProgressOptions } from "./progress.js";

export interface SlackOAuthOptions {
  clientId: string;
  clientSecret: string;
  stateSecret: string;
  store: Store;
  /** The public URL of /slack/oauth_redirect; Slack uses the app's configured one when absent. */
  redirectUri?: string;
}

export interface SlackAdapterOptions {
  /** SLACK_BOT_TOKEN (xoxb-…): the single workspace. Optional when OAuth installs are enabled. */
  botToken?: string;
  /** SLACK_APP_TOKEN (xapp-…): Socket Mode when set. */
  appToken?: string;
  /** SLACK_SIGNING_SECRET: required in HTTP mode. */
  signingSecret?: string;
  /** SLACK_API_URL: the Web API root, e.g. https://slack.com/api/ */
  apiUrl?: string;
  oauth?: SlackOAuthOptions;
  logger: Logger;
  /** How Web API calls are retried (429 Retry-After is waited out within it). */
  retryConfig?: webApi.RetryOptions;
  progress?: ProgressOptions;
  /** Socket Mode: how long to wait for a pong, and the base delay before reconnecting (default 5 s). */
  socketPingTimeoutMs?: number;
}

/**
 * Slack accepts up to 40,000 characters but recommends under 4,000 per message, and long messages
 * render with "Show more" folds; 3,500 Markdown characters keeps each chunk readable and leaves
 * room for mrkdwn escaping (&amp; etc.).
 */
export const SLACK_MAX_MARKDOWN_CHUNK = 3500;

/** Bounded: Retry-After is honoured, at most 3 retries and one minute in all. */
export const DEFAULT_RETRY_CONFIG: webApi.RetryOptions = {
  retries: 3,
  factor: 2,
  minTimeout: 500,
  maxTimeout: 10_000,
  maxRetryTime: 60_000,
};

export const EVENTS_PATH = "/slack/events";
export const INSTALL_PATH = "/slack/install";
export const REDIRECT_PATH = "/slack/oauth_redirect";
