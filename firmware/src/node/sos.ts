// The SOS a user raised and how far it has got: sent, taken by a gateway (durably queued for the
// hub), at the hub, acknowledged by an admin, resolved (mesh-protocol's sos-stage.ts). Copies are
// resent (each a new frame with the same request id) at growing intervals until a gateway has
// taken it, and at once when a gateway is heard announcing itself. Taken by a gateway, the SOS may
// still sit there (its hub link down, or it lost power with the only copy on its card): until the
// hub's own stage comes back, a few more copies go, after `maxRetryIntervalS` and doubling waits
// (10, 20, 40 ... minutes: MAX_HUB_WAIT_COPIES in about 10 hours), and at once when another
// gateway is heard, so one that can reach the hub takes it (the hub keeps one SOS per request
// id). From `hub` on the node only listens for later stages. Stages only move forward. "I am safe" follows the same discipline:
// resent until the hub's `resolved` comes back, or given up (with the reason) after a day or
// MAX_SAFE_COPIES copies. The state is kept in the node database, so a reboot mid-emergency
// carries on where it was.

import { randomInt } from 'node:crypto';
import { SOS_STAGES, sosStageAdvances, sosStageRank, type Scheduler, type SosStage, type SosStageReport, type TimerHandle } from '@unibos/mesh-protocol';
import type { Db } from './node-db.ts';

/**
 * "I am safe" stops being resent after this long of trying without an answer from the hub. Counted
 * on the scheduler's steady clock while the node runs, not on the wall clock: a Pi without a
 * real-time clock jumps days ahead when GPS or a network first sets its time.
 */
export const SAFE_GIVE_UP_MS = 24 * 3600_000;
/** ... or after this many copies, whichever comes first (short configured waits would reach it first). */
export const MAX_SAFE_COPIES = 200;
/** A copy prompted by hearing a gateway goes at most this soon after the previous copy. */
export const NUDGE_MIN_INTERVAL_MS = 5_000;
/**
 * Copies of an SOS a gateway took while the hub's stage does not come back: enough to reach another
 * gateway over hours, few enough that a hub down for days costs each SOS node a handful of frames.
 */
export const MAX_HUB_WAIT_COPIES = 6;

/** "I am safe": none said; waiting for the hub's `resolved` (copies go out); confirmed by it; given up. */
export type SafeState = 'none' | 'waiting' | 'confirmed' | 'gave-up';

export interface SosStatus {
  /** The furthest stage reached; 'none' before the first SOS. */
  stage: SosStage | 'none';
  /** The person said they are safe (the node's own ending; the hub may still report `resolved`). */
  cancelled: boolean;
  /** Copies are still going out: no gateway has taken the SOS yet. (Taken, a few slow ones may follow: hubWaitCopies.) */
  resending: boolean;
  /** Copies sent after a gateway took the SOS, while the hub's stage had not come back (at most MAX_HUB_WAIT_COPIES). */
  hubWaitCopies?: number;
  requestId: number;
  startedMs: number;
  /** Copies that went on air (a copy queued while the radio is down is not sent). */
  copiesSent: number;
  /** Copies put on the outbox, whether or not they went on air yet (the newest replaces one still queued). */
  copiesQueued?: number;
  /** When each stage was reached (ms since the epoch), as far as the node knows. */
  stageTimes: Partial<Record<SosStage, number>>;
  /** Who acknowledged it (an admin's name or email, short). */
  acknowledgedBy?: string;
  resolvedBy?: string;
  /** The node whose answer brought the latest stage (a gateway, relaying for the hub). */
  answeredBy?: number;
  cancelledMs?: number;
  safe: SafeState;
  /** Copies of "I am safe" that went on air. */
  safeCopiesSent: number;
  /** How long "I am safe" has been tried while the node ran (a steady clock: immune to the wall clock being set). */
  safeTriedMs?: number;
  safeGaveUpReason?: string;
  /** "I am safe" given up on by this node, ever (kept across SOS). */
  safeGiveUps: number;
}

