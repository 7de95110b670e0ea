// Parses a message written with parse_mode "HTML" the way the Bot API does: only Telegram's tag
// subset, four named entities plus numeric ones, strict nesting. Returns the plain text and its
// entities, or the Bot API's "can't parse entities" reason.

export interface MessageEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  /** The person a text_mention points at. */
  user?: { id: number; is_bot: boolean; first_name: string; username?: string };
}

export type HtmlParseResult =
  | { ok: true; text: string; entities: MessageEntity[] }
  | { ok: false; reason: string };

const TAG_TYPES: Record<string, string> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  "tg-spoiler": "spoiler",
  span: "spoiler",
  a: "text_link",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
  "tg-emoji": "custom_emoji",
};

const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

interface OpenTag {
  name: string;
  start: number;
  attributes: Record<string, string>;
}

export function parseTelegramHtml(html: string): HtmlParseResult {
  let text = "";
  const entities: MessageEntity[] = [];
  const stack: OpenTag[] = [];
  let i = 0;
  while (i < html.length) {
    const ch = html[i]!;
    if (ch === "&") {
      const decoded = decodeEntity(html, i);
      if (decoded) {
        text += decoded.char;
        i = decoded.end;
      } else {
        text += "&";
        i += 1;
      }
      continue;
    }
    if (ch !== "<") {
      text += ch;
      i += 1;
      continue;
    }
    const offset = byteOffset(html, i);
    const close = html.indexOf(">", i);
    if (close < 0) return { ok: false, reason: `Unclosed start tag at byte offset ${offset}` };
    const inner = html.slice(i + 1, close);
    if (inner.startsWith("/")) {
      const name = inner.slice(1).trim().toLowerCase();
      const open = stack.pop();
      if (!open) return { ok: false, reason: `Unexpected end tag at byte offset ${offset}` };
      if (open.name !== name) {
        return {
          ok: false,
          reason: `Unmatched end tag at byte offset ${offset}, expected "</${open.name}>", found "</${name}>"`,
        };
      }
      const parent = stack[stack.length - 1];
      if (open.name === "code" && parent?.name === "pre") {
        // <pre><code class="language-x"> is one pre entity with a language, as Telegram reports it.
        const language = /^language-(.+)$/.exec(open.attributes.class ?? "")?.[1];
        if (language) parent.attributes.language = language;
      } else {
        const entity = toEntity(open, text.length - open.start);
        if (entity) entities.push(entity);
      }
      i = close + 1;
      continue;
    }
    const match = /^([a-zA-Z][a-zA-Z0-9-]*)(.*)$/s.exec(inner);
    const name = match?.[1]?.toLowerCase() ?? "";
    if (!match || !(name in TAG_TYPES)) {
      return { ok: false, reason: `Unsupported start tag "${name}" at byte offset ${offset}` };
    }
    const attributes = parseAttributes(match[2] ?? "");
    if (attributes === null) {
      return { ok: false, reason: `Can't parse attributes of the tag "${name}" at byte offset ${offset}` };
    }
    if (name === "span" && attributes.class !== "tg-spoiler") {
      return { ok: false, reason: `Tag "span" must have class "tg-spoiler" at byte offset ${offset}` };
    }
    const insideCode = stack.some((t) => t.name === "code" || (t.name === "pre" && name !== "code"));
    if (insideCode) {
      return { ok: false, reason: `Entities can't be nested in "pre" or "code" at byte offset ${offset}` };
    }
    stack.push({ name, start: text.length, attributes });
    i = close + 1;
  }
  const unclosed = stack.pop();
  if (unclosed) {
    return { ok: false, reason: `Can't find end tag corresponding to start tag "${unclosed.name}"` };
  }
  return { ok: true, text, entities: entities.sort((a, b) => a.offset - b.offset || b.length - a.length) };
}

function toEntity(tag: OpenTag, length: number): MessageEntity | undefined {
  if (length === 0) return undefined;
  const type = TAG_TYPES[tag.name]!;
  const entity: MessageEntity = { type, offset: tag.start, length };
  if (type === "text_link") {
    if (!tag.attributes.href) return undefined;
    entity.url = tag.attributes.href;
  }
  if (type === "pre" && tag.attributes.language) entity.language = tag.attributes.language;
  return entity;
}

function decodeEntity(html: string, at: number): { char: string; end: number } | undefined {
  const semi = html.indexOf(";", at);
  if (semi < 0 || semi - at > 10) return undefined;
  const body = html.slice(at + 1, semi);
  const named = NAMED_ENTITIES[body];
  if (named) return { char: named, end: semi + 1 };
  const numeric = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(body);
  if (!numeric) return undefined;
  const raw = numeric[1]!;
  const code = raw.startsWith("x") ? Number.parseInt(raw.slice(1), 16) : Number.parseInt(raw, 10);
  if (code > 0x10ffff) return undefined;
  return { char: String.fromCodePoint(code), end: semi + 1 };
}

function parseAttributes(source: string): Record<string, string> | null {
  const attributes: Record<string, string> = {};
  const pattern = /\s*([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gy;
  let rest = source;
  while (rest.trim().length > 0) {
    pattern.lastIndex = 0;
    const m = pattern.exec(rest);
    if (!m) return null;
    attributes[m[1]!.toLowerCase()] = decodeAll(m[2] ?? m[3] ?? m[4] ?? "");
    rest = rest.slice(pattern.lastIndex);
  }
  return attributes;
}

function decodeAll(value: string): string {
  let out = "";
  for (let i = 0; i < value.length; ) {
    const decoded = value[i] === "&" ? decodeEntity(value, i) : undefined;
    if (decoded) {
      out += decoded.char;
      i = decoded.end;
    } else {
      out += value[i];
      i += 1;
    }
  }
  return out;
}

function byteOffset(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), "utf8");
}
