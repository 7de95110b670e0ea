// The operator endpoints (/healthz, /readyz, /metrics) as plain node:http handlers. The Express app
// mounts the same handlers; a bridge with no other route answers them from operatorListener alone, with
// the same short JSON for an unknown path or a failure as the Express app's final handlers.
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { sameSecret } from "./guards.js";
import type { BridgeMetrics } from "./metrics.js";

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
  /**
   * What operators should know but that must not take the bridge out of a load balancer (replies
   * still flow), e.g. a contact backlog that will take hours to drain.
   */
  warnings?: Record<string, { detail: string } & Record<string, string | number>>;
}

export interface OperatorOptions {
  readiness: () => Promise<ReadinessReport>;
  metrics: BridgeMetrics;
  /** When set, /metrics and /readyz require `Authorization: Bearer <token>` (/healthz stays open). */
  operatorToken?: string;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Short public reasons for the errors body parsers and routes raise; anything else is a 500. */
export const PUBLIC_REASON: Record<number, string> = {
  400: "bad request",
  401: "unauthorized",
  403: "forbidden",
  404: "not found",
  413: "payload too large",
  415: "unsupported media type",
};

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** The GET routes by path. */
export function operatorRoutes(options: OperatorOptions): Record<string, NodeHandler> {
  const { operatorToken } = options;
  const refused = (req: IncomingMessage, res: ServerResponse): boolean => {
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!operatorToken || sameSecret(given, operatorToken)) return false;
    sendJson(res, 401, { error: PUBLIC_REASON[401] }, { "www-authenticate": "Bearer" });
    return true;
  };
  return {
    "/healthz": (_req, res) => sendJson(res, 200, { ok: true }),
    "/readyz": async (req, res) => {
      if (refused(req, res)) return;
      const report = await options.readiness();
      sendJson(res, report.ready ? 200 : 503, report);
    },
    "/metrics": async (req, res) => {
      if (refused(req, res)) return;
      const text = await options.metrics.registry.metrics();
      res.writeHead(200, { "content-type": options.metrics.registry.contentType });
      res.end(text);
    },
  };
}

/** Serves the operator routes and nothing else, as the Express app would. */
export function operatorListener(routes: Record<string, NodeHandler>, logger: Logger): RequestListener {
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!.replace(/(.)\/$/, "$1");
    const route = req.method === "GET" || req.method === "HEAD" ? routes[path] : undefined;
    if (!route) {
      sendJson(res, 404, { error: PUBLIC_REASON[404] });
      return;
    }
    Promise.resolve()
      .then(() => route(req, res))
      .catch((error: unknown) => {
        const err =
          error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : {};
        logger.error({ status: 500, method: req.method, path, err }, "HTTP request failed");
        if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      });
  };
}
