// The emulated Discord REST API under /api/v10: the routes a bot uses (gateway discovery, users,
// channels, messages, typing, threads, application commands, interaction callbacks and webhooks)
// with Discord's auth check, validation errors and scripted 429s.
import express, { type Request, type Response, type Router } from "express";
import type { DiscordEmulator } from "./emulator.js";
import {
  type ApiErrorBody,
  ApiErrors,
  ChannelKind,
  type DiscordMessage,
  invalidFormBody,
  makeMessage,
} from "./payloads.js";

const MAX_CONTENT = 2000;
const EPHEMERAL = 1 << 6;

/** What a bot may put in a message body (JSON only; files are not emulated). */
interface MessageBody {
  content?: unknown;
  embeds?: unknown[];
  components?: unknown[];
  allowed_mentions?: AllowedMentions;
  message_reference?: { message_id?: string; fail_if_not_exists?: boolean };
  flags?: number;
}

export interface AllowedMentions {
  parse?: string[];
  users?: string[];
  roles?: string[];
  replied_user?: boolean;
}

function fail(res: Response, status: number, body: ApiErrorBody): void {
  res.status(status).json(body);
}

/** A problem with a message body, or undefined when Discord would accept it. */
function checkContent(body: MessageBody): ApiErrorBody | undefined {
  if (body.content !== undefined && typeof body.content !== "string") {
    return invalidFormBody("content", "STRING_TYPE_CONVERT", "Could not interpret value as string.");
  }
  const content = (body.content as string | undefined) ?? "";
  if (content.length > MAX_CONTENT) {
    return invalidFormBody("content", "BASE_TYPE_MAX_LENGTH", `Must be ${MAX_CONTENT} or fewer in length.`);
  }
  if (content.trim() === "" && !body.embeds?.length && !body.components?.length)
    return ApiErrors.emptyMessage;
  return undefined;
}

/**
 * Who a message would actually notify, given its content and allowed_mentions: "everyone",
 * "user:<id>" or "role:<id>". Without allowed_mentions Discord parses everything.
 */
export function pingsOf(content: string, allowed: AllowedMentions | undefined): string[] {
  const parse = allowed ? (allowed.parse ?? []) : ["everyone", "users", "roles"];
  const pings: string[] = [];
  if (parse.includes("everyone") && /@(everyone|here)/.test(content)) pings.push("everyone");
  for (const [, kind, id] of content.matchAll(/<@(!|&)?(\d+)>/g)) {
    const isRole = kind === "&";
    const listed = isRole ? allowed?.roles : allowed?.users;
    if (parse.includes(isRole ? "roles" : "users") || listed?.includes(id!)) {
      pings.push(`${isRole ? "role" : "user"}:${id}`);
    }
  }
  return pings;
}

