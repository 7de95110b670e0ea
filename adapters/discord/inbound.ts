// Turns a discord.js Message into the relay's InboundMessage, or drops it: which conversation it
// belongs to (a thread, a DM, or - in reply mode - a channel message), whether it addresses the bot,
// and its text without the bot's mention.
import { ChannelType, type Message, MessageType } from "discord.js";
import type { AuthorRef, ConversationRef, InboundMessage, ReplyTarget } from "../../src/adapter.js";

export type ReplyMode = "thread" | "reply";

/** How send() reaches a conversation; kept in ReplyTarget.extra.kind. */
export const TargetKind = {
  /** Post in conversation.channelId (a DM or a thread). */
  channel: "channel",
  /** Start a thread from the user's message (same id) on first use, then post in it. */
  threadStart: "thread-start",
  /** Reply (message_reference) to the user's message in conversation.channelId. */
  reply: "reply",
  /** Answer through a slash-command interaction's webhook. */
  interaction: "interaction",
} as const;

const THREAD_NAME_MAX = 80;

export interface InboundContext {
  botId: string;
  replyMode: ReplyMode;
}

export function conversationOf(
  guildId: string | null,
  channelId: string,
  threadId?: string,
  parentChannelId?: string | null,
): ConversationRef {
  return {
    platform: "discord",
    workspaceId: guildId ?? "@dm",
    channelId,
    ...(threadId ? { threadId } : {}),
    ...(parentChannelId ? { parentChannelId } : {}),
  };
}

export function authorOf(user: {
  id: string;
  username: string;
  globalName: string | null;
  bot: boolean;
}): AuthorRef {
  return {
    id: user.id,
    name: user.globalName ?? user.username,
    isBot: user.bot,
    profileFingerprint: JSON.stringify([user.username, user.globalName]),
  };
}

function mentionsBot(message: Message, botId: string): boolean {
  if (message.mentions.users.has(botId)) return true;
  const botRole = message.guild?.roles.botRoleFor(botId);
  return botRole ? message.mentions.roles.has(botRole.id) : false;
}

/** The text with the bot's user and role mentions removed. */
export function stripBotMention(text: string, botId: string, botRoleId?: string): string {
  let out = text.replaceAll(`<@${botId}>`, "").replaceAll(`<@!${botId}>`, "");
  if (botRoleId) out = out.replaceAll(`<@&${botRoleId}>`, "");
  return out.replace(/[ \t]{2,}/g, " ").trim();
}

function threadNameFrom(text: string, author: AuthorRef): string {
  const firstLine =
    text
      .split("\n")
      .find((line) => line.trim() !== "")
      ?.trim() ?? "";
  const name = firstLine || `Chat with ${author.name ?? "you"}`;
  return name.length > THREAD_NAME_MAX ? `${name.slice(0, THREAD_NAME_MAX - 1)}…` : name;
}

/**
 * The InboundMessage for a Discord message, or undefined when the relay should never see it:
 * bots (ourselves included), webhooks, system messages, and guild-channel chatter without a mention.
 */
export function toInbound(message: Message, context: InboundContext): InboundMessage | undefined {
  if (message.author.bot || message.webhookId) return undefined;
  if (message.type !== MessageType.Default && message.type !== MessageType.Reply) return undefined;

  const author = authorOf(message.author);
  const botRoleId = message.guild?.roles.botRoleFor(context.botId)?.id;
  const text = stripBotMention(message.content, context.botId, botRoleId);
  const files = message.attachments.size + message.stickers.size;
  const base = {
    author,
    text,
    messageId: message.id,
    sentAt: message.createdTimestamp,
    ...(files > 0 && { files }),
  };

  if (message.channel.type === ChannelType.DM || !message.guildId) {
    const conversation = conversationOf(null, message.channelId);
    const replyTarget: ReplyTarget = { conversation, extra: { kind: TargetKind.channel } };
    return { ...base, conversation, replyTarget, isDirect: true, addressesBot: true };
  }

  const addressesBot = mentionsBot(message, context.botId);
  if (message.channel.isThread()) {
    const conversation = conversationOf(
      message.guildId,
      message.channelId,
      undefined,
      message.channel.parentId,
    );
    const replyTarget: ReplyTarget = { conversation, extra: { kind: TargetKind.channel } };
    return { ...base, conversation, replyTarget, isDirect: false, addressesBot };
  }

  if (!addressesBot) return undefined;
  if (context.replyMode === "reply") {
    const conversation = conversationOf(message.guildId, message.channelId, message.id);
    const replyTarget: ReplyTarget = {
      conversation,
      replyToMessageId: message.id,
      extra: { kind: TargetKind.reply },
    };
    return { ...base, conversation, replyTarget, isDirect: false, addressesBot };
  }
  // Discord gives a thread started from a message that message's id, so the mention and every
  // follow-up inside the thread share this conversation.
  const conversation = conversationOf(message.guildId, message.id, undefined, message.channelId);
  const replyTarget: ReplyTarget = {
    conversation,
    replyToMessageId: message.id,
    extra: {
      kind: TargetKind.threadStart,
      parentChannelId: message.channelId,
      threadName: threadNameFrom(text, author),
    },
  };
  return { ...base, conversation, replyTarget, isDirect: false, addressesBot };
}
