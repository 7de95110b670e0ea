// A call's place in its key's waiting line, which every process on the store shares: since when
// its conversation has waited for this turn. That is its oldest message's arrival, or, when the
// conversation was answered since, the end of that answer's call: a conversation just served goes
// behind those that waited longer, as in the relay's round-robin, but across processes. Only the
// most recently served conversations are remembered (as many as the backlog can hold).
import { DEFAULTS } from "../defaults.js";

export class TurnOrder {
  /** When each conversation's last call ended, least recently first. */
  private readonly lastServed = new Map<string, number>();

  constructor(private readonly capacity: number = DEFAULTS.maxBacklog) {}

  placeOf(waitingSince: number, conversation?: string): number {
    const served = conversation === undefined ? undefined : this.lastServed.get(conversation);
    return served === undefined ? waitingSince : Math.max(waitingSince, served);
  }

  served(conversation: string, at: number): void {
    this.lastServed.delete(conversation);
    this.lastServed.set(conversation, at);
    if (this.lastServed.size > this.capacity) {
      const oldest = this.lastServed.keys().next().value;
      if (oldest !== undefined) this.lastServed.delete(oldest);
    }
  }
}
