// The bridge's one HTTP server: health, readiness and metrics, plus whatever routes the adapters
// and the webhook receiver mount (Slack events, Telegram webhook, MyGPT webhooks). Its final
// handlers answer unknown paths and every error with short JSON: Express's default would send an
// HTML page with the stack and absolute paths to anyone, and print the request body to stderr
// outside the logger and its redaction.
import type { Server } from "node:http";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import { requireBearer } from "./guards.js";
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

export function createHttpApp(options: {
  readiness: () => Promise<ReadinessReport>;
  metrics: BridgeMetrics;
  /** When set, /metrics and /readyz require `Authorization: Bearer <token>` (/healthz stays open). */
  operatorToken?: string;
}): Express {
  const app = express();
  app.disable("x-powered-by");
  const operator = requireBearer(options.operatorToken);
  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  app.get("/readyz", operator, async (_req, res) => {
    const report = await options.readiness();
    res.status(report.ready ? 200 : 503).json(report);
  });
  app.get("/metrics", operator, async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  return app;
}

/** Short public reasons for the errors body parsers and routes raise; anything else is a 500. */
const PUBLIC_REASON: Record<number, string> = {
  400: "bad request",
  401: "unauthorized",
  403: "forbidden",
  404: "not found",
  413: "payload too large",
  415: "unsupported media type",
};

/**
 * Adds the last handlers: a JSON 404, and a JSON error answer that logs one line (status, method,
 * path, the parser's error type) and never echoes the body or the stack. Call after every route is
 * mounted.
 */
export function installFinalHandlers(app: Express, logger: Logger): void {
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: PUBLIC_REASON[404] });
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const raw = error as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown };
    const given = Number(raw?.status ?? raw?.statusCode);
    const status = Number.isInteger(given) && given >= 400 && given < 600 ? given : 500;
    const entry = {
      status,
      method: req.method,
      path: req.path,
      ...(typeof raw?.type === "string" && { type: raw.type }),
    };
    if (status >= 500) {
      const err =
        error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : {};
      logger.error({ ...entry, err }, "HTTP request failed");
    } else {
      logger.warn(entry, "refused an HTTP request");
    }
    if (res.headersSent) return;
    res
      .status(status)
      .json({ error: PUBLIC_REASON[status] ?? (status >= 500 ? "internal error" : "refused") });
  });
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens; the error for a port in use names PORT and the fix. */
export function listen(app: Express, port: number, host: string): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server: Server = app.listen(port, host);
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") {
        reject(
          new Error(
            `PORT ${port} is already in use on ${host}: stop the other process or set PORT to a free port`,
          ),
        );
      } else reject(error);
    });
    server.once("listening", () => {
      const address = server.address();
      const actual = typeof address === "object" && address ? address.port : port;
      const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
      resolve({
        url: `http://${shownHost}:${actual}`,
        port: actual,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
