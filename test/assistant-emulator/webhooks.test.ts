import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import { chat } from "./http.js";

interface Delivery {
  headers: IncomingHttpHeaders;
  raw: string;
}

/** A receiver that checks signatures the way the bridge must, written from the spec alone. */
function verify(secret: string, header: string | undefined, raw: string, nowSeconds: number): string {
  const parts = new Map((header ?? "").split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.get("t"));
  const v1 = Buffer.from(parts.get("v1") ?? "", "hex");
  const expected = createHmac("sha256", secret)
    .update(`${parts.get("t")}.${raw}`)
    .digest();
  if (v1.length !== expected.length || !timingSafeEqual(v1, expected)) return "bad signature";
  if (!Number.isFinite(t) || Math.abs(nowSeconds - t) > 300) return "stale";
  return "ok";
}

let emulator: AssistantEmulator;
let receiver: Server;
let receiverUrl: string;
const deliveries: Delivery[] = [];

beforeEach(async () => {
  deliveries.length = 0;
  emulator = await startAssistantEmulator({ webhookSecret: "whsec-unit" });
  receiver = createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    deliveries.push({ headers: req.headers, raw });
    const verdict = verify("whsec-unit", req.headers["x-mygpt-signature"] as string, raw, Date.now() / 1000);
    res.writeHead(verdict === "ok" ? 200 : 401).end(verdict);
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/mygpt`;
});
afterEach(async () => {
  await emulator.close();
  await new Promise((resolve) => receiver.close(resolve));
});

describe("webhook events", () => {
  it("builds a message.created event for a session that has chatted", async () => {
    const reply = await chat(emulator, { message: "hi", sessionId: "brg_1" });
    const event = emulator.makeMessageEvent("brg_1", "agent", "A human here.");
    expect(event).toEqual({
      id: expect.stringMatching(/^evt_/),
      type: "message.created",
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: {
        conversationId: reply.json.data.conversationId,
        sessionId: "brg_1",
        messageId: expect.stringMatching(/^msg_/),
        role: "agent",
        content: "A human here.",
      },
    });
    expect(event.data.messageId).not.toBe(reply.json.data.messageId);
    expect(emulator.makeMessageEvent("brg_1", "assistant", "x").id).not.toBe(event.id);
  });

  it("refuses to build an event for a session it has never seen", () => {
    expect(() => emulator.makeMessageEvent("nope", "assistant", "x")).toThrow(/nope/);
  });

  it("signs a delivery so that an HMAC-SHA256 check with the secret passes", async () => {
    await chat(emulator, { message: "hi", sessionId: "brg_1" });
    const event = emulator.makeMessageEvent("brg_1", "assistant", "later");
    const result = await emulator.sendWebhook(receiverUrl, event);
    expect(result).toEqual({ status: 200, body: "ok" });
    expect(deliveries).toHaveLength(1);
    expect(JSON.parse(deliveries[0]!.raw)).toEqual(event);
    expect(deliveries[0]!.headers["content-type"]).toBe("application/json");
    expect(deliveries[0]!.headers["x-mygpt-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it("can send a wrong secret, a stale timestamp or a verbatim header, and the receiver refuses them", async () => {
    await chat(emulator, { message: "hi", sessionId: "brg_1" });
    const event = emulator.makeMessageEvent("brg_1", "assistant", "x");
    const wrongSecret = await emulator.sendWebhook(receiverUrl, event, { secret: "guess" });
    const stale = await emulator.sendWebhook(receiverUrl, event, {
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    const garbage = await emulator.sendWebhook(receiverUrl, event, { signature: "t=1,v1=00" });
    expect([wrongSecret, stale, garbage]).toEqual([
      { status: 401, body: "bad signature" },
      { status: 401, body: "stale" },
      { status: 401, body: "bad signature" },
    ]);
    expect(deliveries[2]!.headers["x-mygpt-signature"]).toBe("t=1,v1=00");
  });
});
