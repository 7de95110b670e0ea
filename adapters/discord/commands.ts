// The bot's slash commands: their definitions (/ask, /reset, /help), registered with Discord at
// start-up, and what happens when someone uses one. /ask goes to the relay like a message and is
// answered through the interaction; /reset and /help answer in place, visible only to the user.
import {
  type ChatInputCommandInteraction,
  MessageFlags,
  type REST,
  Routes,
  SlashCommandBuilder,
} from "discord.js";
import type { Logger } from "pino";
import type { AcceptOutcome, CommandName, InboundMessage, InboundSink } from "../../src/adapter.js";
import { authorOf, conversationOf, TargetKind } from "./inbound.js";

export const ASK_OPTION = "question";

export const SLASH_COMMANDS = [
  new SlashCommandBuilder()
    .setName("ask")
    .setDescription("Ask the assistant a question")
    .addStringOption((option) =>
      option
        .setName(ASK_OPTION)
        .setDescription("What do you want to ask?")
        .setRequired(true)
        .setMaxLength(4000),
    ),
  new SlashCommandBuilder()
    .setName("reset")
    .setDescription("Start a new conversation with the assistant here"),
  new SlashCommandBuilder().setName("help").setDescription("What this bot does and how to talk to it"),
].map((builder) => builder.toJSON());

const BRIDGE_COMMANDS: ReadonlySet<string> = new Set<CommandName>(["reset", "help"]);

/** Registers the commands globally, or in one guild (instant, for development) when given. */
export async function registerCommands(
  rest: REST,
  applicationId: string,
  devGuildId?: string,
): Promise<void> {
  const route = devGuildId
    ? Routes.applicationGuildCommands(applicationId, devGuildId)
    : Routes.applicationCommands(applicationId);
  await rest.put(route, { body: SLASH_COMMANDS });
}

/** What the user sees when /ask was not queued. */
function refusal(outcome: AcceptOutcome): string | undefined {
  if (outcome.status === "rejected") return "I'm swamped right now - please ask again in a few minutes.";
  if (outcome.status === "ignored") return "I can't answer here.";
  return undefined;
}

export async function handleCommand(
  interaction: ChatInputCommandInteraction,
  sink: InboundSink,
  logger: Logger,
): Promise<void> {
  const conversation = conversationOf(interaction.guildId, interaction.channelId);
  const author = authorOf(interaction.user);
  try {
    if (interaction.commandName === "ask") {
      await interaction.deferReply();
      const message: InboundMessage = {
        conversation,
        replyTarget: {
          conversation,
          extra: {
            kind: TargetKind.interaction,
            interactionToken: interaction.token,
            applicationId: interaction.applicationId,
          },
        },
        author,
        text: interaction.options.getString(ASK_OPTION, true),
        isDirect: interaction.guildId === null,
        addressesBot: true,
        messageId: interaction.id,
        sentAt: interaction.createdTimestamp,
      };
      const notice = refusal(await sink.accept(message));
      if (notice) await interaction.editReply({ content: notice, allowedMentions: { parse: [] } });
      return;
    }
    if (BRIDGE_COMMANDS.has(interaction.commandName)) {
      const text = await sink.command(interaction.commandName as CommandName, conversation, author);
      await interaction.reply({
        content: text,
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
      return;
    }
    await interaction.reply({ content: "I don't know that command.", flags: MessageFlags.Ephemeral });
  } catch (error) {
    logger.error({ err: error, command: interaction.commandName }, "discord slash command failed");
    const content = "Sorry, something went wrong. Please try again.";
    const answer = interaction.deferred
      ? interaction.editReply({ content })
      : interaction.replied
        ? Promise.resolve()
        : interaction.reply({ content, flags: MessageFlags.Ephemeral });
    await answer.catch(() => undefined);
  }
}
