// How every store turns values and durations into what it keeps: values as JSON text and TTLs as
// whole positive milliseconds, so all three stores accept and return exactly the same things.

export function encodeValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`a store value must be JSON (got ${typeof value})`);
  return text;
}

export function decodeValue<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** A TTL or lease length, rounded up to whole milliseconds; anything not positive is a caller's bug. */
export function durationMs(ms: number, what: string): number {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new TypeError(`${what} must be a positive number of ms (got ${ms})`);
  return Math.ceil(ms);
}
