// `mygpt-bridge/client` in a browser: its sources bundle for the browser with no Node built-in, and
// the bundle chats with the assistant emulator from headless Chromium (Debian's `chromium` package;
// .ci/run installs it, elsewhere that one test is skipped with a notice saying so).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import { bundleForBrowser } from "./browser-bundle.js";

const run = promisify(execFile);
const CHROMIUM = ["chromium", "chromium-browser"].find((name) =>
  (process.env.PATH ?? "").split(":").some((dir) => {
    try {
      return statSync(join(dir, name)).isFile();
    } catch {
      return false;
    }
  }),
);
if (!CHROMIUM) {
  console.warn(
    "client-browser: headless Chromium test skipped: `chromium` is not installed (apt-get install chromium; .ci/run does)",
  );
}

describe("the MyGPTAssistants client in a browser", () => {
  let assistant: AssistantEmulator;
  let work: string;

  beforeAll(async () => {
    assistant = await startAssistantEmulator();
    work = mkdtempSync(join(tmpdir(), "bridge-browser-"));
  });
  afterAll(async () => {
    await assistant.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("bundles from source for the browser with no Node built-in in its import graph", async () => {
    const bundle = await bundleForBrowser(resolve("src/client.ts"));
    expect(bundle.nodeImports).toEqual([]);
    expect(bundle.errors).toEqual([]);
  });

  it.skipIf(!CHROMIUM)(
    "chats with the assistant from headless Chromium",
    async () => {
      const bundle = await bundleForBrowser(resolve("src/client.ts"), "iife");
      expect(bundle.errors).toEqual([]);
      const page = join(work, "index.html");
      writeFileSync(
        page,
        `<!doctype html><html><body><script>${bundle.code}</script><script>
        const client = MyGPTClient.createAssistantClient(${JSON.stringify({ baseUrl: assistant.url, apiKey: assistant.apiKey })});
        client.chat({ botId: ${JSON.stringify(assistant.botId)}, message: "hi from chromium" })
          .then((r) => { document.body.setAttribute("data-reply", r.response); })
          .catch((e) => { document.body.setAttribute("data-reply", "ERROR " + e.message); });
      </script></body></html>`,
      );
      // The emulator sends no CORS headers (the page is a file:// origin), so web security is off for
      // this throwaway profile; what is tested is the client code in a browser engine.
      const { stdout } = await run(
        CHROMIUM!,
        [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-web-security",
          `--user-data-dir=${join(work, "profile")}`,
          "--virtual-time-budget=15000",
          "--dump-dom",
          `file://${page}`,
        ],
        { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      );
      expect(stdout).toMatch(/data-reply="\[session \S+ turn 1\] hi from chromium"/);
    },
    90_000,
  );
});
