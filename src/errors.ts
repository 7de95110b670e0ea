// The bridge's few error classes, each with a stable code that logs, metrics and tests can rely on.

export type ConfigErrorCode = "CONFIG_INVALID";
export type AssistantErrorCode =
  | "RATE_LIMIT_EXCEEDED"
  | "INVALID_API_KEY"
  | "BOT_NOT_FOUND"
  | "INVALID_REQUEST"
  | "INTERNAL_ERROR"
  | "CONTACT_EXISTS"
  | "CONTACT_NOT_FOUND"
  | "TRANSPORT"
  | "TIMEOUT";
export type DeliveryErrorCode = "DELIVERY_RETRYABLE" | "DELIVERY_REJECTED";

export abstract class BridgeError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad configuration, found at start-up. The message names the variable and the fix. */
export class ConfigError extends BridgeError {
  readonly code: ConfigErrorCode = "CONFIG_INVALID";
  constructor(
    message: string,
    readonly problems: ReadonlyArray<{ variable: string; problem: string; fix: string }> = [],
  ) {
    super(message);
  }
}

/** A failed call to the MyGPTAssistants API, after the client's own retries. */
export class AssistantError extends BridgeError {
  constructor(
    readonly code: AssistantErrorCode,
    message: string,
    readonly options: { status?: number; retryable: boolean; retryAfterMs?: number; cause?: unknown } = {
      retryable: false,
    },
  ) {
    super(message, { cause: options.cause });
  }
  get retryable(): boolean {
    return this.options.retryable;
  }
  get status(): number | undefined {
    return this.options.status;
  }
}

/** A reply that could not be posted to a chat platform. */
export class DeliveryError extends BridgeError {
  readonly code: DeliveryErrorCode;
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly options: { retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = retryable ? "DELIVERY_RETRYABLE" : "DELIVERY_REJECTED";
  }
}

export type StoreErrorCode =
  /** The store cannot be reached (Redis down, connection closed, the store was closed). */
  | "STORE_UNAVAILABLE"
  /** A call took longer than the store's operation timeout. */
  | "STORE_TIMEOUT"
  /** Another process holds the SQLite write lock for longer than the timeout. */
  | "STORE_BUSY"
  /** Anything else the driver reported (disk full, corrupt file, a script error). */
  | "STORE_FAILED";

/** A store call that did not do what it says. Never swallowed: the caller refuses, retries or reports. */
export class StoreError extends BridgeError {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  /** Every store failure may pass (a lock released, a server back); none is the caller's fault. */
  get retryable(): boolean {
    return true;
  }
}
