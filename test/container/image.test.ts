// The production image, built from the real Dockerfile and started from its own filesystem: it serves
// /healthz, stops cleanly on SIGTERM within the deadline, runs as a non-root user, and carries neither
// build tools nor tests. Needs podman, debootstrap and root (.ci/run installs them); skipped with a
// notice elsewhere. The first build takes minutes; later ones reuse podman's cached layers.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AssistantEmulator, startAssistantEmulator } from "../emulators/assistant/index.js";
import { TelegramEmulator } from "../emulators/telegram/emulator.js";
import { freePort } from "../support/redis.js";
import {
  baseImageName,
  buildImage,
  ensureBaseImage,
  type ImageConfig,
  imageConfig,
  imageHasPath,
  type MountedImage,
  mountImage,
  podmanAvailable,
  startInImage,
} from "./podman.js";

const TAG = "localhost/mygpt-bridge:test";
const missing = podmanAvailable();
if (missing) console.warn(`container: image build-and-start test skipped: ${missing}`);

describe.skipIf(missing)("the container image", () => {
  let config: ImageConfig;
  let image: MountedImage;
  let assistant: AssistantEmulator;
  let telegram: TelegramEmulator;

  beforeAll(async () => {
    const dockerfile = readFileSync(resolve("Dockerfile"), "utf8");
    await ensureBaseImage(baseImageName(dockerfile), (line) => console.log(`container: ${line}`));
    await buildImage(resolve("."), TAG);
    config = await imageConfig(TAG);
    image = await mountImage(TAG);
    assistant = await startAssistantEmulator();
    telegram = new TelegramEmulator();
  }, 3_600_000);

  afterAll(async () => {
    await image?.unmount();
    await assistant?.close();
    await telegram?.close();
  });

  it("declares a non-root user, a /data volume and a health check with a start period", () => {
    expect(config.User).toBe("node");
    expect(Object.keys(config.Volumes ?? {})).toContain("/data");
    expect(config.Healthcheck?.Test.join(" ")).toContain("/healthz");
    expect(config.Healthcheck?.StartPeriod ?? 0).toBeGreaterThan(0);
  });

  it("carries no build tools, no TypeScript tool chain and no tests", () => {
    for (const path of [
      "usr/bin/g++",
      "usr/bin/make",
      "usr/bin/python3",
      "app/test",
      "app/src",
      "app/.env",
    ]) {
      expect(imageHasPath(image, path), path).toBe(false);
    }
    for (const devOnly of ["typescript", "tsx", "vitest", "esbuild", "@biomejs/biome"]) {
      expect(imageHasPath(image, `app/node_modules/${devOnly}`), devOnly).toBe(false);
    }
    expect(imageHasPath(image, "app/dist/src/cli/bin.js")).toBe(true);
  });

  it("serves /healthz with SQLite on /data, and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const child = startInImage(image, config, {
      PORT: String(port),
      HOST: "127.0.0.1",
      MYGPT_API_URL: assistant.url,
      MYGPT_API_KEY: assistant.apiKey,
      MYGPT_BOT_ID: assistant.botId,
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: await telegram.start(),
    });
    let output = "";
    const running = new Promise<void>((ready, failed) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("bridge is running")) ready();
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", (code) =>
        failed(new Error(`the bridge exited with ${code} before running:\n${output}`)),
      );
    });
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    await running;
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(imageHasPath(image, "data/bridge.sqlite")).toBe(true);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain("stopped");
  }, 120_000);
});
