// Decides what one incoming Telegram message means for the bridge: which conversation it belongs to,
// whether it is addressed to the bot (private chat, @mention, reply to the bot, /command@bot, or one
// of the bot's own commands sent bare, as Telegram's command menu sends them in groups), and
// the text the relay gets with the bot's own @mention taken out.
import type { Message, MessageEntity, User, UserFromGetMe } from "grammy/types";
import type { ConversationRef, InboundMessage, ReplyTarget } from "../../src/adapter.js";
import { isOwnBareCommand } from "./commands.js";

/** Telegram's stand-in author for anonymous group admins (the real sender is the chat). */
const GROUP_ANONYMOUS_BOT_ID = 1087968824;

const MEDIA_KINDS = [
  "photo",
  "sticker",
  "voice",
  "video",
  "video_note",
  "audio",
  "document",
  "animation",
  "location",
  "venue",
  "contact",
  "poll",
  "dice",
  "story",
] as const;

/** Media (with or without a caption) is passed as text with `files`; the relay adds the files note. */
export type Classified =
  | { kind: "text"; message: InboundMessage }
  | { kind: "non-text"; replyTarget: ReplyTarget }
  | { kind: "skip"; reason: string };

export function conversationOf(message: Message): ConversationRef {
  const conversation: ConversationRef = {
    platform: "telegram",
    workspaceId: "global",
    channelId: String(message.chat.id),
  };
  if (message.is_topic_message && message.message_thread_id !== undefined) {
    conversation.threadId = String(message.message_thread_id);
  }
  return conversation;
}

export function replyTargetOf(message: Message): ReplyTarget {
  return {
    conversation: conversationOf(message),
    replyToMessageId: String(message.message_id),
    extra: { chatType: message.chat.type },
  };
}

export function classifyMessage(message: Message, me: UserFromGetMe): Classified {
  if (!message.from) return { kind: "skip", reason: "no sender (channel post)" };
  if (message.from.id === me.id) return { kind: "skip", reason: "own message" };
  if (message.is_automatic_forward) return { kind: "skip", reason: "automatic channel forward" };
  const isDirect = message.chat.type === "private";
  const text = message.text ?? message.caption;
  const entities = (message.text !== undefined ? message.entities : message.caption_entities) ?? [];
  const addressed =
    isDirect || repliesToBot(message, me) || (text !== undefined && mentionsBot(text, entities, me));
  const files = MEDIA_KINDS.filter((kind) => kind in message).length;
  if ((text === undefined || text.trim() === "") && files === 0) {
    return { kind: "skip", reason: "service message" };
  }
  if (!addressed) return { kind: "skip", reason: "group message not addressed to the bot" };
  // A bare "@bot" becomes empty text: the relay answers it with the short help.
  const stripped = text === undefined ? "" : isDirect ? text.trim() : stripBotMention(text, entities, me);
  const conversation = conversationOf(message);
  return {
    kind: "text",
    message: {
      conversation,
      replyTarget: replyTargetOf(message),
      author: authorOf(message),
      text: stripped,
      isDirect,
      addressesBot: true,
      messageId: `${message.chat.id}:${message.message_id}`,
      sentAt: message.date * 1000,
      ...(files > 0 && { files }),
    },
  };
}

function authorOf(message: Message): InboundMessage["author"] {
  const from = message.from!;
  if (from.id === GROUP_ANONYMOUS_BOT_ID && message.sender_chat) {
    return {
      id: String(message.sender_chat.id),
      name: message.sender_chat.title ?? "anonymous admin",
      isBot: false,
    };
  }
  const profile = [from.first_name, from.last_name, from.username, from.language_code, from.is_premium];
  return {
    id: String(from.id),
    name: displayName(from),
    isBot: from.is_bot,
    profileFingerprint: JSON.stringify(profile),
  };
}

export function displayName(user: User): string {
  const full = [user.first_name, user.last_name].filter(Boolean).join(" ").trim();
  return full || user.username || String(user.id);
}

function repliesToBot(message: Message, me: UserFromGetMe): boolean {
  const replied = message.reply_to_message;
  if (!replied || replied.forum_topic_created) return false;
  return replied.from?.id === me.id;
}

function mentionsBot(text: string, entities: MessageEntity[], me: UserFromGetMe): boolean {
  return entities.some((entity) => isBotReference(text, entity, me) || opensWithOwnCommand(text, entity));
}

/** "/reset" at the very start: what a tap in the bot's command menu sends in a group. */
function opensWithOwnCommand(text: string, entity: MessageEntity): boolean {
  if (entity.type !== "bot_command" || entity.offset !== 0) return false;
  return isOwnBareCommand(text.slice(0, entity.length));
}

/** A mention of the bot, a text_mention of it, or a /command addressed to it by @username. */
function isBotReference(text: string, entity: MessageEntity, me: UserFromGetMe): boolean {
  const slice = text.slice(entity.offset, entity.offset + entity.length);
  const username = me.username.toLowerCase();
  switch (entity.type) {
    case "mention":
      return slice.toLowerCase() === `@${username}`;
    case "text_mention":
      return entity.user.id === me.id;
    case "bot_command":
      return slice.toLowerCase().endsWith(`@${username}`);
    default:
      return false;
  }
}

/** Removes "@bot" mentions (and "@bot" after a /command) so the relay sees what the user asked. */
export function stripBotMention(text: string, entities: MessageEntity[], me: UserFromGetMe): string {
  let out = text;
  const ours = entities.filter((e) => isBotReference(text, e, me)).sort((a, b) => b.offset - a.offset);
  for (const entity of ours) {
    const end = entity.offset + entity.length;
    if (entity.type === "bot_command") {
      const command = out.slice(entity.offset, end);
      out = out.slice(0, entity.offset) + command.slice(0, command.indexOf("@")) + out.slice(end);
    } else {
      out = out.slice(0, entity.offset) + out.slice(end);
    }
  }
  return out
    .replace(/[ \t]{2,}/g, " ")
    .replace(/^[\s,:]+/, "")
    .trim();
}
