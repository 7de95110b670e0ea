// The markdown parser behind render.ts: mdast-util-from-markdown with GFM (tables, strikethrough,
// task lists), walked into Telegram HTML or plain text. Loaded only when a reply needs it.
import type { Nodes, Parents, Root } from "mdast";
import { fromMarkdown } from "mdast-util-from-markdown";
import { gfmFromMarkdown } from "mdast-util-gfm";
import { gfm } from "micromark-extension-gfm";
import { escapeHtml } from "./render.js";

type Mode = "html" | "plain";

interface RenderState {
  mode: Mode;
  definitions: Map<string, string>;
  inQuote: boolean;
}

/** The parser's GFM extensions, built once (building them costs about as much as a short parse). */
let extensions: {
  extensions: ReturnType<typeof gfm>[];
  mdastExtensions: ReturnType<typeof gfmFromMarkdown>[];
};

/** Always through the parser (the fast path is checked against it). */
export function render(markdown: string, mode: Mode): string {
  extensions ??= { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] };
  const tree = fromMarkdown(markdown, extensions);
  const state: RenderState = { mode, definitions: collectDefinitions(tree), inQuote: false };
  return blocks(tree, state).trim();
}

function collectDefinitions(tree: Root): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (node: Nodes): void => {
    if (node.type === "definition") found.set(node.identifier, node.url);
    if ("children" in node) for (const child of node.children) visit(child as Nodes);
  };
  visit(tree);
  return found;
}

function blocks(parent: Parents, state: RenderState, separator = "\n\n"): string {
  return parent.children
    .map((child) => node(child as Nodes, state))
    .filter((text) => text.length > 0)
    .join(separator);
}

function inline(parent: Parents, state: RenderState): string {
  return parent.children.map((child) => node(child as Nodes, state)).join("");
}

function tag(name: string, content: string, state: RenderState, attributes = ""): string {
  if (state.mode === "plain" || content.length === 0) return content;
  return `<${name}${attributes}>${content}</${name}>`;
}

function text(value: string, state: RenderState): string {
  return state.mode === "html" ? escapeHtml(value) : value;
}

function node(n: Nodes, state: RenderState): string {
  switch (n.type) {
    case "root":
      return blocks(n, state);
    case "paragraph":
      return inline(n, state);
    case "heading":
      return tag("b", inline(n, state), state);
    case "thematicBreak":
      return "———";
    case "blockquote":
      return quote(n, state);
    case "list":
      return n.children
        .map((item, index) => {
          const marker = n.ordered ? `${(n.start ?? 1) + index}.` : "•";
          const check = item.checked === true ? "☑ " : item.checked === false ? "☐ " : "";
          const body = blocks(item, state, item.spread ? "\n\n" : "\n").replace(/\n/g, "\n   ");
          return `${marker} ${check}${body}`;
        })
        .join("\n");
    case "listItem":
      return blocks(n, state);
    case "code":
      return codeBlock(n.value, n.lang ?? undefined, state);
    case "html":
      return text(n.value, state);
    case "text":
      return text(n.value, state);
    case "emphasis":
      return tag("i", inline(n, state), state);
    case "strong":
      return tag("b", inline(n, state), state);
    case "delete":
      return tag("s", inline(n, state), state);
    case "inlineCode":
      return tag("code", text(n.value, state), state);
    case "break":
      return "\n";
    case "link":
      return link(n.url, inline(n, state), state);
    case "linkReference":
      return link(state.definitions.get(n.identifier), inline(n, state), state);
    case "image":
      return link(n.url, text(n.alt || "image", state), state);
    case "imageReference":
      return link(state.definitions.get(n.identifier), text(n.alt || "image", state), state);
    case "table":
      return codeBlock(
        n.children
          .map((row) => row.children.map((cell) => markdownToPlainInline(cell, state)).join(" | "))
          .join("\n"),
        undefined,
        state,
      );
    case "footnoteReference":
      return text(`[${n.label ?? n.identifier}]`, state);
    case "footnoteDefinition":
      return `${text(`[${n.label ?? n.identifier}]`, state)} ${blocks(n, state)}`;
    case "definition":
    case "yaml":
      return "";
    default:
      return "children" in n ? inline(n as Parents, state) : "";
  }
}

function quote(n: Parents, state: RenderState): string {
  if (state.inQuote || state.mode === "plain") {
    const inner = blocks(n, { ...state, inQuote: true });
    return state.mode === "plain" ? inner.replace(/^/gm, "> ") : inner;
  }
  return tag("blockquote", blocks(n, { ...state, inQuote: true }), state);
}

function codeBlock(value: string, lang: string | undefined, state: RenderState): string {
  if (state.mode === "plain") return value;
  const language = lang && /^[\w+#.-]+$/.test(lang) ? ` class="language-${lang}"` : "";
  return `<pre><code${language}>${escapeHtml(value)}</code></pre>`;
}

/**
 * Only web and mail links become links: a tg:// link can mention an arbitrary member (tg://user?id=)
 * or act inside the client, and the assistant's text is not trusted to do either.
 */
function link(url: string | undefined, content: string, state: RenderState): string {
  const safe = url && /^(https?:|mailto:)/i.test(url) ? url : undefined;
  if (!safe) return content;
  if (state.mode === "plain") return content === safe ? safe : `${content} (${safe})`;
  return `<a href="${escapeHtml(safe).replace(/"/g, "&quot;")}">${content || escapeHtml(safe)}</a>`;
}

function markdownToPlainInline(parent: Parents, state: RenderState): string {
  return inline(parent, { ...state, mode: "plain" });
}
