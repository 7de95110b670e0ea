import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../emulators/assistant/main.ts", import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
});

/** Starts `npm run emulator`'s entry point and resolves with its output once it printed the env lines. */
async function startMain(env: Record<string, string>): Promise<{ output: () => string }> {
  child = spawn(process.execPath, ["--import", "tsx", MAIN], { env: { ...process.env, ...env } });
  let output = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    output += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    child!.stdout!.on("data", (chunk: string) => {
      output += chunk;
      if (output.includes("Ctrl-C")) resolve();
    });
    child!.once("exit", (code) => reject(new Error(`emulator exited with ${code}: ${output}`)));
  });
  return { output: () => output };
}

describe("npm run emulator", () => {
  it("prints the env lines for the bridge, serves on that URL, and stops cleanly on Ctrl-C", async () => {
    const { output } = await startMain({ PORT: "0" });
    const url = /^MYGPT_API_URL=(\S+)$/m.exec(output())?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    expect(output()).toMatch(/^MYGPT_API_KEY=test-key$/m);
    expect(output()).toMatch(/^MYGPT_BOT_ID=bot-1$/m);

    const res = await fetch(`${url}/bot/bot-1`, {
      method: "POST",
      headers: { authorization: "Bearer test-key", "content-type": "application/json" },
      body: JSON.stringify({ message: "ping" }),
    });
    const body = (await res.json()) as { data: { response: string } };
    expect(body.data.response).toContain("ping");

    const exited = once(child!, "exit");
    child!.kill("SIGINT");
    expect((await exited)[0]).toBe(0);
    expect(output()).toMatch(/POST \/bot\/bot-1 -> 200/);
  });

  it("refuses a PORT that is not a port number", async () => {
    child = spawn(process.execPath, ["--import", "tsx", MAIN], { env: { ...process.env, PORT: "http" } });
    let stderr = "";
    child.stderr!.on("data", (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(stderr).toContain('PORT must be a port number (0-65535), got "http"');
  });
});
