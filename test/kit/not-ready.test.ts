// The not-ready guard on a platform's inbound route, through a real express server on 127.0.0.1:
// 503 with the platform's body until ready, then the request goes through.
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { listen, type RunningServer } from "../../src/http/server.js";
import { notReadyGuard } from "../../src/kit/not-ready.js";

const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe("the not-ready guard", () => {
  it("answers 503 with the platform's JSON body until ready, then lets the request through", async () => {
    let ready = false;
    const app = express();
    app.post(
      "/events",
      notReadyGuard(() => ready, { ok: false, error: "bridge not ready" }),
      (_req, res) => {
        res.json({ ok: true });
      },
    );
    const server = await listen(app, 0, "127.0.0.1");
    servers.push(server);
    const before = await fetch(`${server.url}/events`, { method: "POST" });
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({ ok: false, error: "bridge not ready" });
    ready = true;
    const after = await fetch(`${server.url}/events`, { method: "POST" });
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ ok: true });
  });
});
