// Hostile and odd input on Slack, through the real Bolt adapter, the bridge and the Slack emulator:
// what the bot posts can never ping a channel, a user group or a person.
import { afterEach, describe, expect, it } from "vitest";
import { botTexts, chatCalls, type SlackBridge, shown, startSlackBridge } from "../e2e/slack-helpers.js";
import { captureLogs } from "../support/log-lines.js";

const open: SlackBridge[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

const BROADCASTS = "<!channel> <!here|here> <!everyone> <!subteam^S0TEAM|@support> <@U0SOMEONE>";

describe("Slack: nothing the bot posts pings anyone", () => {
  it("an answer echoing broadcast, group and user mentions notifies nobody, and still shows them", async () => {
    const b = await startSlackBridge("socket");
    open.push(b);
    b.assistant.setRespond(() => `Sure: ${BROADCASTS} and \`<!here>\` in code`);
    await b.slack.userSays(b.user, b.dm, "repeat after me");
    const answer = await shown(b.slack, (m) => m.text.includes("Sure:"));
    expect(answer.pings).toEqual([]);
    expect(answer.text).toContain("channel");
    expect(answer.text).toContain("everyone");
  });

  it("a dashboard agent's message through the webhook pings nobody", async () => {
    const b = await startSlackBridge("socket");
    open.push(b);
    await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} I need a human`);
    const reply = await shown(
      b.slack,
      (m) => m.text.includes("I need a human") && m.method === "chat.update",
    );
    const sessionId = /^\[session (\S+)/.exec(reply.text)?.[1] ?? "";
    const sent = await b.assistant.sendWebhook(
      `${b.url}/webhooks/mygpt`,
      b.assistant.makeMessageEvent(sessionId, "agent", `Attention ${BROADCASTS}`),
    );
    expect(sent.status).toBe(202);
    const posted = await shown(b.slack, (m) => m.text.startsWith("Attention"));
    expect(posted.pings).toEqual([]);
  });
});

describe("Slack: long answers", () => {
  it("a code block that fits in one post is never split across posts, in a 48,000-character answer", async () => {
    const b = await startSlackBridge("socket");
    open.push(b);
    const block = (k: number) =>
      ["```ts", ...Array.from({ length: 90 }, (_, i) => `const block${k}_line${i} = ${i};`), "```"].join(
        "\n",
      );
    const prose = (k: number) =>
      Array.from(
        { length: 3 + (k % 5) },
        (_, p) => `Section ${k} paragraph ${p} ${"words ".repeat(70)}`,
      ).join("\n\n");
    const sections = Array.from({ length: 14 }, (_, k) => `${prose(k)}\n\n${block(k)}`);
    const answer = `${sections.join("\n\n")}\n\nTHE END`;
    expect(answer.length).toBeGreaterThan(45_000);
    b.assistant.setRespond(() => answer);
    const { ts } = await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} write a long program`);
    await shown(b.slack, (m) => m.text.includes("THE END"));
    const posts = botTexts(b.slack, b.channel.id, ts);
    for (let k = 0; k < 14; k++) {
      const holding = posts.filter((p) => p.includes(`block${k}_line`));
      expect(holding, `block ${k}`).toHaveLength(1);
      expect(holding[0]).toContain(`block${k}_line0 `);
      expect(holding[0]).toContain(`block${k}_line89 `);
    }
  });
});

describe("Slack: a workspace without an installation (multi-workspace OAuth mode)", () => {
  it("costs no assistant call, answers nothing there, logs once per workspace, and the installed workspace still works", async () => {
    const logs = captureLogs();
    const b = await startSlackBridge("http", { oauth: true, logger: logs.logger });
    open.push(b);
    const acme = b.slack.createWorkspace("Acme");
    const wile = b.slack.createUser({ name: "wile", teamId: acme.id });
    const room = b.slack.createChannel("acme-general", { teamId: acme.id });
    for (const text of ["first try", "second try"]) {
      const { results } = await b.slack.userSays(wile, room, `${b.slack.mention(acme.id)} ${text}`);
      for (const result of results) expect(result.status).toBe(200);
    }
    await b.slack.userSays(b.user, b.channel, `${b.slack.mention()} hello from home`);
    await shown(b.slack, (m) => m.text.endsWith("hello from home") && m.method === "chat.update");
    await b.t.bridge.relay.whenIdle();
    expect(chatCalls(b.assistant)).toBe(1);
    expect(b.slack.sent.filter((m) => m.teamId === acme.id || m.channel === room.id)).toEqual([]);
    const notes = logs.lines.filter((l) => l.team === acme.id && String(l.msg).includes("not installed"));
    expect(notes).toHaveLength(1);
  });
});
