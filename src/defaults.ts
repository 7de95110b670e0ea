// Every default value of the bridge, in one place. Config validation fills from here.

export const DEFAULTS = {
  assistantApiUrl: "https://api.mygptassistants.com/api/v1",
  chatRate: "100/60s",
  dataRate: "1000/3600s",
  /** Per-request timeout for assistant calls; the model can be slow. */
  assistantTimeoutMs: 60_000,
  /** Retries of one assistant call inside the client (transport errors, INTERNAL_ERROR). */
  assistantMaxAttempts: 4,
  /** Upper bound on the total time the client spends retrying one call. */
  assistantMaxRetryTimeMs: 120_000,
  assistantBackoffBaseMs: 500,
  assistantBackoffMaxMs: 15_000,
  storeUrl: "sqlite://./data/bridge.sqlite",
  /** Longest a single store call may take before it fails with STORE_TIMEOUT (Redis down, SQLite locked). */
  storeOpTimeoutMs: 1500,
  /** How often expired keys and leases are deleted from the store (reads ignore them anyway). */
  storeSweepIntervalMs: 60_000,
  /** Every Redis key the bridge writes starts with this, whatever else shares the server. */
  storeRedisPrefix: "mygpt:",
  port: 3000,
  host: "0.0.0.0",
  logLevel: "info",
  configFile: "config/bridge.yaml",
  /** A session nobody wrote in for this long starts afresh. */
  sessionIdleMs: 30 * 24 * 3600_000,
  /** How long a delivered message id is remembered to drop redeliveries. */
  dedupeTtlMs: 24 * 3600_000,
  /** Messages accepted but not yet answered, across all conversations. */
  maxBacklog: 10_000,
  /** Per-conversation backlog; beyond it the user is asked to retry later. */
  maxConversationBacklog: 50,
  mergeQueuedMessages: true,
  /**
   * Longest message sent to the assistant in one call when merging queued messages. The vendor
   * publishes no cap; 10,000 characters is our assumption (see the emulator), kept here alone.
   */
  maxAssistantMessageChars: 10_000,
  /**
   * At most this many assistant calls in flight per API key. Within it, each key keeps as many as
   * its budget's rate × how long a call holds its place (the assistant's answer, then posting the
   * reply) calls for (Little's law), plus one.
   */
  chatConcurrency: 32,
  /**
   * A typing indicator (Telegram, Discord) first shows once the assistant has worked this long: a
   * reply that comes sooner needs none (Telegram recommends it only for a noticeable wait), which
   * saves a platform call per message.
   */
  typingDelayMs: 500,
  /** How long a call holds its place, assumed for that sizing until calls on a key have been timed. */
  assistantLatencyGuessMs: 2_000,
  /** Tell the user when their expected wait exceeds this. */
  longWaitNoticeMs: 20_000,
  /**
   * How long a crashed bridge process keeps what it held in the store before another process takes
   * it over (one that died on the same host is noticed at once). PROCESS_LEASE_MS overrides it.
   */
  processLeaseMs: 30_000,
  /**
   * A budget slot whose call never finished (its process died) stops counting this long after it
   * was taken; one whose call finished counts until a window after that. Above the longest request.
   */
  budgetSlotMaxFlightMs: 120_000,
  /**
   * A budget's waiting line across processes (oldest waiting call first): a process that has not
   * come back for its slot this long after the wait it was told loses its place (it died); one
   * waiting behind others looks again at least this often.
   */
  budgetLineGraceMs: 2_000,
  /** /readyz waits this long for the store before calling it unreachable (it must answer within 1 s). */
  readinessStoreCheckMs: 700,
  /**
   * Posting a reply chunk: attempts for failures the platform may recover from, 250 ms apart and
   * doubling (about 30 s in all), the one retry layer above the SDK's own.
   */
  deliveryMaxAttempts: 8,
  deliveryBackoffBaseMs: 250,
  contactRefreshMs: 7 * 24 * 3600_000,
  /** A known user's profile is looked at again for changes at most this often. */
  contactProfileCheckMs: 3600_000,
  handoffWindowMs: 30 * 60_000,
  /** Log once when the contact backlog is expected to take longer than this to drain. */
  contactBacklogWarnMs: 60 * 60_000,
  /** The contact backlog is counted in the store at most this often; between counts it is tracked. */
  contactBacklogRecountMs: 10_000,
  /**
   * How long `start` may take to stop after SIGTERM/SIGINT before it exits anyway, leaving unanswered
   * messages pending in the store for the next start. Below Docker's default 10 s stop grace period.
   */
  shutdownTimeoutMs: 8_000,
} as const;
