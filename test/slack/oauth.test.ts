// Many workspaces: a workspace adds the app through the OAuth flow served on the bridge's HTTP app
// (/slack/install -> Slack's authorize page -> /slack/oauth_redirect -> oauth.v2.access), the
// installation lands in the store, the bot then talks in that workspace with its token, and
// uninstalling removes it.
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { RecordingSink } from "../support/adapter-contract.js";
import { botMessage, type SlackSetup, setupSlack } from "./harness.js";

let setup: SlackSetup | undefined;

afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

async function get(url: string, cookie?: string): Promise<Response> {
  return fetch(url, { redirect: "manual", ...(cookie && { headers: { cookie } }) });
}

describe("Slack OAuth install (many workspaces)", () => {
  it("installs into a new workspace, answers there with its token, and forgets it on uninstall", async () => {
    const store = await openStore("memory://");
    setup = await setupSlack("http", (emulator, baseUrl) => ({
      botToken: undefined,
      oauth: {
        clientId: emulator.clientId,
        clientSecret: emulator.clientSecret,
        stateSecret: "a-random-state-secret",
        store,
        redirectUri: `${baseUrl}/slack/oauth_redirect`,
      },
    }));
    const { emulator, adapter, baseUrl } = setup;
    const sink = new RecordingSink();
    await adapter.start(sink);
    const acme = emulator.createWorkspace("Acme");
    emulator.nextInstallWorkspace = acme;

    const install = await get(`${baseUrl}/slack/install`);
    expect(install.status).toBe(302);
    const cookie = (install.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const authorize = new URL(install.headers.get("location") ?? "");
    expect(authorize.searchParams.get("scope")?.split(",")).toContain("app_mentions:read");
    const approved = await get(authorize.toString());
    expect(approved.status).toBe(302);
    const callback = await get(approved.headers.get("location") ?? "", cookie);
    expect(callback.status).toBe(200);
    expect(await callback.text()).toContain("Installed");
    const installation = await adapter.installationStore?.fetchInstallation({
      teamId: acme.id,
      enterpriseId: undefined,
      isEnterpriseInstall: false,
    });
    expect(installation?.bot?.userId).toBe(acme.botUserId);

    const person = emulator.createUser({ name: "wile", teamId: acme.id });
    await emulator.userSays(person, emulator.dmWith(person), "hello from Acme");
    const msg = await sink.next((m) => m.text === "hello from Acme");
    expect(msg.conversation.workspaceId).toBe(acme.id);
    await adapter.send(msg.replyTarget, "hello Acme");
    expect((await botMessage(emulator, "hello Acme")).teamId).toBe(acme.id);

    const removed = await emulator.uninstall(acme.id);
    expect(removed.status).toBe(200);
    await expect(
      adapter.installationStore?.fetchInstallation({
        teamId: acme.id,
        enterpriseId: undefined,
        isEnterpriseInstall: false,
      }),
    ).rejects.toThrow(/no Slack installation/);
    const after = await emulator.userSays(person, emulator.dmWith(person), "still there?");
    expect(after.results[0]?.status).toBe(401);
    expect(sink.messages.map((m) => m.text)).toEqual(["hello from Acme"]);
    await store.close();
  });

  it("refuses a callback whose state does not belong to the browser", async () => {
    const store = await openStore("memory://");
    setup = await setupSlack("http", (emulator, baseUrl) => ({
      oauth: {
        clientId: emulator.clientId,
        clientSecret: emulator.clientSecret,
        stateSecret: "a-random-state-secret",
        store,
        redirectUri: `${baseUrl}/slack/oauth_redirect`,
      },
    }));
    const { emulator, adapter, baseUrl } = setup;
    await adapter.start(new RecordingSink());
    const install = await get(`${baseUrl}/slack/install`);
    const approved = await get(install.headers.get("location") ?? "");
    const callback = await get(approved.headers.get("location") ?? "");
    expect(callback.status).toBe(400);
    expect(emulator.calls.some((c) => c.method === "oauth.v2.access")).toBe(false);
    await store.close();
  });
});
