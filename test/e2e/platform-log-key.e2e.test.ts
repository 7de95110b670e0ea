// A platform adapter's log lines name their platform once: the adapter adds the `platform` field to
// its logger, and the composition root hands it the bridge's logger as it is.
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, expect, it } from "vitest";
import { answerTo } from "../support/platform-bridge.js";
import { startTelegramBridge, type TelegramBridge } from "./telegram-helpers.js";

let b: TelegramBridge | undefined;
afterEach(async () => {
  await b?.close();
  b = undefined;
});

it("a Telegram log line carries the platform key once", async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  b = await startTelegramBridge("polling", { logger: pino({ level: "debug" }, sink) });
  b.telegram.userSays(b.dm, b.user, "hello");
  await answerTo(b.telegram, "hello");
  const platformLines = lines.filter((line) => line.includes('"platform":"telegram"'));
  expect(platformLines.length).toBeGreaterThan(0);
  for (const line of platformLines) expect(line.split('"platform":').length - 1).toBe(1);
});
