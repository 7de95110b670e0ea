// The one secret redaction the logger and the adapters share: known values, token shapes and
// secret-named fields are hidden wherever they sit, and nothing else is changed.
import { describe, expect, it } from "vitest";
import { isSecretField, REDACTED, Redactor, tokenRedactor } from "../../src/kit/redact.js";

const SECRET = "sk-live-0123456789abcdef";

describe("redacting text", () => {
  it("hides a known secret wherever it appears in a string, and leaves the rest", () => {
    const r = new Redactor([SECRET]);
    expect(r.text(`GET https://api.example/bot${SECRET}/getMe failed`)).toBe(
      `GET https://api.example/bot${REDACTED}/getMe failed`,
    );
  });

  it("hides platform token shapes even when the value was never handed in", () => {
    const text =
      "auth xoxb-1234-5678-abcdefABCDEF and xapp-1-A0-123-abc, bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0, Bearer abcdefgh12345678";
    const out = tokenRedactor.text(text);
    expect(out).not.toMatch(/xoxb-|xapp-|AAHdqTcv|abcdefgh1234/);
    expect(out).toContain("auth ");
  });

  it("ignores known values shorter than the minimum, so a short value cannot blank ordinary words", () => {
    expect(new Redactor(["abc"], { minLength: 6 }).text("abcdef")).toBe("abcdef");
    expect(new Redactor([undefined, ""]).text("plain text")).toBe("plain text");
  });

  it("replaces a secret that contains another as a whole", () => {
    const r = new Redactor(["abcdef", "abcdef-long-secret"]);
    expect(r.text("x abcdef-long-secret y")).toBe(`x ${REDACTED} y`);
  });
});

describe("redacting values", () => {
  it("hides secrets at any depth, in arrays, errors and their causes, without touching the original", () => {
    const r = new Redactor([SECRET]);
    let deep: Record<string, unknown> = { leaf: `key ${SECRET}` };
    for (let i = 0; i < 20; i++) deep = { [`level${i}`]: deep, list: [`x ${SECRET}`] };
    const cause = Object.assign(new Error(`failed with ${SECRET}`), { detail: { url: `/bot${SECRET}` } });
    const input = { deep, err: new Error("outer", { cause }) };
    const out = r.value(input) as typeof input;
    expect(JSON.stringify(out)).not.toContain(SECRET);
    expect((out.err.cause as Error).message).toBe(`failed with ${REDACTED}`);
    expect(out.err).toBeInstanceOf(Error);
    expect(JSON.stringify(input)).toContain(SECRET);
  });

  it("censors fields named like secrets, however they are spelt and however deep", () => {
    const out = new Redactor().value({
      request: { headers: { Authorization: "Basic Zm9vOmJhcg==", "x-telegram-bot-api-secret-token": "s3" } },
      options: { botToken: "t1", client_secret: "c1", apiKey: "k1", nested: [{ password: "p1" }] },
      tokens: 3,
      channel: "C1",
    });
    expect(out).toEqual({
      request: { headers: { Authorization: REDACTED, "x-telegram-bot-api-secret-token": REDACTED } },
      options: {
        botToken: REDACTED,
        client_secret: REDACTED,
        apiKey: REDACTED,
        nested: [{ password: REDACTED }],
      },
      tokens: 3,
      channel: "C1",
    });
    expect(isSecretField("interactionToken")).toBe(true);
    expect(isSecretField("channelId")).toBe(false);
  });

  it("keeps a cycle a cycle", () => {
    const cyclic: Record<string, unknown> = { name: SECRET };
    cyclic.self = cyclic;
    const out = new Redactor([SECRET]).value(cyclic) as Record<string, unknown>;
    expect(out.self).toBe(out);
    expect(out.name).toBe(REDACTED);
  });

  it("makes a bare, safe copy of an error: name, redacted message and code only", () => {
    const original = Object.assign(new TypeError(`fetch /bot${SECRET}/x failed`), {
      url: `/bot${SECRET}/x`,
    });
    const copy = new Redactor([SECRET]).error(original, "ECONNRESET");
    expect(copy.name).toBe("TypeError");
    expect(copy.message).toBe(`fetch /bot${REDACTED}/x failed`);
    expect((copy as Error & { code?: string }).code).toBe("ECONNRESET");
    expect(JSON.stringify({ ...copy })).not.toContain(SECRET);
    expect(new Redactor().error("plain").message).toBe("plain");
  });
});
