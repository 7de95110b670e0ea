// The chat endpoint, as the vendor documents it: POST /bot/{botId} with {message, sessionId?},
// answering {response, conversationId, messageId}. A 404 here means the bot id is unknown.
import type { StatusCodes } from "./envelope.js";
import { malformed } from "./envelope.js";
import type { HttpRequest } from "./http.js";
import type { ChatReply, ChatRequest } from "./types.js";

export const CHAT_STATUSES: StatusCodes = { 404: "BOT_NOT_FOUND" };

export function chatRequest(request: ChatRequest): HttpRequest {
  const body: { message: string; sessionId?: string } = { message: request.message };
  if (request.sessionId !== undefined) body.sessionId = request.sessionId;
  return { method: "POST", path: `/bot/${encodeURIComponent(request.botId)}`, body };
}

export function readChatReply(data: unknown, where: string): ChatReply {
  const reply = (data ?? {}) as Partial<Record<keyof ChatReply, unknown>>;
  if (typeof reply.response !== "string") throw malformed(where, "data.response");
  return {
    response: reply.response,
    conversationId: typeof reply.conversationId === "string" ? reply.conversationId : "",
    messageId: typeof reply.messageId === "string" ? reply.messageId : "",
  };
}
