// The two ways Slack events come in, as Bolt receivers:
// - Socket Mode (appToken set): Bolt's SocketModeReceiver, changed to acknowledge an event only once
//   the relay has durably accepted it (socket-receiver.ts); apps.connections.open goes to apiUrl.
// - HTTP Events API: Bolt's ExpressReceiver built on an express Router we own, so its routes live on
//   the bridge's one express 5 app instead of a server of its own. A not-ready guard (503) and our
//   signature check (signature.ts, over the raw body, refusing stale AND future timestamps) run on
//   that router first; Bolt then parses the same raw body. processBeforeResponse makes Slack's HTTP
//   answer wait until the relay has durably accepted the message, so a failure becomes a 500 and a
//   retry.
import {
  ExpressReceiver,
  type Logger as SlackLogger,
  type SocketModeReceiver,
  type webApi,
} from "@slack/bolt";
import express, { type Router } from "express";
import type { Logger } from "pino";
import { notReadyGuard } from "../../src/kit/index.js";
import { EVENTS_PATH } from "./options.js";
import { verifySlackRequest } from "./signature.js";
import { AckAfterAcceptReceiver } from "./socket-receiver.js";

export function socketReceiver(options: {
  appToken: string;
  sdkLogger: SlackLogger;
  clientOptions: webApi.WebClientOptions;
  pingTimeoutMs?: number;
  /** Told whether the socket is connected, on every change. */
  onConnected: (connected: boolean) => void;
}): SocketModeReceiver {
  const receiver = new AckAfterAcceptReceiver({
    appToken: options.appToken,
    logger: options.sdkLogger,
    ...(options.pingTimeoutMs !== undefined && { clientPingTimeout: options.pingTimeoutMs }),
    installerOptions: { clientOptions: options.clientOptions },
  });
  receiver.client.on("connected", () => options.onConnected(true));
  for (const state of ["disconnected", "reconnecting", "connecting"]) {
    receiver.client.on(state, () => options.onConnected(false));
  }
  return receiver;
}

export function httpReceiver(options: {
  router: Router;
  signingSecret: string;
  sdkLogger: SlackLogger;
  logger: Logger;
  isReady: () => boolean;
}): ExpressReceiver {
  options.router.post(
    EVENTS_PATH,
    notReadyGuard(options.isReady, { ok: false, error: "bridge not ready" }),
    express.raw({ type: () => true, limit: "1mb" }),
    verifySlackRequest(options.signingSecret, options.logger),
  );
  return new ExpressReceiver({
    signingSecret: options.signingSecret,
    router: options.router,
    endpoints: EVENTS_PATH,
    processBeforeResponse: true,
    logger: options.sdkLogger,
  });
}
