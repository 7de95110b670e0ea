// The Slack events the adapter listens to: mentions, DMs and thread follow-ups go to the sink (once
// it has durably accepted one, Bolt acknowledges it); app_uninstalled and tokens_revoked forget the
// workspace's installation; a workspace that never installed the app is logged once and ignored.
// A failure is rethrown so the event is not acknowledged and Slack sends it again.
import type { App } from "@slack/bolt";
import type { Logger } from "pino";
import type { InboundSink } from "../../src/adapter.js";
import { BoundedSet } from "../../src/bounded-set.js";
import { StoreError } from "../../src/errors.js";
import { toDeliveryError } from "./errors.js";
import { classifySlackEvent, type SlackMessageEvent } from "./inbound.js";
import type { KeyvInstallationStore } from "./installations.js";
import { NOT_INSTALLED } from "./not-installed.js";

export interface EventDeps {
  sink: () => InboundSink | undefined;
  installations: KeyvInstallationStore | undefined;
  logger: Logger;
}

interface MessageArgs {
  event: SlackMessageEvent;
  body: { team_id?: string; enterprise_id?: string };
  context: { teamId?: string; enterpriseId?: string; botUserId?: string };
}

export function listenForEvents(app: App, deps: EventDeps): void {
  const { logger } = deps;
  /** Workspaces already logged as not having installed the app. */
  const uninstalled = new BoundedSet({ max: 10_000 });

  const onMessage = async (args: MessageArgs): Promise<void> => {
    const teamId = args.body.team_id ?? args.context.teamId;
    if (!teamId) return;
    if ((args.context as Record<string, unknown>)[NOT_INSTALLED]) {
      if (uninstalled.addNew(teamId))
        logger.warn({ team: teamId }, "Slack workspace has not installed the app: its events are ignored");
      return;
    }
    const enterpriseId = args.body.enterprise_id ?? args.context.enterpriseId;
    const message = classifySlackEvent(args.event, {
      teamId,
      ...(args.context.botUserId && { botUserId: args.context.botUserId }),
      ...(enterpriseId && { enterpriseId }),
    });
    if (!message) return;
    const sink = deps.sink();
    if (!sink) throw new Error("a Slack event arrived before the adapter was started");
    await sink.accept(message);
  };
  app.event("app_mention", (args) => onMessage(args as unknown as MessageArgs));
  app.event("message", (args) => onMessage(args as unknown as MessageArgs));

  const forgetWorkspace = async (
    teamId: string | undefined,
    enterpriseId: string | undefined,
    reason: string,
  ): Promise<void> => {
    logger.info({ team: teamId, reason }, "Slack workspace removed the app");
    if (!deps.installations) return;
    await deps.installations.deleteInstallation({
      teamId,
      enterpriseId,
      isEnterpriseInstall: Boolean(enterpriseId) && !teamId,
    });
  };
  app.event("app_uninstalled", async ({ body }) => {
    await forgetWorkspace(body.team_id, body.enterprise_id, "app_uninstalled");
  });
  app.event("tokens_revoked", async ({ event, body }) => {
    if ((event.tokens.bot ?? []).length === 0) return;
    await forgetWorkspace(body.team_id, body.enterprise_id, "tokens_revoked");
  });

  app.error(async (error) => {
    if (error instanceof StoreError) {
      logger.warn(
        { err: error, code: error.code },
        "the store could not take a Slack event; it is not acknowledged, so Slack will send it again",
      );
      throw error;
    }
    logger.error({ err: toDeliveryError(error, "handle a Slack event") }, "handling a Slack event failed");
    throw error;
  });
}
