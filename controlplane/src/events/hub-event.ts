// The hub's event: one row of the org's event log, pushed live over /ws and replayed from its id.
// Its type and data come from the shared union in @unibos/mesh-protocol (hub/hub-events.ts); the
// stream topic is not chosen by whoever raises it but read from HUB_EVENT_TOPIC.

import type { EventTopic, HubEventPayloads, HubEventType } from '@unibos/mesh-protocol';

export { EVENT_TOPICS, type EventTopic } from '@unibos/mesh-protocol';

export type HubEvent<T extends HubEventType = HubEventType> = {
  [K in T]: {
    /** Monotonically increasing across the whole hub (SQLite rowid): a client resumes after it. */
    id: number;
    orgId: string;
    topic: EventTopic;
    type: K;
    /** Epoch milliseconds. */
    ts: number;
    data: HubEventPayloads[K];
    /** Only these users' streams get it (a conversation's members); absent: the whole org. */
    audience?: readonly string[];
    /** Not stored (typing, presence): live streams only; its id is the org's last stored one. */
    ephemeral?: true;
  };
}[T];

/** What a feature raises: the topic follows from the type. */
export interface NewHubEvent<T extends HubEventType> {
  orgId: string;
  type: T;
  data: HubEventPayloads[T];
  ts?: number;
  /** User ids whose streams may carry it; absent: every stream of the org. */
  audience?: readonly string[];
}

/** Where features write events. append() is durable (committed) before it returns, then fans out live. */
export interface EventSink {
  append<T extends HubEventType>(event: NewHubEvent<T>): HubEvent<T>;
}
