// The multi-workspace install (OAuth): Bolt's InstallProvider with its installations in the bridge
// store, and the two routes it serves on the bridge's router: /slack/install starts an install,
// /slack/oauth_redirect finishes it and shows a short HTML page either way.
import type { webApi } from "@slack/bolt";
import { InstallProvider, type Logger as SlackLogger } from "@slack/oauth";
import type { Router } from "express";
import type { Logger } from "pino";
import { storeKeyv } from "../../src/store/keyv-adapter.js";
import { KeyvInstallationStore } from "./installations.js";
import { INSTALL_PATH, REDIRECT_PATH, type SlackOAuthOptions } from "./options.js";
import { SLACK_BOT_SCOPES } from "./scopes.js";

export interface SlackInstalls {
  installer: InstallProvider;
  installations: KeyvInstallationStore;
}

export function createInstalls(
  oauth: SlackOAuthOptions,
  apiUrl: string,
  clientOptions: webApi.WebClientOptions,
  sdkLogger: SlackLogger,
): SlackInstalls {
  const installations = new KeyvInstallationStore(storeKeyv(oauth.store, "slack-installation"));
  const installer = new InstallProvider({
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
    stateSecret: oauth.stateSecret,
    installationStore: installations,
    directInstall: true,
    authorizationUrl: new URL("../oauth/v2/authorize", apiUrl).toString(),
    clientOptions,
    logger: sdkLogger,
  });
  return { installer, installations };
}

export function mountOAuthRoutes(
  router: Router,
  installer: InstallProvider,
  redirectUri: string | undefined,
  logger: Logger,
): void {
  const installUrlOptions = {
    scopes: [...SLACK_BOT_SCOPES],
    ...(redirectUri && { redirectUri }),
  };
  router.get(INSTALL_PATH, async (req, res) => {
    try {
      await installer.handleInstallPath(req, res, undefined, installUrlOptions);
    } catch (error) {
      logger.error({ err: error }, "could not start a Slack install");
      if (!res.headersSent) res.status(500).send("Could not start the Slack install.");
    }
  });
  router.get(REDIRECT_PATH, async (req, res) => {
    await installer.handleCallback(req, res, {
      success: (installation, _options, _req, response) => {
        logger.info({ team: installation.team?.id }, "a Slack workspace installed the app");
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        response.end(
          "<html><body><h1>Installed.</h1><p>Mention the bot in a channel or send it a DM.</p></body></html>",
        );
      },
      failure: (error, _options, _req, response) => {
        logger.warn({ reason: error.message }, "a Slack install failed");
        response.writeHead(400, { "content-type": "text/html; charset=utf-8" });
        response.end(
          "<html><body><h1>The install did not complete.</h1><p>Please start again.</p></body></html>",
        );
      },
    });
  });
}
