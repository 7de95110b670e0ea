// Markdown (what the assistant writes) to Slack mrkdwn, via slackify-markdown: *bold*, _italic_,
// <url|links>, code blocks, bullets; headings become bold lines. Slack needs &, < and > escaped in
// plain text, which the converter does, but it passes Slack's own mention syntax through; the bridge
// posts on behalf of the assistant and dashboard agents, so broadcasts (<!channel>, <!here>,
// <!everyone>), user groups (<!subteam^…>) and people (<@U…>) are shown as text, never as pings.
// slackify-markdown 4.x: 5.x requires Node 22, and the bridge runs on Node 20.
// It is loaded on the first reply: this module is imported with the Slack platform module, which
// every start loads (Slack configured or not), and the converter is ~1.6 MiB of heap.
import { createRequire } from "node:module";

let slackify: ((markdown: string) => string) | undefined;

export function markdownToMrkdwn(markdown: string): string {
  slackify ??= createRequire(import.meta.url)("slackify-markdown") as (markdown: string) => string;
  const rendered = slackify(markdown).trimEnd();
  return neutraliseMentions(rendered.length > 0 ? rendered : markdown);
}

/** Escapes the `<` of every `<!…>` and `<@…>` so Slack shows it literally and notifies nobody. */
export function neutraliseMentions(mrkdwn: string): string {
  return mrkdwn.replace(/<(?=[!@])/g, "&lt;");
}
