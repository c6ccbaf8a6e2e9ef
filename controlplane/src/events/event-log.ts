// The org event log: every event is a committed SQLite row first (its rowid is the monotonically
// increasing event id), then handed to live listeners. A client that reconnects reads the rows
// after its last id, so nothing is missed between the replay and the live stream.

import { EventEmitter } from 'node:events';
import { hubEventTopic, type HubEventType } from '@unibos/mesh-protocol';
import type { HubDb } from '../storage/hub-db.ts';
import { AfterCommit } from '../storage/after-commit.ts';
import { EVENT_TOPICS, type EventSink, type EventTopic, type HubEvent, type NewHubEvent } from './hub-event.ts';

interface EventRow {
  id: number;
  org_id: string;
  topic: string;
  type: string;
  ts: number;
  data: string;
  audience: string | null;
}

export interface EventLogOptions {
  now?: () => number;
  /** Rows kept per org (one org's flood never prunes another's); older ones are pruned in batches. Default 1,000,000. */
  maxEvents?: number;
}

export class EventLog implements EventSink {
  private readonly emitter = new EventEmitter();
  private readonly now: () => number;
  private readonly maxEvents: number;
  /** Per org, appends since its last prune. */
  private readonly appendsSincePrune = new Map<string, number>();
  /** Events appended inside batch() reach live listeners once it has returned. */
  private readonly live = new AfterCommit<HubEvent>((e) => this.emitter.emit('event', e));
  private readonly stmt;

  constructor(private readonly db: HubDb, options: EventLogOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxEvents = options.maxEvents ?? 1_000_000;
    this.emitter.setMaxListeners(0);
    db.exec(`CREATE TABLE IF NOT EXISTS events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      org_id TEXT NOT NULL,
      topic TEXT NOT NULL,
      type TEXT NOT NULL,
      ts INTEGER NOT NULL,
      data TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS events_org ON events (org_id, id);`);
    // Added with the messenger: a hub.db from before it gets the column (NULL: the whole org).
    if (!db.prepare<[], { name: string }>('PRAGMA table_info(events)').all().some((c) => c.name === 'audience')) db.exec('ALTER TABLE events ADD COLUMN audience TEXT');
    this.stmt = {
      insert: db.prepare<[string, string, string, number, string, string | null]>('INSERT INTO events (org_id, topic, type, ts, data, audience) VALUES (?, ?, ?, ?, ?, ?)'),
      after: db.prepare<[string, number, number], EventRow>('SELECT * FROM events WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?'),
      lastId: db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM events'),
      lastIdOfOrg: db.prepare<[string], { id: number | null }>('SELECT MAX(id) AS id FROM events WHERE org_id = ?'),
      prune: db.prepare<[string, string, number]>('DELETE FROM events WHERE org_id = ? AND id <= (SELECT id FROM events WHERE org_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)'),
    };
  }

  append<T extends HubEventType>(event: NewHubEvent<T>): HubEvent<T> {
    const ts = event.ts ?? this.now();
    const topic = hubEventTopic(event.type);
    const audience = event.audience ? [...event.audience] : undefined;
    const info = this.stmt.insert.run(event.orgId, topic, event.type, ts, JSON.stringify(event.data), audience ? JSON.stringify(audience) : null);
    const stored = { id: Number(info.lastInsertRowid), orgId: event.orgId, topic, type: event.type, ts, data: event.data, ...(audience ? { audience } : {}) } as HubEvent<T>;
    const appends = (this.appendsSincePrune.get(event.orgId) ?? 0) + 1;
    this.appendsSincePrune.set(event.orgId, appends >= 10_000 ? 0 : appends);
    if (appends >= 10_000) this.stmt.prune.run(event.orgId, event.orgId, this.maxEvents);
    this.live.add(stored as HubEvent);
    return stored;
  }

  /**
   * An event for live streams only (typing, presence): never a row, so never replayed. It carries
   * the org's last stored id, so a client resuming after it misses nothing.
   */
  announce<T extends HubEventType>(event: NewHubEvent<T>): HubEvent<T> {
    const audience = event.audience ? [...event.audience] : undefined;
    const live = { id: this.lastId(event.orgId), orgId: event.orgId, topic: hubEventTopic(event.type), type: event.type, ts: event.ts ?? this.now(), data: event.data, ephemeral: true, ...(audience ? { audience } : {}) } as HubEvent<T>;
    // Inside a transaction, after it, in order with what it appended (a reading announced as its gateway comes online).
    this.live.add(live as HubEvent);
    return live;
  }

  /**
   * Runs `fn` (a transaction); the events it appends reach live listeners only once it has
   * returned, so never an event whose row was rolled back (its id would be handed out again).
   */
  batch<T>(fn: () => T): T {
    return this.live.batch(fn);
  }

  /** The org's events after `afterId`, oldest first, at most `limit`. */
  after(orgId: string, afterId: number, limit: number): HubEvent[] {
    return this.stmt.after.all(orgId, afterId, limit).map(fromRow);
  }

  /**
   * The newest event id (0 when none): hub-wide, or of one org, which is where that org's fresh
   * subscriber starts (and all a client learns, so it says nothing about other orgs' traffic).
   */
  lastId(orgId?: string): number {
    return (orgId === undefined ? this.stmt.lastId.get() : this.stmt.lastIdOfOrg.get(orgId))?.id ?? 0;
  }

  /** Live events, every org; returns the unsubscribe function. */
  subscribe(listener: (event: HubEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}

function fromRow(row: EventRow): HubEvent {
  const topic = (EVENT_TOPICS as readonly string[]).includes(row.topic) ? (row.topic as EventTopic) : 'nodes';
  // Rows are written by append() only, so their type is one of the union's (data as it was then).
  return { id: row.id, orgId: row.org_id, topic, type: row.type, ts: row.ts, data: JSON.parse(row.data), ...(row.audience ? { audience: JSON.parse(row.audience) as string[] } : {}) } as HubEvent;
}
