// Turns Slack events into the relay's InboundMessage, or decides to ignore them. The rules:
// - app_mention in a channel: addressed to the bot; the conversation is the mention's thread
//   (thread_ts, or the mention's own ts when it starts one).
// - message in a DM (channel_type "im"): direct; threaded only if the user threaded.
// - message in a channel thread without a mention: passed as a follow-up (addressesBot=false); the
//   relay answers it only where the bot already has a session. A channel message that mentions the
//   bot is skipped here because its app_mention twin carries it.
// - Anything from a bot, edits, deletes, joins and other subtypes: ignored.
import type { InboundMessage, ReplyTarget } from "../../src/adapter.js";

/** The fields of Slack's message / app_mention events this module reads. */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  team?: string;
  /** Files shared with the message (subtype file_share, or an app_mention with files). */
  files?: unknown[];
}

export interface BotIdentity {
  /** The workspace the event was delivered for (the installation's team). */
  teamId: string;
  botUserId?: string;
  enterpriseId?: string;
}

/** Message subtypes that are a person's words; every other subtype is ignored. */
const TEXT_SUBTYPES = new Set([undefined, "thread_broadcast", "file_share"]);

export function classifySlackEvent(event: SlackMessageEvent, bot: BotIdentity): InboundMessage | undefined {
  if (event.bot_id || event.subtype === "bot_message") return undefined;
  if (!TEXT_SUBTYPES.has(event.subtype)) return undefined;
  const { channel, user, ts } = event;
  if (!channel || !user || !ts) return undefined;
  if (bot.botUserId && user === bot.botUserId) return undefined;
  const text = event.text ?? "";
  const mention = bot.botUserId ? `<@${bot.botUserId}>` : undefined;

  if (event.type === "app_mention") {
    return build(event, bot, {
      text: mention ? stripMention(text, mention) : text,
      threadId: event.thread_ts ?? ts,
      isDirect: false,
      addressesBot: true,
    });
  }
  if (event.type !== "message") return undefined;
  if (event.channel_type === "im") {
    return build(event, bot, { text, threadId: event.thread_ts, isDirect: true, addressesBot: true });
  }
  if (mention && text.includes(mention)) return undefined;
  if (event.thread_ts && event.thread_ts !== ts) {
    return build(event, bot, { text, threadId: event.thread_ts, isDirect: false, addressesBot: false });
  }
  return undefined;
}

function build(
  event: SlackMessageEvent,
  bot: BotIdentity,
  shape: { text: string; threadId: string | undefined; isDirect: boolean; addressesBot: boolean },
): InboundMessage {
  const channel = event.channel as string;
  const ts = event.ts as string;
  const conversation = {
    platform: "slack" as const,
    workspaceId: bot.teamId,
    channelId: channel,
    ...(shape.threadId !== undefined && { threadId: shape.threadId }),
  };
  const extra: Record<string, string> = { channelType: event.channel_type ?? "channel" };
  if (bot.enterpriseId) extra.enterpriseId = bot.enterpriseId;
  const replyTarget: ReplyTarget = { conversation, replyToMessageId: ts, extra };
  return {
    conversation,
    replyTarget,
    author: { id: event.user as string, isBot: false },
    text: shape.text,
    isDirect: shape.isDirect,
    addressesBot: shape.addressesBot,
    messageId: `${channel}:${ts}`,
    sentAt: Math.round(Number(ts) * 1000),
    ...(event.files?.length && { files: event.files.length }),
  };
}

/** "<@U0BOT> what's up" -> "what's up"; other mentions and the text's line breaks stay. */
function stripMention(text: string, mention: string): string {
  return text.split(`${mention} `).join("").split(mention).join("").trim();
}
