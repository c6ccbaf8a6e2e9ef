// The hub's event: one row of the org's event log, pushed live over /ws and replayed from its id.

export const EVENT_TOPICS = ['nodes', 'mesh', 'sensors', 'alerts', 'messages'] as const;
export type EventTopic = (typeof EVENT_TOPICS)[number];

export interface HubEvent {
  /** Monotonically increasing across the whole hub (SQLite rowid): a client resumes after it. */
  id: number;
  orgId: string;
  topic: EventTopic;
  /** What happened, e.g. node.online, node.offline, mesh.text, sensor.reading, alert.raised, message.status. */
  type: string;
  /** Epoch milliseconds. */
  ts: number;
  data: Record<string, unknown>;
}

export type NewHubEvent = Omit<HubEvent, 'id' | 'ts'> & { ts?: number };

/** Where services write events. append() is durable (committed) before it returns, then fans out live. */
export interface EventSink {
  append(event: NewHubEvent): HubEvent;
}
