// The typed surface of the MyGPTAssistants API that the rest of the bridge uses. The HTTP details
// (paths, envelope, status codes, assumptions) live in the client modules beside this file.

export interface ChatRequest {
  botId: string;
  message: string;
  sessionId?: string;
}

export interface ChatReply {
  response: string;
  conversationId: string;
  messageId: string;
}

/** What the server said about the budget on its last response (X-RateLimit-* / Retry-After). */
export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  /** When the window resets, ms since epoch (the header is seconds). */
  resetAt?: number;
  /** From Retry-After, when present. */
  retryAfterMs?: number;
}

export interface Contact {
  id: string;
  externalId: string;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  source?: string;
  attributes?: Record<string, unknown>;
  createdAt?: string;
  updatedAt?: string;
}

export interface ContactInput {
  externalId: string;
  name?: string;
  email?: string;
  phone?: string;
  source: string;
  attributes?: Record<string, unknown>;
}

export interface AssistantApi {
  /** One chat call. Retries retryable failures within bounds; throws AssistantError otherwise. */
  chat(request: ChatRequest, options?: { signal?: AbortSignal }): Promise<ChatReply>;
  findContactByExternalId(externalId: string): Promise<Contact | undefined>;
  createContact(input: ContactInput): Promise<Contact>;
  updateContact(contactId: string, changes: Partial<ContactInput>): Promise<Contact>;
}
