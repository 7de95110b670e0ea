// Waiting on events instead of sleeping: resolves when an emitter emits an event whose payload
// matches, with a timeout that fails the test with a useful message.
import type { EventEmitter } from "node:events";

export function waitForEvent<T = unknown>(
  emitter: EventEmitter,
  event: string,
  predicate: (payload: T) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(payload);
    };
    emitter.on(event, listener);
  });
}

/** Collects every payload of an event until `count` have arrived. */
export function collectEvents<T = unknown>(
  emitter: EventEmitter,
  event: string,
  count: number,
  timeoutMs = 10_000,
): Promise<T[]> {
  const seen: T[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms: ${seen.length} of ${count} "${event}" events`));
    }, timeoutMs);
    const listener = (payload: T) => {
      seen.push(payload);
      if (seen.length < count) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(seen);
    };
    emitter.on(event, listener);
  });
}
