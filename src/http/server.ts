// The bridge's one HTTP server when routes are mounted on it: the operator endpoints plus whatever
// the adapters and the webhook receiver add (Slack events, Telegram webhook, MyGPT webhooks), on
// Express. Its final handlers answer unknown paths and every error with short JSON: Express's default
// would send an HTML page with the stack and absolute paths to anyone, and print the request body to
// stderr outside the logger and its redaction.
import { createServer, type RequestListener, type Server } from "node:http";
import type { Express, NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import { loadExpress } from "./express.js";
import { type NodeHandler, PUBLIC_REASON } from "./operator.js";

/** An Express app with the operator routes, for the adapters and the webhook receiver to mount theirs on. */
export function createHttpApp(operatorRoutes: Record<string, NodeHandler>): Express {
  const app = loadExpress()();
  app.disable("x-powered-by");
  for (const [path, handler] of Object.entries(operatorRoutes)) app.get(path, handler);
  return app;
}

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
export function listen(handler: RequestListener, port: number, host: string): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server: Server = createServer(handler).listen(port, host);
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