export interface SosOptions {
  retryIntervalS: number;
  maxRetryIntervalS: number;
  /** Puts one copy of the SOS on the outbox (the owner reports it with copyOnAir once it went on air). */
  sendCopy: (requestId: number) => void;
  /** Puts one copy of "I am safe" for that SOS on the outbox (reported likewise). */
  sendSafe: (requestId: number) => void;
  onChange: (status: SosStatus) => void;
  /**
   * Storing the status or queueing a copy failed (a full SD card). The SOS goes on from memory:
   * the resends stay scheduled, and a restart resumes from the last status that was stored.
   */
  onError?: (what: string, err: unknown) => void;
  clock?: () => number;
}

const KEY = 'sos';
/** The person is asking for help now: an SOS raised, not ended with "I am safe", not resolved by the hub. */
export function sosOpen(s: SosStatus): boolean {
  return s.stage !== 'none' && s.stage !== 'resolved' && !s.cancelled;
}

const NONE: SosStatus = { stage: 'none', cancelled: false, resending: false, requestId: 0, startedMs: 0, copiesSent: 0, stageTimes: {}, safe: 'none', safeCopiesSent: 0, safeGiveUps: 0 };

export class SosTracker {
  private current: SosStatus;
  // Two timers, not one: a stage of the SOS (which stops the SOS copies) must never stop the
  // "I am safe" copies of the same SOS, which only the hub's `resolved` (or giving up) ends.
  private sosTimer: TimerHandle | undefined;
  private safeTimer: TimerHandle | undefined;
  private readonly save: (s: SosStatus) => void;
  private readonly clock: () => number;
  private lastCopyMs = -Infinity;
  /** Copies queued (SOS, "I am safe") since the SOS was raised, cancelled or resumed: they space the resends. */
  private queued = 0;
  private safeQueued = 0;
  /** Scheduler time up to which `safeTriedMs` has been counted. */
  private safeCountedFrom = 0;

  constructor(
    db: Db,
    private readonly scheduler: Scheduler,
    private readonly options: SosOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    const row = db.prepare('SELECT value FROM kv WHERE key = ?').get(KEY) as { value: string } | undefined;
    this.current = row ? fromStored(JSON.parse(row.value) as Record<string, unknown>) : NONE;
    const upsert = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.save = (s) => upsert.run(KEY, JSON.stringify(s));
  }

  get status(): SosStatus {
    return { ...this.current, stageTimes: { ...this.current.stageTimes } };
  }

  /** After a restart: an SOS no gateway has taken yet, or an unanswered "I am safe", keeps going. */
  resume(): void {
    this.queued = this.current.copiesQueued ?? this.current.copiesSent;
    this.safeQueued = this.current.safeCopiesSent;
    if (this.current.resending) this.sendAndArm();
    else if (this.waitingForHub()) this.armHubWait();
    else if (this.current.safe === 'waiting') {
      // The time the node was off is not time spent trying.
      this.safeCountedFrom = this.scheduler.now();
      this.sendSafeAndArm();
    }
  }

  /**
   * Gateway `from` was heard announcing itself (it started, or came back in range): whatever is
   * still waiting for one goes again now instead of after the current backoff, not more often than
   * NUDGE_MIN_INTERVAL_MS, and so does an SOS another gateway took that the hub has not confirmed.
   * The scheduled resend stays as it was.
   */
  gatewayHeard(from: number): boolean {
    const c = this.current;
    const elsewhere = this.waitingForHub() && from !== c.answeredBy;
    if (!c.resending && !elsewhere && c.safe !== 'waiting') return false;
    if (this.clock() - this.lastCopyMs < NUDGE_MIN_INTERVAL_MS) return false;
    if (c.resending) this.sendOne();
    else if (elsewhere) this.sendHubWaitCopy();
    else this.sendSafeOne();
    return true;
  }

  /**
   * Taken by a gateway, open, not yet at the hub (the gateway may never get it there), and copies
   * left to send for it. A status stored before stage times (an old "acknowledged") has none.
   */
  private waitingForHub(): boolean {
    const c = this.current;
    return c.stage === 'gateway' && !c.cancelled && c.stageTimes.gateway !== undefined && (c.hubWaitCopies ?? 0) < MAX_HUB_WAIT_COPIES;
  }

