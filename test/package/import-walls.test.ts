// The walls between the core, the platform adapters and the tests are lint rules (biome.json,
// noRestrictedImports). This runs the real linter with the project's rules on deliberate violations
// beside allowed imports, so a rule that stops firing (a typo in a pattern, a Biome upgrade) fails here.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..", "..");

const FILES: Record<string, string> = {
  "src/relay/names-a-platform.ts": 'export { telegramPlatform } from "../../adapters/telegram/index.js";\n',
  "src/loads-a-platform.ts": 'export const slack = await import("../adapters/slack/adapter.js");\n',
  "src/reads-an-emulator.ts":
    'export { startAssistantEmulator } from "../test/emulators/assistant/index.js";\n',
  "src/app/lists-platforms.ts": 'export { slackPlatform } from "../../adapters/slack/index.js";\n',
  "adapters/telegram/borrows-from-slack.ts": 'export { markdownToMrkdwn } from "../slack/render.js";\n',
  "adapters/discord/reads-an-emulator.ts":
    'export { DiscordEmulator } from "../../test/emulators/discord/emulator.js";\n',
  "adapters/console/reaches-the-root.ts": 'export { PLATFORM_MODULES } from "../../src/app/index.js";\n',
  "adapters/matrix/new-platform-borrows.ts":
    'export { markdownToTelegramHtml } from "../telegram/render.js";\n',
  "adapters/slack/uses-the-core.ts": 'export type { PlatformAdapter } from "../../src/adapter.js";\n',
};

let dir: string;
let flagged: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "import-walls-"));
  const config = JSON.parse(readFileSync(join(root, "biome.json"), "utf8"));
  delete config.vcs; // the copy is not a git checkout
  delete config.$schema;
  writeFileSync(join(dir, "biome.json"), JSON.stringify(config));
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const run = spawnSync(join(root, "node_modules", ".bin", "biome"), ["lint", "--reporter=json", "."], {
    cwd: dir,
    encoding: "utf8",
  });
  const report = JSON.parse(run.stdout) as {
    diagnostics: Array<{ category: string; location: { path: string } }>;
  };
  flagged = report.diagnostics
    .filter((d) => d.category === "lint/style/noRestrictedImports")
    .map((d) => d.location.path.replace(/\\/g, "/"))
    .sort();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the import walls", () => {
  it("stop the core from naming a platform, statically or by dynamic import", () => {
    expect(flagged).toContain("src/relay/names-a-platform.ts");
    expect(flagged).toContain("src/loads-a-platform.ts");
  });

  it("let the composition root, and only it, list the platforms", () => {
    expect(flagged).not.toContain("src/app/lists-platforms.ts");
  });

  it("stop one adapter from importing another, or the composition root, in a new folder too", () => {
    expect(flagged).toContain("adapters/telegram/borrows-from-slack.ts");
    expect(flagged).toContain("adapters/matrix/new-platform-borrows.ts");
    expect(flagged).toContain("adapters/console/reaches-the-root.ts");
  });

  it("stop product code from importing test code", () => {
    expect(flagged).toContain("src/reads-an-emulator.ts");
    expect(flagged).toContain("adapters/discord/reads-an-emulator.ts");
  });

  it("let an adapter use the core", () => {
    expect(flagged).not.toContain("adapters/slack/uses-the-core.ts");
  });

  it("flag nothing else", () => {
    expect(flagged).toHaveLength(7);
  });
});
