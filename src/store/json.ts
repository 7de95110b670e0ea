// How every store turns values into stored text and back: JSON, so all three stores return the same thing.

export function encodeValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`a store value must be JSON (got ${typeof value})`);
  return text;
}

export function decodeValue<T>(text: string): T {
  return JSON.parse(text) as T;
}
