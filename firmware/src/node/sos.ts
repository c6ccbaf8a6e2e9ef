// The SOS a user raised: resent (each copy a new frame with the same request id) at growing
// intervals until a gateway acknowledges it or the user says they are safe. The state is kept in
// the node database, so a reboot mid-emergency carries on resending.

import { randomInt } from 'node:crypto';
import type { Scheduler, TimerHandle } from '@unibos/mesh-protocol';
import type { Db } from './node-db.ts';

export type SosPhase = 'none' | 'pending' | 'acknowledged' | 'cancelled';

export interface SosStatus {
  phase: SosPhase;
  requestId: number;
  startedMs: number;
  copiesSent: number;
  ackedBy?: number;
  ackedMs?: number;
}

export interface SosOptions {
  retryIntervalS: number;
  maxRetryIntervalS: number;
  /** Puts one copy of the SOS on the outbox. */
  sendCopy: (requestId: number) => void;
  onChange: (status: SosStatus) => void;
  clock?: () => number;
}

const KEY = 'sos';
const NONE: SosStatus = { phase: 'none', requestId: 0, startedMs: 0, copiesSent: 0 };

export class SosTracker {
  private current: SosStatus;
  private timer: TimerHandle | undefined;
  private readonly save: (s: SosStatus) => void;
  private readonly clock: () => number;

  constructor(
    db: Db,
    private readonly scheduler: Scheduler,
    private readonly options: SosOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    const row = db.prepare('SELECT value FROM kv WHERE key = ?').get(KEY) as { value: string } | undefined;
    this.current = row ? (JSON.parse(row.value) as SosStatus) : NONE;
    const upsert = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.save = (s) => upsert.run(KEY, JSON.stringify(s));
  }

  get status(): SosStatus {
    return { ...this.current };
  }

  /** After a restart: an SOS still pending keeps going. */
  resume(): void {
    if (this.current.phase === 'pending') this.sendAndArm();
  }

  /** The user asks for help. Pressing again while pending sends another copy at once. */
  raise(): SosStatus {
    if (this.current.phase !== 'pending') {
      this.current = { phase: 'pending', requestId: randomInt(1, 0xffffffff), startedMs: this.clock(), copiesSent: 0 };
    }
    this.sendAndArm();
    return this.status;
  }

  /** A reply to request `replyId` arrived from `from`: true if it acknowledged our SOS. */
  acknowledge(replyId: number, from: number): boolean {
    if (this.current.phase !== 'pending' || replyId !== this.current.requestId) return false;
    this.timer?.cancel();
    this.current = { ...this.current, phase: 'acknowledged', ackedBy: from, ackedMs: this.clock() };
    this.commit();
    return true;
  }

  /** The user is safe: stop resending. Returns the request id that was cancelled, if any. */
  cancel(): number | undefined {
    if (this.current.phase !== 'pending') return undefined;
    this.timer?.cancel();
    this.current = { ...this.current, phase: 'cancelled' };
    this.commit();
    return this.current.requestId;
  }

  stop(): void {
    this.timer?.cancel();
  }

  private sendAndArm(): void {
    this.timer?.cancel();
    this.options.sendCopy(this.current.requestId);
    this.current = { ...this.current, copiesSent: this.current.copiesSent + 1 };
    this.commit();
    const { retryIntervalS, maxRetryIntervalS } = this.options;
    const waitS = Math.min(retryIntervalS * 2 ** Math.min(this.current.copiesSent - 1, 20), maxRetryIntervalS);
    this.timer = this.scheduler.schedule(waitS * 1000, () => this.sendAndArm());
  }

  private commit(): void {
    this.save(this.current);
    this.options.onChange(this.status);
  }
}
