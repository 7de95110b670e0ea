// How the fault suite acts out Slack's deliveries, against a local server standing in for the bridge.
// When a delivery counts as having reached the bridge decides which of two messages the suite judges
// the bridge had first (ledger.ts): one it may have stored must count, one it never read must not.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import type { EventCallback } from "../emulators/slack/emulator.js";
import { freePort } from "../support/redis.js";
import { deliverLikeSlack, type SlackDeliveryStats } from "./harness.js";

/** Slack's first retry comes this long after a failed attempt (harness.ts). */
const FIRST_RETRY_MS = 2_000;

const event: EventCallback = {
  token: "t",
  team_id: "T0001",
  api_app_id: "A0001",
  type: "event_callback",
  event_id: "Ev0001",
  event_time: 0,
  event: { type: "message", channel_type: "im", channel: "D0001", user: "U0001", text: "k0n0", ts: "1.0" },
  authorizations: [],
  is_ext_shared_channel: false,
};

function noStats(): SlackDeliveryStats {
  return { retried: 0, refused: 0, timedOut: 0, unreachable: 0, cutOff: 0 };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((closed) => server.close(closed));
});

/** A stand-in for the bridge on `port` (0: any); `handle` sees each request once its body is read. */
async function bridgeStandIn(
  port: number,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => handle(req, res));
  });
  servers.push(server);
  await new Promise<void>((listening) => server.listen(port, "127.0.0.1", listening));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("the fault suite's Slack deliveries", () => {
  test("a message the bridge was killed while taking counts as reaching it then, not at Slack's retry", async () => {
    const received: number[] = [];
    const { url } = await bridgeStandIn(0, (req, res) => {
      received.push(Date.now());
      // The first time the bridge dies holding the request (it may have stored the message): the
      // connection closes without an answer. The retry is acknowledged.
      if (received.length === 1) req.socket.destroy();
      else res.end();
    });
    const stats = noStats();
    const delivery = await deliverLikeSlack(url, event, stats, Promise.resolve());
    expect(received).toHaveLength(2);
    expect(delivery.arrivedAt).toBeLessThanOrEqual(received[0]!);
    expect(delivery.storedBy).toBeGreaterThanOrEqual(received[1]!);
    expect(stats).toMatchObject({ cutOff: 1, unreachable: 0, retried: 1 });
  });

  test("a message whose connection was reset unread (the bridge dying first) reaches it with the retry", async () => {
    const received: number[] = [];
    const { url, server } = await bridgeStandIn(0, (_req, res) => {
      received.push(Date.now());
      res.end();
    });
    let connections = 0;
    server.on("connection", (socket) => {
      connections += 1;
      if (connections === 1) socket.resetAndDestroy();
    });
    const stats = noStats();
    const sentAt = Date.now();
    const delivery = await deliverLikeSlack(url, event, stats, Promise.resolve());
    expect(received).toHaveLength(1);
    expect(delivery.arrivedAt).toBeGreaterThanOrEqual(sentAt + FIRST_RETRY_MS);
    expect(stats).toMatchObject({ cutOff: 0, unreachable: 1, retried: 1 });
  });

  test("a message refused at connect (the bridge down) reaches the bridge only with the retry it takes", async () => {
    const port = await freePort();
    let up: Promise<unknown> | undefined;
    let unreachable = 0;
    // The bridge comes up as soon as the first attempt has been refused, before Slack's retry.
    const stats = {
      ...noStats(),
      get unreachable() {
        return unreachable;
      },
      set unreachable(n: number) {
        unreachable = n;
        up ??= bridgeStandIn(port, (_req, res) => res.end());
      },
    };
    const sentAt = Date.now();
    const delivery = await deliverLikeSlack(`http://127.0.0.1:${port}`, event, stats, Promise.resolve());
    await up;
    expect(stats).toMatchObject({ cutOff: 0, unreachable: 1, retried: 1 });
    expect(delivery.arrivedAt).toBeGreaterThanOrEqual(sentAt + FIRST_RETRY_MS);
  });
});
