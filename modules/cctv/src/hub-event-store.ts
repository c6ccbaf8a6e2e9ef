// The motion events kept at the hub, per org: the newest `max` of them (each may carry a thumbnail),
// in the module's own store, the oldest evicted first. Each event has an id of its own, never reused:
// the hub's event log names it and outlives this store, so an id no longer kept answers 404 rather
// than with another event's picture (perhaps another camera's).

import { randomBytes } from 'node:crypto';
import type { ModuleCollection, StoredDoc } from '@unibos/module-api';
import type { HubMotionEvent } from './privacy-gate.ts';

export interface HubEventStoreOptions {
  collection: ModuleCollection<HubMotionEvent>;
  /** Events kept per org. */
  max: number;
  now: () => number;
  /** The random part of an id, hex (injected in tests). */
  random?: () => string;
}

/** An event id: `e`, then the time and random bits (`e0mxdbz9c4a41c9e07b5d2`); earlier versions' `e0000`-`e0999` too. */
export const HUB_EVENT_ID = '^e[0-9a-z]{4,32}$';

export class HubEventStore {
  /** Per org, the ids kept, oldest first: read from the store when the org is first written to. */
  private readonly kept = new Map<string, string[]>();

  constructor(private readonly o: HubEventStoreOptions) {}

  /**
   * A new id, unique without reading the store: the time says when, and 48 random bits keep two ids
   * of one millisecond apart, and ids after a clock set back (a Pi with no clock) or a store emptied.
   */
  newId(): string {
    const time = Math.max(0, Math.floor(this.o.now())).toString(36).padStart(9, '0');
    return `e${time}${this.o.random ? this.o.random() : randomBytes(6).toString('hex')}`;
  }

  /** Keeps `doc` under `id`, then evicts the org's oldest beyond `max`. */
  put(orgId: string, id: string, doc: HubMotionEvent): void {
    const ids = this.idsOf(orgId);
    this.o.collection.put(orgId, id, doc);
    ids.push(id);
    this.evict(orgId, ids);
  }

  get(orgId: string, id: string): HubMotionEvent | null {
    return this.o.collection.get(orgId, id);
  }

  /** Newest first. */
  list(orgId: string, limit: number): Array<StoredDoc<HubMotionEvent>> {
    return this.o.collection.list(orgId, { limit });
  }

  private idsOf(orgId: string): string[] {
    let ids = this.kept.get(orgId);
    if (!ids) {
      // What an earlier run kept (newest first in the store); far fewer than the store lists at most.
      ids = this.o.collection
        .list(orgId, { limit: Math.max(this.o.max * 2, 2000) })
        .map((d) => d.id)
        .reverse();
      this.kept.set(orgId, ids);
      this.evict(orgId, ids);
    }
    return ids;
  }

  private evict(orgId: string, ids: string[]): void {
    if (ids.length <= this.o.max) return;
    for (const id of ids.splice(0, ids.length - this.o.max)) this.o.collection.delete(orgId, id);
  }
}
