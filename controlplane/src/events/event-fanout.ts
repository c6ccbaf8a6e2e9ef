// Hands each live event to the streams of its org only. One subscription to the event log for all
// streams; each event is encoded once; delivery runs after the appender's turn (one macrotask per
// burst), so a service appending an event never waits on, or is broken by, a thousand sockets.

import type { EventLog } from './event-log.ts';
import { eventFrame } from './event-stream-messages.ts';
import type { HubEvent } from './hub-event.ts';

export type EventFrameListener = (event: HubEvent, frame: Buffer) => void;

export class EventFanout {
  private readonly byOrg = new Map<string, Set<EventFrameListener>>();
  private queue: HubEvent[] = [];
  private flushScheduled = false;
  private readonly stopLog: () => void;

  constructor(log: Pick<EventLog, 'subscribe'>, private readonly onListenerError: (err: unknown) => void) {
    this.stopLog = log.subscribe((event) => this.enqueue(event));
  }

  /** Live events of `orgId` from the next one dispatched on; returns the unsubscribe function. */
  subscribe(orgId: string, listener: EventFrameListener): () => void {
    let listeners = this.byOrg.get(orgId);
    if (!listeners) this.byOrg.set(orgId, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.byOrg.get(orgId) === listeners) this.byOrg.delete(orgId);
    };
  }

  close(): void {
    this.stopLog();
    this.byOrg.clear();
    this.queue = [];
  }

  private enqueue(event: HubEvent): void {
    if (!this.byOrg.has(event.orgId)) return;
    this.queue.push(event);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const events = this.queue;
    this.queue = [];
    for (const event of events) {
      const listeners = this.byOrg.get(event.orgId);
      if (!listeners) continue;
      const frame = eventFrame(event);
      for (const listener of listeners) {
        try {
          listener(event, frame);
        } catch (err) {
          this.onListenerError(err);
        }
      }
    }
  }
}
