// The emulated assistant's conversations: each sessionId has a conversationId and a turn counter,
// and the default reply echoes both so tests can see that context carried over.

export interface ReplyInput {
  botId: string;
  message: string;
  sessionId: string;
  turn: number;
}
export type Responder = (input: ReplyInput) => string;

export interface ChatSession {
  sessionId: string;
  conversationId: string;
  turns: number;
}

export const defaultResponder: Responder = ({ sessionId, turn, message }) =>
  `[session ${sessionId} turn ${turn}] ${message}`;

export class ChatSessions {
  private readonly sessions = new Map<string, ChatSession>();
  private sessionCount = 0;
  private messageCount = 0;

  /** The session for a given id (created on first use, as the client may pick its own ids), or a new one. */
  open(sessionId: string | undefined): ChatSession {
    const id = sessionId ?? this.freshSessionId();
    let session = this.sessions.get(id);
    if (!session) {
      session = { sessionId: id, conversationId: `conv_${this.sessions.size + 1}`, turns: 0 };
      this.sessions.set(id, session);
    }
    return session;
  }

  find(sessionId: string): ChatSession | undefined {
    return this.sessions.get(sessionId);
  }

  private freshSessionId(): string {
    let id: string;
    do id = `sess_${++this.sessionCount}`;
    while (this.sessions.has(id));
    return id;
  }

  nextMessageId(): string {
    return `msg_${++this.messageCount}`;
  }
}
