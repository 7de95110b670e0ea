// A platform adapter run through a store outage: the relay behind it refuses the first N messages
// with a StoreError, as the relay does when its store cannot take a message, then works again.
// Everything else (the SDK, the emulator, the real relay and assistant) is untouched.
import type { InboundSink, PlatformAdapter } from "../../src/adapter.js";
import { StoreError } from "../../src/errors.js";

export interface Outage {
  /** How many accepts were refused so far. */
  readonly refused: number;
  /** Wraps an adapter so its sink goes through this outage. */
  wrap(adapter: PlatformAdapter): PlatformAdapter;
}

export function storeOutage(refusals: number): Outage {
  let left = refusals;
  let refused = 0;
  const through = (sink: InboundSink): InboundSink => ({
    accept: async (message) => {
      if (left > 0) {
        left--;
        refused++;
        throw new StoreError("STORE_UNAVAILABLE", "the store cannot be reached");
      }
      return sink.accept(message);
    },
    command: (name, conversation, author) => sink.command(name, conversation, author),
  });
  return {
    get refused() {
      return refused;
    },
    wrap: (adapter) =>
      new Proxy(adapter, {
        get(target, prop) {
          if (prop === "start") return (sink: InboundSink) => target.start(through(sink));
          const value = Reflect.get(target, prop, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
  };
}
