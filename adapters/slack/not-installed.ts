// Events from a Slack workspace that has not installed the app (multi-workspace OAuth mode): the
// bridge cannot answer there, so they cost nothing and are logged once per workspace.

/** Set on Bolt's authorize result (and so on the event's context) for such a workspace. */
export const NOT_INSTALLED = "bridgeNotInstalled";

/** Remembers which keys were seen, so something is said once per key; bounded. */
export class OncePerKey {
  private readonly seen = new Set<string>();

  constructor(private readonly max = 10_000) {}

  firstTime(key: string): boolean {
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.max) this.seen.delete(this.seen.values().next().value as string);
    this.seen.add(key);
    return true;
  }
}
