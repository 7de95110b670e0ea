// The bridge's one HTTP server: health, readiness and metrics, plus whatever routes the adapters
// and the webhook receiver mount (Slack events, Telegram webhook, MyGPT webhooks).
import type { Server } from "node:http";
import express, { type Express } from "express";
import type { BridgeMetrics } from "./metrics.js";

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export function createHttpApp(options: {
  readiness: () => Promise<ReadinessReport>;
  metrics: BridgeMetrics;
}): Express {
  const app = express();
  app.disable("x-powered-by");
  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  app.get("/readyz", async (_req, res) => {
    const report = await options.readiness();
    res.status(report.ready ? 200 : 503).json(report);
  });
  app.get("/metrics", async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  return app;
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
