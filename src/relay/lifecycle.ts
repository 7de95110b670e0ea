// Whether the relay takes messages and whether it is stopping, shared by its parts: a stop ends
// intake, cuts store retries short and leaves batches still waiting for budget to the next start.
export class Lifecycle {
  /** New messages are taken (after the stored backlog is queued, until stop). */
  accepting = false;
  stopping = false;
  private controller = new AbortController();
  private signalStop: () => void = () => {};
  /** Resolves when stop begins. */
  stopped: Promise<void> = this.nextStop();

  /** Aborts when stop begins. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  begin(): void {
    this.stopping = false;
    this.controller = new AbortController();
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

/** Thrown inside the relay when a batch waiting for budget is left for the next start. */
export class LeftForRestart extends Error {}
