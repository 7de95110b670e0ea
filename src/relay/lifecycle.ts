// Whether the relay takes messages and whether it is stopping, shared by its parts: a stop ends
// intake, cuts store retries short and leaves batches still waiting for budget to the next start.
import { setMaxListeners } from "node:events";

export class Lifecycle {
  /** New messages are taken (after the stored backlog is queued, until stop). */
  accepting = false;
  stopping = false;
  private controller = stopController();
  private signalStop: () => void = () => {};
  /** Resolves when stop begins. */
  stopped: Promise<void> = this.nextStop();

  /** Aborts when stop begins. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  begin(): void {
    this.stopping = false;
    this.controller = stopController();
    this.stopped = this.nextStop();
  }

  end(): void {
    this.accepting = false;
    this.stopping = true;
    this.controller.abort();
    this.signalStop();
  }

  private nextStop(): Promise<void> {
    return new Promise((resolve) => {
      this.signalStop = resolve;
    });
  }
}

/**
 * Every call in flight and every retry waiting listens for the stop, each removing its listener when
 * done: dozens at once is normal, not Node's suspected leak (its warning comes at 11).
 */
function stopController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** Thrown inside the relay when a batch waiting for budget is left for the next start. */
export class LeftForRestart extends Error {}
