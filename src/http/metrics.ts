// Prometheus metrics for /metrics: messages in/out, assistant calls by outcome, queue depth, wait
// times, the remaining budget and what this replica holds. It observes the relay through RelayObserver.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Platform } from "../adapter.js";
import type { BudgetSnapshot } from "../budget/types.js";
import { leaderRoles } from "../leadership.js";
import type { RelayObserver } from "../relay/relay.js";

export class BridgeMetrics implements RelayObserver {
  readonly registry = new Registry();
  private readonly messagesIn = new Counter({
    name: "bridge_messages_in_total",
    help: "Messages received from chat platforms",
    labelNames: ["platform"],
    registers: [this.registry],
  });
  private readonly messagesIgnoredTotal = new Counter({
    name: "bridge_messages_ignored_total",
    help: "Messages not relayed, by reason",
    labelNames: ["platform", "reason"],
    registers: [this.registry],
  });
  private readonly messagesOut = new Counter({
    name: "bridge_messages_out_total",
    help: "Messages posted to chat platforms",
    labelNames: ["platform"],
    registers: [this.registry],
  });
  private readonly assistantCalls = new Counter({
    name: "bridge_assistant_calls_total",
    help: "Calls to the assistant, by outcome (ok or an error code)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  private readonly queueDepthGauge = new Gauge({
    name: "bridge_queue_depth",
    help: "Accepted messages waiting for the assistant",
    registers: [this.registry],
  });
  private readonly waitSeconds = new Histogram({
    name: "bridge_wait_seconds",
    help: "Time from accepting a message to calling the assistant",
    buckets: [0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly contactSyncFailures = new Counter({
    name: "bridge_contact_sync_failures_total",
    help: "Contact sync calls that failed",
    registers: [this.registry],
  });
  readonly contactsSynced = new Counter({
    name: "bridge_contacts_synced_total",
    help: "Contacts created or updated in the CRM",
    labelNames: ["action"],
    registers: [this.registry],
  });
  readonly contactBacklogEta = new Gauge({
    name: "bridge_contact_backlog_eta_seconds",
    help: "Expected time to sync every waiting contact under the data budget",
    registers: [this.registry],
  });
  readonly webhookEvents = new Counter({
    name: "bridge_webhook_events_total",
    help: "Webhook events from the assistant, by outcome",
    labelNames: ["outcome"],
    registers: [this.registry],
  });

  constructor(budgets: () => Array<{ kind: string; snapshot: BudgetSnapshot }> = () => []) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: "bridge_budget_remaining",
      help: "Assistant API calls left in the current rolling window, per budget",
      labelNames: ["kind", "budget"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [i, b] of budgets().entries())
          this.set({ kind: b.kind, budget: String(i) }, b.snapshot.remaining);
      },
    });
    new Gauge({
      name: "bridge_leader",
      help: "1 while this replica holds the named connection (a platform's poller or gateway shard), 0 while it stands by",
      labelNames: ["role"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [role, leading] of leaderRoles) this.set({ role }, leading ? 1 : 0);
      },
    });
  }

  /**
   * Which replica holds what: the messages and conversations this process is answering, labelled
   * with its replica id (its lease owner on the store, also logged at start).
   */
  watchReplica(replica: string, holding: () => { messages: number; conversations: number }): void {
    const gauge = (name: string, help: string, read: (h: ReturnType<typeof holding>) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["replica"],
        registers: [this.registry],
        collect() {
          this.reset();
          this.set({ replica }, read(holding()));
        },
      });
    gauge(
      "bridge_replica_messages_held",
      "Accepted messages this replica holds until answered",
      (h) => h.messages,
    );
    gauge(
      "bridge_replica_conversations_held",
      "Conversations this replica is answering (one replica at a time answers a conversation)",
      (h) => h.conversations,
    );
  }

  messageIn(platform: Platform): void {
    this.messagesIn.inc({ platform });
  }
  messageIgnored(platform: Platform, reason: string): void {
    this.messagesIgnoredTotal.inc({ platform, reason });
  }
  messageOut(platform: Platform): void {
    this.messagesOut.inc({ platform });
  }
  assistantCall(outcome: string): void {
    this.assistantCalls.inc({ outcome });
  }
  queueDepth(depth: number): void {
    this.queueDepthGauge.set(depth);
  }
  waited(ms: number): void {
    this.waitSeconds.observe(ms / 1000);
  }
}
