// The console adapter's implementation: a terminal chat through the same relay the chat platforms
// use, so an operator can see the key and bot work before wiring a chat platform.
import { EventEmitter } from "node:events";
import { userInfo } from "node:os";
import { createInterface, type Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type {
  InboundMessage,
  InboundSink,
  PlatformAdapter,
  ReplyTarget,
  SentMessage,
  TypingHandle,
  UserProfile,
} from "../../src/adapter.js";

export interface ConsoleAdapterOptions {
  input: Readable;
  output: Writable;
  /** The person at the terminal. */
  userName?: string;
  /** Repaint the typing line in place (a TTY) instead of printing it. */
  interactive?: boolean;
}

const CONVERSATION = { platform: "console", workspaceId: "local", channelId: "terminal" } as const;

export class ConsoleAdapter extends EventEmitter implements PlatformAdapter {
  readonly platform = "console" as const;
  readonly maxMessageLength = 100_000;
  private readline?: Interface;
  private ready = false;
  private counter = 0;
  private readonly runId = Date.now().toString(36);
  private readonly userName: string;

  constructor(private readonly options: ConsoleAdapterOptions) {
    super();
    this.userName = options.userName ?? safeUserName();
  }

  async start(sink: InboundSink): Promise<void> {
    this.readline = createInterface({ input: this.options.input, terminal: false });
    this.readline.on("line", (line) => {
      const text = line.trim();
      if (!text) return;
      const message: InboundMessage = {
        conversation: { ...CONVERSATION },
        replyTarget: { conversation: { ...CONVERSATION } },
        author: { id: this.userName, name: this.userName, isBot: false },
        text,
        isDirect: true,
        addressesBot: true,
        messageId: `${this.runId}-${++this.counter}`,
        sentAt: Date.now(),
      };
      sink
        .accept(message)
        .then((outcome) => this.emit("accepted", { message, outcome }))
        .catch((error: Error) => this.write(`! could not take that message: ${error.message}\n`));
    });
    this.readline.on("close", () => this.emit("input-closed"));
    this.ready = true;
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.readline?.close();
  }

  isReady(): boolean {
    return this.ready;
  }

  async send(_target: ReplyTarget, markdown: string): Promise<SentMessage> {
    this.clearTyping();
    this.write(`assistant> ${markdown}\n`);
    const messageId = `out-${++this.counter}`;
    this.emit("sent", { text: markdown, messageId });
    return { messageId };
  }

  startTyping(_target: ReplyTarget): TypingHandle {
    this.write(this.options.interactive ? "assistant is typing…" : "(assistant is typing…)\n");
    this.emit("typing");
    let stopped = false;
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        this.clearTyping();
      },
    };
  }

  async getProfile(message: InboundMessage): Promise<UserProfile> {
    return { userId: message.author.id, username: message.author.id, displayName: message.author.name };
  }

  private clearTyping(): void {
    if (this.options.interactive) this.write("\r\x1b[2K");
  }

  private write(text: string): void {
    this.options.output.write(text);
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return "you";
  }
}
