// How a worker on a durable queue waits when it found nothing to do: until new work is announced
// (wake) or `ms` pass, since work a stopped or crashed process left may have become claimable. A wake
// that comes while the worker is busy (looking in the store) is kept for its next wait: otherwise
// work announced then, or a stop, would wait out the whole timer.
export class IdleWait {
  private wakeUp?: () => void;
  private wokenMeanwhile = false;

  wait(ms: number): Promise<void> {
    if (this.wokenMeanwhile) {
      this.wokenMeanwhile = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wokenMeanwhile = true;
  }
}