export function createRestRouter(emu: DiscordEmulator): Router {
  const router = express.Router();
  router.use(express.json({ limit: "8mb" }));

  router.use((req, res, next) => {
    const limited = emu.takeScriptedRateLimit(req.method, req.path);
    if (!limited) return next();
    const seconds = limited.retryAfterMs / 1000;
    res.set({
      "Retry-After": String(Math.ceil(seconds)),
      "X-RateLimit-Limit": "5",
      "X-RateLimit-Remaining": "0",
      "X-RateLimit-Reset": String((Date.now() + limited.retryAfterMs) / 1000),
      "X-RateLimit-Reset-After": String(seconds),
      "X-RateLimit-Bucket": "emulated-bucket",
      "X-RateLimit-Scope": limited.global ? "global" : "user",
      ...(limited.global ? { "X-RateLimit-Global": "true" } : {}),
    });
    res
      .status(429)
      .json({ message: "You are being rate limited.", retry_after: seconds, global: limited.global });
  });

  // Interaction callbacks and webhooks are authorised by their token in the path, not the header.
  router.use((req, res, next) => {
    if (req.path.startsWith("/interactions/") || req.path.startsWith("/webhooks/")) return next();
    if (req.get("authorization") !== `Bot ${emu.token}`) return fail(res, 401, ApiErrors.unauthorized);
    next();
  });

  router.get("/gateway/bot", (_req, res) => {
    res.json({
      url: emu.gatewayUrl,
      shards: 1,
      session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
    });
  });

  // Path parameters are percent-decoded, so "/users/%40me" (how discord.js spells it) is "@me" too.
  router.get("/users/:id", (req, res) => {
    const user = req.params.id === "@me" ? emu.bot : emu.users.get(req.params.id);
    if (!user) return fail(res, 404, ApiErrors.unknownUser);
    res.json(user);
  });

  router.get("/applications/@me", (_req, res) => {
    res.json({
      id: emu.applicationId,
      name: emu.bot.username,
      bot_public: true,
      flags: emu.applicationFlags,
    });
  });

  router.get("/channels/:id", (req, res) => {
    const channel = emu.channels.get(req.params.id);
    if (!channel) return fail(res, 404, ApiErrors.unknownChannel);
    res.json(channel);
  });

  router.post("/channels/:id/messages", (req: Request<{ id: string }>, res) => {
    const channel = emu.channels.get(req.params.id);
    if (!channel) return fail(res, 404, ApiErrors.unknownChannel);
    if (emu.forbiddenChannels.has(channel.id)) return fail(res, 403, ApiErrors.missingPermissions);
    const body = (req.body ?? {}) as MessageBody;
    const problem = checkContent(body);
    if (problem) return fail(res, 400, problem);
    const ref = body.message_reference;
    if (ref?.message_id && emu.messages.get(ref.message_id)?.channel_id !== channel.id) {
      if (ref.fail_if_not_exists !== false) {
        return fail(
          res,
          400,
          invalidFormBody("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"),
        );
      }
    }
    const message = makeMessage({
      channelId: channel.id,
      ...(channel.guild_id ? { guildId: channel.guild_id } : {}),
      author: emu.bot,
      content: (body.content as string | undefined) ?? "",
      ...(ref?.message_id && emu.messages.has(ref.message_id)
        ? { reference: { message_id: ref.message_id, channel_id: channel.id, guild_id: channel.guild_id } }
        : {}),
    });
    emu.recordBotMessage("channel", message, body.allowed_mentions, false);
    res.json(message);
  });

  router.post("/channels/:id/typing", (req, res) => {
    const channel = emu.channels.get(req.params.id);
    if (!channel) return fail(res, 404, ApiErrors.unknownChannel);
    if (emu.forbiddenChannels.has(channel.id)) return fail(res, 403, ApiErrors.missingPermissions);
    emu.recordTyping(channel.id);
    res.status(204).end();
  });

  router.post("/channels/:id/messages/:messageId/threads", (req, res) => {
    const channel = emu.channels.get(req.params.id);
    if (!channel) return fail(res, 404, ApiErrors.unknownChannel);
    if (channel.type !== ChannelKind.GuildText) {
      return fail(res, 400, { message: "Cannot execute action on this channel type", code: 50024 });
    }
    if (emu.forbiddenChannels.has(channel.id)) return fail(res, 403, ApiErrors.missingPermissions);
    const message = emu.messages.get(req.params.messageId);
    if (!message || message.channel_id !== channel.id) return fail(res, 404, ApiErrors.unknownMessage);
    if (emu.channels.has(message.id)) return fail(res, 400, ApiErrors.threadExists);
    const name = (req.body as { name?: unknown } | undefined)?.name;
    if (typeof name !== "string" || name.length < 1 || name.length > 100) {
      return fail(
        res,
        400,
        invalidFormBody("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."),
      );
    }
    const duration = Number((req.body as { auto_archive_duration?: unknown }).auto_archive_duration ?? 4320);
    res.status(201).json(emu.startThread(channel, message, name, duration));
  });

  const putCommands = (guildId: string | undefined) => (req: Request, res: Response) => {
    if (req.params.app !== emu.applicationId) return fail(res, 403, ApiErrors.missingPermissions);
    const body = req.body as Array<{ name?: string; description?: string; type?: number }>;
    if (!Array.isArray(body))
      return fail(res, 400, invalidFormBody("_root", "BASE_TYPE_ARRAY", "Must be an array."));
    for (const [index, command] of body.entries()) {
      if (!command.name || !/^[-_\p{Ll}\p{N}]{1,32}$/u.test(command.name)) {
        return fail(
          res,
          400,
          invalidFormBody(`${index}.name`, "APPLICATION_COMMAND_INVALID_NAME", "Invalid name"),
        );
      }
      const description = command.description ?? "";
      if ((command.type ?? 1) === 1 && (description.length < 1 || description.length > 100)) {
        return fail(
          res,
          400,
          invalidFormBody(
            `${index}.description`,
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 100 in length.",
          ),
        );
      }
    }
    res.json(emu.registerCommands(guildId, body));
  };
  router.put("/applications/:app/commands", putCommands(undefined));
  router.put("/applications/:app/guilds/:guild/commands", (req, res) =>
    putCommands(String(req.params.guild))(req, res),
  );

  router.post("/interactions/:id/:token/callback", (req, res) => {
    const interaction = emu.interactions.get(req.params.token);
    if (!interaction || interaction.id !== req.params.id) return fail(res, 404, ApiErrors.unknownInteraction);
    if (interaction.state !== "new") return fail(res, 400, ApiErrors.alreadyAcknowledged);
    const body = (req.body ?? {}) as { type?: number; data?: MessageBody };
    const data = body.data ?? {};
    const ephemeral = ((data.flags ?? 0) & EPHEMERAL) !== 0;
    if (body.type === 5) {
      interaction.state = "deferred";
      interaction.ephemeral = ephemeral;
      emu.emit("interactionDeferred", { token: interaction.token, ephemeral });
    } else if (body.type === 4) {
      const problem = checkContent(data);
      if (problem) return fail(res, 400, problem);
      interaction.state = "replied";
      interaction.ephemeral = ephemeral;
      interaction.original = emu.interactionMessage(interaction, String(data.content ?? ""));
      emu.recordBotMessage("interaction-response", interaction.original, data.allowed_mentions, ephemeral);
    } else {
      return fail(res, 400, invalidFormBody("type", "BASE_TYPE_CHOICES", "Value must be one of {4, 5}."));
    }
    if (req.query.with_response === "true") {
      res.json({
        interaction: { id: interaction.id, type: 2 },
        resource: { type: body.type, ...(interaction.original ? { message: interaction.original } : {}) },
      });
      return;
    }
    res.status(204).end();
  });

  const webhookInteraction = (req: Request, res: Response) => {
    const interaction = emu.interactions.get(String(req.params.token));
    if (!interaction || req.params.app !== emu.applicationId) {
      fail(res, 404, ApiErrors.unknownWebhook);
      return undefined;
    }
    if (interaction.expired) {
      fail(res, 401, { message: "Invalid Webhook Token", code: 50027 });
      return undefined;
    }
    return interaction;
  };

  router.get("/webhooks/:app/:token/messages/:message", (req, res) => {
    const interaction = webhookInteraction(req, res);
    if (!interaction) return;
    if (req.params.message !== "@original") return fail(res, 404, ApiErrors.unknownMessage);
    if (!interaction.original) return fail(res, 404, ApiErrors.unknownMessage);
    res.json(interaction.original);
  });

  router.patch("/webhooks/:app/:token/messages/:message", (req, res) => {
    const interaction = webhookInteraction(req, res);
    if (!interaction) return;
    if (req.params.message !== "@original") return fail(res, 404, ApiErrors.unknownMessage);
    if (interaction.state === "new") return fail(res, 404, ApiErrors.unknownMessage);
    const body = (req.body ?? {}) as MessageBody;
    const problem = checkContent(body);
    if (problem) return fail(res, 400, problem);
    const message: DiscordMessage = interaction.original
      ? { ...interaction.original, content: String(body.content), edited_timestamp: new Date().toISOString() }
      : emu.interactionMessage(interaction, String(body.content));
    interaction.original = message;
    interaction.state = "replied";
    emu.recordBotMessage("interaction-edit", message, body.allowed_mentions, interaction.ephemeral);
    res.json(message);
  });

  router.post("/webhooks/:app/:token", (req, res) => {
    const interaction = webhookInteraction(req, res);
    if (!interaction) return;
    if (interaction.state === "new") return fail(res, 404, ApiErrors.unknownWebhook);
    const body = (req.body ?? {}) as MessageBody;
    const problem = checkContent(body);
    if (problem) return fail(res, 400, problem);
    const ephemeral = ((body.flags ?? 0) & EPHEMERAL) !== 0;
    const message = emu.interactionMessage(interaction, String(body.content));
    emu.recordBotMessage("followup", message, body.allowed_mentions, ephemeral);
    res.json(message);
  });

  router.use((_req, res) => fail(res, 404, ApiErrors.notFound));
  return router;
}
