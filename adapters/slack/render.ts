// Markdown (what the assistant writes) to Slack mrkdwn, via slackify-markdown: *bold*, _italic_,
// <url|links>, code blocks, bullets; headings become bold lines. Slack needs &, < and > escaped in
// plain text, which the converter does.
// slackify-markdown 4.x: 5.x requires Node 22, and the bridge runs on Node 20.
import slackifyMarkdown from "slackify-markdown";

export function markdownToMrkdwn(markdown: string): string {
  const rendered = slackifyMarkdown(markdown).trimEnd();
  return rendered.length > 0 ? rendered : markdown;
}
