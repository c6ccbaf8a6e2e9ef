// A kept frame's event (`mesh.{kind}`) goes out once the receptions of the same frame from other
// gateways have had the dedup window to arrive, so the event lists every gateway that heard it.
// Kinds outside the shared vocabulary are kept but raise no event: the stream carries only
// types of the typed union.

import { isHubEventType, type HubEventType } from '@unibos/mesh-protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { EventSink } from '../events/hub-event.ts';
import type { RecordStore } from './record-store.ts';

type MeshEventType = Extract<HubEventType, `mesh.${string}`>;

export class RecordEvents {
  private readonly pending = new Map<number, { orgId: string; timer: NodeJS.Timeout }>();
  private closed = false;

  constructor(private readonly o: { records: RecordStore; events: EventSink; logger: FastifyBaseLogger; dedupWindowMs: number }) {}

  schedule(orgId: string, recordId: number): void {
    if (this.o.dedupWindowMs <= 0 || this.closed) {
      this.emit(orgId, recordId);
      return;
    }
    const timer = setTimeout(() => this.emit(orgId, recordId), this.o.dedupWindowMs);
    timer.unref();
    this.pending.set(recordId, { orgId, timer });
  }

  /** At shutdown, once the broker is closed: every event still inside its window goes out now. */
  close(): void {
    this.closed = true;
    for (const [recordId, p] of this.pending) {
      clearTimeout(p.timer);
      this.emit(p.orgId, recordId);
    }
  }

  private emit(orgId: string, recordId: number): void {
    this.pending.delete(recordId);
    // Runs from a timer: a storage error here is logged, never thrown into the event loop.
    try {
      const record = this.o.records.get(orgId, recordId);
      const type = record ? `mesh.${record.kind}` : null;
      if (record && type && isHubEventType(type)) this.o.events.append({ orgId, type: type as MeshEventType, data: record });
    } catch (err) {
      this.o.logger.error({ err, recordId }, 'could not raise the event for a stored record');
    }
  }
}