  /**
   * The user asks for help. While the SOS is still open, pressing again sends another copy at
   * once (the hub answers a copy with the stage it has reached); after it was resolved or
   * cancelled, a new SOS starts.
   */
  raise(): SosStatus {
    const c = this.current;
    if (c.stage === 'none' || c.stage === 'resolved' || c.cancelled) {
      // A new SOS replaces the old one, and with it any "I am safe" still waiting for the hub.
      this.safeTimer?.cancel();
      const now = this.clock();
      this.current = { ...NONE, stage: 'sent', resending: true, requestId: randomInt(1, 0xffffffff), startedMs: now, stageTimes: { sent: now }, safeGiveUps: c.safeGiveUps };
      this.queued = 0;
      this.sendAndArm();
    } else if (c.resending) {
      this.sendAndArm();
    } else {
      this.sendOne();
    }
    return this.status;
  }

  /**
   * A stage answer to request `replyId` arrived from node `from`. Only a later stage changes
   * anything (stages skipped on the way count as reached); returns whether it did.
   */
  advance(replyId: number, from: number, report: SosStageReport): boolean {
    const c = this.current;
    if (c.stage === 'none' || replyId !== c.requestId || !sosStageAdvances(c.stage, report.stage)) return false;
    const at = report.timeMs > 0 ? report.timeMs : this.clock();
    const stageTimes = { ...c.stageTimes, [report.stage]: at };
    const next: SosStatus = { ...c, stage: report.stage, stageTimes, answeredBy: from };
    if (report.stage === 'acknowledged' && report.by) next.acknowledgedBy = report.by;
    if (report.stage === 'resolved' && report.by) next.resolvedBy = report.by;
    if (report.stage === 'resolved' && c.safe === 'waiting') {
      next.safe = 'confirmed';
      this.safeTimer?.cancel();
    }
    if (sosStageRank(report.stage) >= sosStageRank('gateway')) {
      // Taken by a gateway: it is on disk on its way to the hub, so quick copies would only cost
      // airtime; a slow one goes until the hub's stage comes back (armHubWait). "I am safe" copies
      // (after a cancel) go on until `resolved`.
      next.resending = false;
      this.sosTimer?.cancel();
    }
    this.current = next;
    if (this.waitingForHub()) this.armHubWait();
    this.commit();
    return true;
  }

  /**
   * The user is safe: the SOS copies stop and "I am safe" copies start, until the hub says
   * `resolved`. Returns the request id that was cancelled, if any (none after the SOS was resolved
   * or already cancelled: nothing is open to end).
   */
  cancel(): number | undefined {
    const c = this.current;
    if (c.stage === 'none' || c.stage === 'resolved' || c.cancelled) return undefined;
    this.sosTimer?.cancel();
    this.current = { ...c, cancelled: true, resending: false, cancelledMs: this.clock(), safe: 'waiting', safeCopiesSent: 0, safeTriedMs: 0 };
    this.safeQueued = 0;
    this.safeCountedFrom = this.scheduler.now();
    this.sendSafeAndArm();
    return c.requestId;
  }

  stop(): void {
    this.sosTimer?.cancel();
    this.safeTimer?.cancel();
  }

  /** While the SOS waits at a gateway for the hub: the next copy after `maxRetryIntervalS`, doubled for each one sent. */
  private armHubWait(): void {
    this.sosTimer?.cancel();
    const sent = this.current.hubWaitCopies ?? 0;
    this.sosTimer = this.scheduler.schedule(this.options.maxRetryIntervalS * 1000 * 2 ** sent, () => {
      if (!this.waitingForHub()) return;
      this.sendHubWaitCopy();
      if (this.waitingForHub()) this.armHubWait();
    });
  }

  private sendHubWaitCopy(): void {
    this.current = { ...this.current, hubWaitCopies: (this.current.hubWaitCopies ?? 0) + 1 };
    this.sendOne();
  }

  private sendAndArm(): void {
    this.sosTimer?.cancel();
    // Armed before sending: whatever happens to this copy, the next one is already due.
    this.sosTimer = this.scheduler.schedule(this.waitMs(this.queued + 1), () => this.sendAndArm());
    this.sendOne();
  }

