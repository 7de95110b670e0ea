// Profile changes reach the CRM with the next message where the platform sends the profile with
// every message (Telegram's `from`, Discord's author), without waiting for profileCheckMinutes.
import { afterEach, describe, expect, it } from "vitest";
import { answerTo, startTelegramBridge, type TelegramBridge } from "../e2e/telegram-helpers.js";
import { waitForEvent } from "../support/events.js";

const open: TelegramBridge[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

describe("profile changes", () => {
  it("a Telegram user who renames themselves has the new name in the CRM after their next message", async () => {
    const b = await startTelegramBridge("polling");
    open.push(b);
    const contact = () => b.assistant.contacts().find((c) => c.externalId === `telegram:global:${b.user.id}`);
    b.telegram.userSays(b.dm, b.user, "hi there");
    await answerTo(b.telegram, "hi there");
    if (contact()?.name !== "Ada Lovelace") {
      await waitForEvent(b.assistant, "request", () => contact()?.name === "Ada Lovelace");
    }
    const renamed = { ...b.user, first_name: "Augusta", username: "augusta" };
    b.telegram.userSays(b.dm, renamed, "it's me again");
    await answerTo(b.telegram, "it's me again");
    if (contact()?.name !== "Augusta Lovelace") {
      await waitForEvent(b.assistant, "request", () => contact()?.name === "Augusta Lovelace");
    }
    expect(contact()).toMatchObject({
      name: "Augusta Lovelace",
      attributes: expect.objectContaining({ username: "augusta" }),
    });
  });
});
