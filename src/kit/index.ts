// The adapter kit: what every platform adapter needs from the core, in one place. Secret redaction
// (the logger uses the same), a renewing typing/status indicator, the not-ready guard for inbound
// HTTP routes, transport-error classification, and the route's texts for what an adapter says itself.

export { notReadyGuard } from "./not-ready.js";
export { isSecretField, REDACTED, Redactor, type RedactorOptions, tokenRedactor } from "./redact.js";
export { type RetryOptions, retry, sleep } from "./retry.js";
export { routeTexts } from "./texts.js";
export { isRetryableStatus, transportCode, transportReason } from "./transport.js";
export { type RenewingOptions, renewingIndicator } from "./typing.js";