  private sendOne(): void {
    if (!this.attempt('outbox (an SOS copy)', () => this.options.sendCopy(this.current.requestId))) return;
    this.lastCopyMs = this.clock();
    this.queued++;
    this.current = { ...this.current, copiesQueued: this.queued };
    this.commit();
  }

  /**
   * A copy of SOS `requestId` (or of its "I am safe") went on air: only now is it counted as sent.
   * Queued copies do not count: with the radio down (a hung or unplugged modem) none goes out.
   */
  copyOnAir(requestId: number, kind: 'sos' | 'safe'): void {
    const c = this.current;
    if (c.stage === 'none' || requestId !== c.requestId) return;
    this.current = kind === 'sos' ? { ...c, copiesSent: c.copiesSent + 1 } : { ...c, safeCopiesSent: c.safeCopiesSent + 1 };
    this.commit();
  }

  private sendSafeAndArm(): void {
    this.safeTimer?.cancel();
    const now = this.scheduler.now();
    // A status stored before safeTriedMs existed: the wall clock is all there is to go by.
    const tried = (this.current.safeTriedMs ?? Math.max(0, this.clock() - (this.current.cancelledMs ?? 0))) + Math.max(0, now - this.safeCountedFrom);
    this.safeCountedFrom = now;
    this.current = { ...this.current, safeTriedMs: tried };
    // Kept as it grows, so a restart goes on counting from here (a failure is reported, never thrown).
    this.attempt('SOS state', () => this.save(this.current));
    const c = this.current;
    const giveUp =
      tried >= SAFE_GIVE_UP_MS
        ? `no answer from the hub in ${SAFE_GIVE_UP_MS / 3600_000} h`
        : c.safeCopiesSent >= MAX_SAFE_COPIES
          ? `no answer from the hub after ${MAX_SAFE_COPIES} copies`
          : undefined;
    if (giveUp) {
      this.current = { ...c, safe: 'gave-up', safeGaveUpReason: giveUp, safeGiveUps: c.safeGiveUps + 1 };
      this.commit();
      return;
    }
    this.safeTimer = this.scheduler.schedule(this.waitMs(this.safeQueued + 1), () => this.sendSafeAndArm());
    this.sendSafeOne();
  }

  private sendSafeOne(): void {
    if (!this.attempt('outbox (an "I am safe" copy)', () => this.options.sendSafe(this.current.requestId))) return;
    this.lastCopyMs = this.clock();
    this.safeQueued++;
  }

  /** The wait after the `copies`-th copy: the first interval, doubling up to the maximum. */
  private waitMs(copies: number): number {
    const { retryIntervalS, maxRetryIntervalS } = this.options;
    return Math.min(retryIntervalS * 2 ** Math.min(Math.max(copies - 1, 0), 20), maxRetryIntervalS) * 1000;
  }

  private commit(): void {
    // A full SD card must not end an emergency: the status lives on in memory and is stored again
    // with the next change.
    this.attempt('SOS state', () => this.save(this.current));
    this.options.onChange(this.status);
  }

  /** Runs `fn`; a failure is reported, never thrown out of a resend timer or a restart. */
  private attempt(what: string, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (err) {
      this.options.onError?.(what, err);
      return false;
    }
  }
}

/** A stored status, including one written before stages existed (phase none|pending|acknowledged|cancelled). */
function fromStored(v: Record<string, unknown>): SosStatus {
  if (typeof v.stage === 'string' && (v.stage === 'none' || (SOS_STAGES as readonly string[]).includes(v.stage))) return { ...NONE, ...(v as Partial<SosStatus>) };
  const phase = v.phase;
  if (phase !== 'pending' && phase !== 'acknowledged' && phase !== 'cancelled') return NONE;
  const requestId = typeof v.requestId === 'number' ? v.requestId : 0;
  const startedMs = typeof v.startedMs === 'number' ? v.startedMs : 0;
  const copiesSent = typeof v.copiesSent === 'number' ? v.copiesSent : 0;
  // An old "acknowledged" only meant a gateway heard it: nothing stronger is claimed now.
  const stage: SosStage = phase === 'acknowledged' ? 'gateway' : 'sent';
  return { ...NONE, stage, cancelled: phase === 'cancelled', resending: phase === 'pending', requestId, startedMs, copiesSent, stageTimes: { sent: startedMs } };
}
