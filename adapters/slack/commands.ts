// Slack's slash commands (/reset, /help): each runs the bridge command through the sink and answers
// in place with an ephemeral message. Before start, or when the command fails, the user gets the
// route's fallback text instead of silence.
import type { App } from "@slack/bolt";
import type { Logger } from "pino";
import type { AuthorRef, CommandName, ConversationRef, InboundSink } from "../../src/adapter.js";
import { DEFAULT_TEXTS, type Texts } from "../../src/relay/replies.js";
import { markdownToMrkdwn } from "./render.js";
import { SLACK_SLASH_COMMANDS } from "./scopes.js";

export interface CommandDeps {
  sink: () => InboundSink | undefined;
  textsOf: (conversation: ConversationRef) => Texts;
  logger: Logger;
}

export function listenForSlashCommands(app: App, deps: CommandDeps): void {
  for (const { command, name } of SLACK_SLASH_COMMANDS) {
    app.command(command, async ({ command: payload, ack }) => {
      const conversation: ConversationRef = {
        platform: "slack",
        workspaceId: payload.team_id,
        channelId: payload.channel_id,
      };
      const author: AuthorRef = { id: payload.user_id, name: payload.user_name, isBot: false };
      const text = await runCommand(deps, name, conversation, author);
      await ack({ response_type: "ephemeral", text: markdownToMrkdwn(text) });
    });
  }
}

async function runCommand(
  deps: CommandDeps,
  name: CommandName,
  conversation: ConversationRef,
  author: AuthorRef,
): Promise<string> {
  const sink = deps.sink();
  if (!sink) return DEFAULT_TEXTS.commandNotReady;
  const texts = deps.textsOf(conversation);
  try {
    return await sink.command(name, conversation, author);
  } catch (error) {
    deps.logger.error({ err: error, command: name }, "a Slack slash command failed");
    return texts.commandFailed;
  }
}
