// How a worker on a durable queue waits when it found nothing to do: until new work is announced
// (wake) or `ms` pass, since work a stopped or crashed process left may have become claimable.
export class IdleWait {
  private wakeUp?: () => void;

  wait(ms: number): Promise<void> {
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
    this.wakeUp?.();
  }
}
