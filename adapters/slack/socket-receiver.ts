// Socket Mode without early acknowledgement. Bolt acks an events_api envelope before the listeners
// run, so a message the store then refuses would be lost: Slack only redelivers what was not acked.
// This receiver is Bolt's own SocketModeReceiver with one change: an event's ack is held back until
// Bolt's listeners (and so the relay's durable accept) have finished, and is never sent when they
// fail, so Slack sends the envelope again with retry_attempt + 1. Slash commands and other envelope
// types are acknowledged when Bolt says, as before, since their ack carries the response.
import { type App, AuthorizationError, type ReceiverEvent, SocketModeReceiver } from "@slack/bolt";

type Options = ConstructorParameters<typeof SocketModeReceiver>[0];

export class AckAfterAcceptReceiver extends SocketModeReceiver {
  constructor(options: Options) {
    super({
      ...options,
      // The app's error handler has logged the failure. Acknowledge only when no installation can
      // authorize the event (a retry cannot help); otherwise leave it for Slack to send again.
      processEventErrorHandler: async ({ error }) => error instanceof AuthorizationError,
    });
  }

  override init(app: App): void {
    const processEvent = async (event: ReceiverEvent): Promise<void> => {
      if (event.body.type !== "event_callback") {
        await app.processEvent(event);
        return;
      }
      // Bolt calls ack() before its listeners; the real one is sent once they have all succeeded.
      await app.processEvent({ ...event, ack: async () => {} });
      await event.ack();
    };
    super.init({ processEvent } as unknown as App);
  }
}
