// The router's replay state on disk, so a node that restarts (a reboot, a crash) still refuses
// recordings of frames it accepted before instead of delivering and relaying them again.
// Saved a short while after frames are accepted, coalesced (one write per burst, not per frame:
// an SD card wears), and on a clean stop; a crash loses at most the last `delayMs` of it.

import { encodeReplaySnapshot, formatNodeId, parseReplaySnapshot, type ReplaySnapshot, type Scheduler, type TimerHandle } from '@unibos/mesh-protocol';
import type { Logger } from 'pino';
import type { Db } from './node-db.ts';

const KEY = 'replay_state';
/** How long a frame accepted may stay unsaved: the gap a crash leaves open to replays. */
export const REPLAY_SAVE_DELAY_MS = 2_000;

export interface ReplayStateStoreOptions {
  scheduler: Scheduler;
  log: Pick<Logger, 'warn' | 'debug'>;
  /** A write the disk refused (a full SD card): logged and counted by the device; routing goes on. */
  onError: (err: unknown) => void;
  delayMs?: number;
}

export class ReplayStateStore {
  private readonly read;
  private readonly write;
  private source: (() => ReplaySnapshot) | undefined;
  private pending: TimerHandle | undefined;
  private dirty = false;

  constructor(db: Db, private readonly options: ReplayStateStoreOptions) {
    this.read = db.prepare('SELECT value FROM kv WHERE key = ?');
    this.write = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  }

  /**
   * What node `nodeId` saved last, or undefined. A row that does not parse (a damaged disk, another
   * version) or was saved by another node is refused with a log line: the node then starts empty,
   * as it did before this state was kept, rather than not at all.
   */
  load(nodeId: number): ReplaySnapshot | undefined {
    let row: { value: unknown } | undefined;
    try {
      row = this.read.get(KEY) as { value: unknown } | undefined;
    } catch (err) {
      this.options.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'replay state unreadable: starting without it');
      return undefined;
    }
    if (row === undefined) return undefined;
    const parsed = typeof row.value === 'string' ? parseReplaySnapshot(Buffer.from(row.value, 'base64')) : { ok: false as const, reason: 'not text' };
    if (!parsed.ok) {
      this.options.log.warn({ reason: parsed.reason }, 'saved replay state does not parse: starting without it');
      return undefined;
    }
    if (parsed.snapshot.nodeId !== nodeId) {
      this.options.log.warn({ savedBy: formatNodeId(parsed.snapshot.nodeId) }, 'saved replay state belongs to another node: starting without it');
      return undefined;
    }
    return parsed.snapshot;
  }

  /** Where snapshots come from: the router, once it is built. */
  attach(source: () => ReplaySnapshot): void {
    this.source = source;
  }

  /** A frame was accepted: saved within `delayMs`, together with whatever else arrives meanwhile. */
  accepted(): void {
    this.dirty = true;
    this.pending ??= this.options.scheduler.schedule(this.options.delayMs ?? REPLAY_SAVE_DELAY_MS, () => {
      this.pending = undefined;
      this.save();
    });
  }

  /** Saves now if anything was accepted since the last save (a clean stop). */
  flush(): void {
    this.pending?.cancel();
    this.pending = undefined;
    this.save();
  }

  private save(): void {
    if (!this.dirty || this.source === undefined) return;
    try {
      const snapshot = this.source();
      this.write.run(KEY, Buffer.from(encodeReplaySnapshot(snapshot)).toString('base64'));
      this.dirty = false;
      this.options.log.debug({ senders: snapshot.channels.reduce((n, c) => n + c.senders.length, 0) }, 'replay state saved');
    } catch (err) {
      // Still dirty: the next frame accepted (or the stop) tries again.
      this.options.onError(err);
    }
  }
}
