// Secret redaction, the one implementation the logger and every adapter use: known secret values
// (tokens, keys, signing secrets handed in at start-up), the shapes of platform tokens in any text
// (Slack xox…-/xapp-, Telegram bot tokens, Bearer credentials), and fields named like secrets, at
// any depth of a value: objects, arrays, errors with their causes and own fields, and cycles.
export const REDACTED = "[REDACTED]";

/** Token shapes recognised in any text, whether or not the value was handed in. */
const TOKEN_PATTERNS: RegExp[] = [
  /xox[a-z]-[A-Za-z0-9-]+/g,
  /xapp-[A-Za-z0-9-]+/g,
  /\b\d{6,}:[A-Za-z0-9_-]{30,}/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g,
];

/**
 * Whether a field holds a secret by its name, however it is spelt (`botToken`, `client_secret`,
 * `x-telegram-bot-api-secret-token`, `Authorization`).
 */
export function isSecretField(name: string): boolean {
  const key = name.toLowerCase().replace(/[^a-z0-9]/g, "");
  return (
    key.endsWith("token") ||
    key.endsWith("secret") ||
    key.endsWith("apikey") ||
    key.endsWith("password") ||
    key === "authorization" ||
    key === "cookie"
  );
}

export interface RedactorOptions {
  /** Known values shorter than this are ignored (a short value would blank ordinary words). */
  minLength?: number;
}

export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: ReadonlyArray<string | undefined> = [], options: RedactorOptions = {}) {
    const min = Math.max(1, options.minLength ?? 1);
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets = [
      ...new Set(secrets.filter((s): s is string => typeof s === "string" && s.length >= min)),
    ].sort((a, b) => b.length - a.length);
  }

  /** The text with every known secret and every token-shaped string replaced. */
  text(value: string): string {
    let out = value;
    for (const secret of this.secrets) out = out.split(secret).join(REDACTED);
    for (const pattern of TOKEN_PATTERNS) out = out.replace(pattern, REDACTED);
    return out;
  }

  /**
   * A copy of `value` with every string redacted and every secret-named field censored, however deep
   * it sits. Errors stay errors (name, message, stack, cause and own fields redacted); cycles stay
   * cycles.
   */
  value(value: unknown): unknown {
    return this.deep(value, new WeakMap());
  }

  /**
   * A plain copy of an error that is safe to keep or log: its name, redacted message and `code`, and
   * nothing else (no request, URL or response the original may carry).
   */
  error(error: unknown, code?: unknown): Error {
    const message = error instanceof Error ? error.message : String(error);
    const copy = new Error(this.text(message));
    copy.name = error instanceof Error ? error.name : "Error";
    if (code !== undefined) Object.assign(copy, { code });
    return copy;
  }

  private deep(value: unknown, seen: WeakMap<object, unknown>): unknown {
    if (typeof value === "string") return this.text(value);
    if (value === null || typeof value !== "object") return value;
    const known = seen.get(value);
    if (known !== undefined) return known;
    if (value instanceof Error) {
      const copy = new Error(this.text(value.message));
      seen.set(value, copy);
      copy.name = value.name;
      copy.stack = value.stack === undefined ? undefined : this.text(value.stack);
      const fields = copy as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(value)) fields[k] = this.field(k, v, seen);
      if (value.cause !== undefined) copy.cause = this.deep(value.cause, seen);
      return copy;
    }
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      seen.set(value, out);
      for (const item of value) out.push(this.deep(item, seen));
      return out;
    }
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const [k, v] of Object.entries(value)) out[k] = this.field(k, v, seen);
    return out;
  }

  private field(name: string, value: unknown, seen: WeakMap<object, unknown>): unknown {
    if (value !== undefined && value !== null && isSecretField(name)) return REDACTED;
    return this.deep(value, seen);
  }
}

/** Redacts token-shaped strings only, where no secret values are known. */
export const tokenRedactor = new Redactor();
