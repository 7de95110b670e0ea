// Hostile and odd input on Telegram, through the real grammY adapter, the bridge and the Bot API
// emulator.
import { afterEach, describe, expect, it } from "vitest";
import { posted, startTelegramBridge, type TelegramBridge } from "../e2e/telegram-helpers.js";

const open: TelegramBridge[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

describe("Telegram: links in answers", () => {
  it("only http(s) and mailto links become links; a tg://user link mentions nobody", async () => {
    const b = await startTelegramBridge("polling");
    open.push(b);
    b.assistant.setRespond(
      () =>
        "Ping [my friend](tg://user?id=4242), see [the docs](https://example.com/docs) or [mail](mailto:help@example.com); also [js](javascript:alert(1)).",
    );
    b.telegram.userSays(b.dm, b.user, "links please");
    const answer = await posted(b.telegram, (m) => m.text.startsWith("Ping"));
    const urls = answer.entities.filter((e) => e.type === "text_link").map((e) => e.url);
    expect(urls).toEqual(["https://example.com/docs", "mailto:help@example.com"]);
    expect(answer.entities.some((e) => e.type === "text_mention")).toBe(false);
    expect(answer.text).toContain("my friend");
  });
});
