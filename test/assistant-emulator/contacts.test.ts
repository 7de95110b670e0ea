import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import { call } from "./http.js";

let emulator: AssistantEmulator;
let clock: number;
beforeEach(async () => {
  clock = Date.parse("2026-01-02T03:04:05.000Z");
  emulator = await startAssistantEmulator({ now: () => clock });
});
afterEach(() => emulator.close());

const alice = { externalId: "slack:T1:U1", name: "Alice", email: "alice@example.com", source: "slack" };

describe("contact API", () => {
  it("creates a contact with 201 and finds it by externalId", async () => {
    const created = await call(emulator, "POST", "/contacts", {
      body: { ...alice, attributes: { tz: "UTC" } },
    });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      success: true,
      data: {
        contact: {
          id: expect.any(String),
          ...alice,
          phone: null,
          attributes: { tz: "UTC" },
          createdAt: "2026-01-02T03:04:05.000Z",
          updatedAt: "2026-01-02T03:04:05.000Z",
        },
      },
      error: null,
    });
    const found = await call(emulator, "GET", `/contacts?externalId=${encodeURIComponent(alice.externalId)}`);
    expect(found.status).toBe(200);
    expect(found.json.data.contacts).toEqual([created.json.data.contact]);
    expect(emulator.contacts()).toEqual([created.json.data.contact]);
  });

  it("finds nothing for an unknown externalId", async () => {
    const found = await call(emulator, "GET", "/contacts?externalId=telegram:global:1");
    expect(found.json).toEqual({ success: true, data: { contacts: [] }, error: null });
  });

  it("refuses a second contact with the same externalId with 409 CONTACT_EXISTS", async () => {
    await call(emulator, "POST", "/contacts", { body: alice });
    const again = await call(emulator, "POST", "/contacts", { body: { ...alice, name: "Other" } });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({
      success: false,
      data: null,
      error: { code: "CONTACT_EXISTS", message: expect.stringContaining(alice.externalId) },
    });
    expect(emulator.contacts()).toHaveLength(1);
    expect(emulator.contacts()[0]?.name).toBe("Alice");
  });

  it("patches only the changed fields and moves updatedAt", async () => {
    const created = await call(emulator, "POST", "/contacts", { body: alice });
    const id = created.json.data.contact.id;
    clock += 60_000;
    const patched = await call(emulator, "PATCH", `/contacts/${id}`, {
      body: { name: "Alice B.", phone: "+1555" },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.data.contact).toEqual({
      ...created.json.data.contact,
      name: "Alice B.",
      phone: "+1555",
      updatedAt: "2026-01-02T03:05:05.000Z",
    });
    expect(emulator.contacts()[0]).toEqual(patched.json.data.contact);
  });

  it("answers 404 CONTACT_NOT_FOUND when patching an unknown id", async () => {
    const res = await call(emulator, "PATCH", "/contacts/ct_999", { body: { name: "x" } });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe("CONTACT_NOT_FOUND");
  });

  it.each([
    ["no externalId", { source: "slack" }],
    ["no source", { externalId: "slack:T1:U2" }],
    ["an empty externalId", { externalId: "", source: "slack" }],
    ["a name that is a number", { ...alice, name: 5 }],
    ["a malformed email", { ...alice, email: "not-an-email" }],
    ["attributes that are not an object", { ...alice, attributes: ["a"] }],
    ["an unknown field", { ...alice, nickname: "al" }],
  ])("a create with %s gets 400 INVALID_REQUEST and stores nothing", async (_, body) => {
    const res = await call(emulator, "POST", "/contacts", { body });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("INVALID_REQUEST");
    expect(emulator.contacts()).toEqual([]);
  });

  it("a find without externalId gets 400 INVALID_REQUEST", async () => {
    const res = await call(emulator, "GET", "/contacts");
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("INVALID_REQUEST");
  });

  it("a patch that would duplicate another contact's externalId gets 409 and changes nothing", async () => {
    await call(emulator, "POST", "/contacts", { body: alice });
    const bob = await call(emulator, "POST", "/contacts", {
      body: { externalId: "slack:T1:U2", source: "slack" },
    });
    const res = await call(emulator, "PATCH", `/contacts/${bob.json.data.contact.id}`, {
      body: { externalId: alice.externalId },
    });
    expect(res.status).toBe(409);
    expect(emulator.contacts().map((c) => c.externalId)).toEqual([alice.externalId, "slack:T1:U2"]);
  });

  it("contact calls are data calls: they carry the data limit's headers and need a valid key", async () => {
    const res = await call(emulator, "GET", "/contacts?externalId=x");
    expect(res.headers.get("x-ratelimit-limit")).toBe("1000");
    expect(res.headers.get("x-ratelimit-remaining")).toBe("999");
    expect(emulator.requests.at(-1)).toMatchObject({ kind: "data", counted: true });
    const denied = await call(emulator, "POST", "/contacts", { body: alice, apiKey: "wrong" });
    expect(denied.status).toBe(401);
    expect(emulator.contacts()).toEqual([]);
  });
});
