// Store-and-forward for the node's own messages: every message is written here (durably) before
// the node says it accepted it, handed to the router a few at a time, and removed only once it
// has gone on air (or been acknowledged, when it asked for an ack). A restart resends what was
// left with the same packet ids, so nodes that already have a message drop the copy.
// When the disk refuses a write (a full SD card), the outbox goes on from memory: an SOS copy is
// held and sent anyway, and a row it could not delete or reschedule is settled in memory, so
// nothing throws out of the router's events and nothing is sent twice while the node runs.
// It is bounded (OUTBOX_MAX_MESSAGES rows): past the bound a text is refused (E_OUTBOX_FULL), an
// alert or SOS message pushes out the oldest text (an SOS message then the oldest alert), and SOS
// messages are never pushed out nor refused. Every message that leaves without being sent is counted
// by reason (`dropped`).

import { decodeData, encodeData, type Data } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import type { Db } from './node-db.ts';

/**
 * Rows kept at most (SOS messages may go past it). A row is at most MAX_DATA_BYTES (222) of payload plus
 * SQLite's few dozen bytes, so the bound also caps the outbox at well under 1 MB on the SD card.
 */
export const OUTBOX_MAX_MESSAGES = 2000;

/**
 * Why a message left the outbox without being sent (or acknowledged):
 * - `evicted`: pushed out by a more urgent message when the outbox was full;
 * - `undecodable`: its stored row no longer decodes (written by another schema);
 * - `router-refused`: the router would not take it;
 * - `gave-up`: nobody acknowledged it after the pump's maximum number of attempts.
 */
export type OutboxDropReason = 'evicted' | 'undecodable' | 'router-refused' | 'gave-up';

export interface OutboxDrop {
  packetId: number;
  to: number;
  priority: OutboxPriority;
  reason: OutboxDropReason;
}

/**
 * SOS traffic (the node's SOS and "I am safe" copies, a gateway's answers to an SOS) never waits
 * behind other alerts, and alerts never wait behind texts. Each has its own lane in the pump.
 */
export type OutboxPriority = 'sos' | 'alert' | 'text';
// Stored in the `priority` column: alert and text keep the numbers they had before SOS had its own lane.
const RANK: Record<OutboxPriority, number> = { sos: -1, alert: 0, text: 1 };
/**
 * What a new message may push out of a full outbox, in order. A text pushes out nothing: it is
 * refused, so its sender learns it now instead of a text already accepted vanishing later. An alert
 * outranks any text; an SOS message any text, then any alert. SOS messages are never pushed out.
 */
const PUSHES_OUT: Record<OutboxPriority, readonly OutboxPriority[]> = { sos: ['text', 'alert'], alert: ['text'], text: [] };

export interface OutboxEntry {
  seq: number;
  packetId: number;
  to: number;
  data: Data;
  wantAck: boolean;
  hopLimit: number | undefined;
  priority: OutboxPriority;
  createdMs: number;
  attempts: number;
  nextAttemptMs: number;
}

export interface NewOutboxEntry {
  packetId: number;
  to: number;
  data: Data;
  wantAck: boolean;
  priority: OutboxPriority;
  createdMs: number;
  hopLimit?: number;
  /** Replaces a queued message with the same key, in its place in the queue (a newer SOS copy). */
  supersedes?: string;
}

/** What add() does when the disk refuses the write: throw (the caller was not accepted), or hold it in memory and send it anyway. */
export type WhenRefused = 'throw' | 'hold';

export interface OutboxOptions {
  /** A write the disk refused (a full SD card); the outbox went on from memory. */
  onWriteError?: (err: unknown) => void;
  /** Rows kept at most; default OUTBOX_MAX_MESSAGES. */
  maxMessages?: number;
  /** A message left the outbox without being sent (already counted in `dropped`). */
  onDrop?: (drop: OutboxDrop) => void;
}

/** A message the disk refused, kept in memory until sent (lost on a restart). */
interface Held extends OutboxEntry {
  supersedes: string | undefined;
}

interface Row {
  seq: number;
  packet_id: number;
  dest: number;
  payload: Buffer;
  want_ack: number;
  hop_limit: number | null;
  priority: number;
  created_ms: number;
  attempts: number;
  next_attempt_ms: number;
}

export class Outbox {
  private readonly insert: (row: Record<string, unknown>, room: { priority: OutboxPriority; gone: string; busy: string }) => OutboxDrop[];
  private readonly dropKey;
  private readonly remove;
  private readonly due;
  private readonly count;
  private readonly defer;
  private readonly setRetry;
  private readonly attemptsOf;
  private readonly keyedRows;
  private readonly maxSeq;
  private readonly oldest;
  private readonly nextDue;
  private readonly onWriteError: (err: unknown) => void;
  private readonly onDrop: (drop: OutboxDrop) => void;
  readonly maxMessages: number;
  private readonly droppedBy: Record<OutboxDropReason, number> = { evicted: 0, undecodable: 0, 'router-refused': 0, 'gave-up': 0 };
  private refusedFullCount = 0;
  // The memory side, used only while the disk refuses writes (empty otherwise).
  private readonly held = new Map<number, Held>();
  /** Rows settled (sent, withdrawn, superseded) whose delete the disk refused. */
  private readonly gone = new Set<number>();
  /** Rows whose next attempt the disk refused to store. */
  private readonly deferred = new Map<number, { attempts: number; nextAttemptMs: number }>();
  private lastHeldSeq = 0;

  constructor(db: Db, options: OutboxOptions = {}) {
    this.onWriteError = options.onWriteError ?? (() => undefined);
    this.onDrop = options.onDrop ?? (() => undefined);
    this.maxMessages = options.maxMessages ?? OUTBOX_MAX_MESSAGES;
    if (!(Number.isInteger(this.maxMessages) && this.maxMessages >= 1)) throw new RangeError(`outbox maxMessages must be a whole number >= 1, got ${this.maxMessages}`);
    const insert = db.prepare(
      `INSERT INTO outbox (seq, packet_id, dest, payload, want_ack, hop_limit, supersedes, priority, created_ms)
       VALUES (@seq, @packetId, @to, @payload, @wantAck, @hopLimit, @supersedes, @priority, @createdMs)`,
    );
    const keyed = db.prepare('SELECT seq FROM outbox WHERE supersedes = ? ORDER BY seq LIMIT 1');
    this.dropKey = db.prepare('DELETE FROM outbox WHERE supersedes = ?');
    this.remove = db.prepare('DELETE FROM outbox WHERE packet_id = ?');
    // `gone` is a JSON array of packet ids: rows settled in memory only, as if deleted.
    const notGone = 'packet_id NOT IN (SELECT value FROM json_each(@gone))';
    this.count = db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE ${notGone}`);
    // The oldest row of one priority that is not in flight (`busy`): the one a more urgent message pushes out.
    const victim = db.prepare(`SELECT packet_id, dest FROM outbox WHERE priority = @priority AND ${notGone} AND packet_id NOT IN (SELECT value FROM json_each(@busy)) ORDER BY seq LIMIT 1`);
    this.insert = db.transaction((row: Record<string, unknown>, room: { priority: OutboxPriority; gone: string; busy: string }): OutboxDrop[] => {
      let seq: number | null = null;
      if (row.supersedes !== null) {
        seq = (keyed.get(row.supersedes) as { seq: number } | undefined)?.seq ?? null;
        this.dropKey.run(row.supersedes);
      }
      const evicted: OutboxDrop[] = [];
      let over = (this.count.get({ gone: room.gone }) as { n: number }).n + this.held.size + 1 - this.maxMessages;
      for (const priority of PUSHES_OUT[room.priority]) {
        while (over > 0) {
          const v = victim.get({ priority: RANK[priority], gone: room.gone, busy: room.busy }) as { packet_id: number; dest: number } | undefined;
          if (!v) break;
          this.remove.run(v.packet_id);
          evicted.push({ packetId: v.packet_id, to: v.dest, priority, reason: 'evicted' });
          over--;
        }
      }
      // The transaction is rolled back: nothing was pushed out for a message that is refused.
      if (over > 0 && room.priority !== 'sos') throw this.full(room.priority);
      insert.run({ ...row, seq });
      return evicted;
    });
    this.due = db.prepare(`SELECT * FROM outbox WHERE priority = @priority AND next_attempt_ms <= @now AND ${notGone} AND dest NOT IN (SELECT value FROM json_each(@busyDest)) ORDER BY seq LIMIT @limit`);
    this.defer = db.prepare('UPDATE outbox SET attempts = attempts + ?, next_attempt_ms = ? WHERE packet_id = ?');
    this.setRetry = db.prepare('UPDATE outbox SET attempts = ?, next_attempt_ms = ? WHERE packet_id = ?');
    this.attemptsOf = db.prepare('SELECT attempts FROM outbox WHERE packet_id = ?');
    this.keyedRows = db.prepare('SELECT seq, packet_id FROM outbox WHERE supersedes = ? ORDER BY seq');
    this.maxSeq = db.prepare('SELECT MAX(seq) AS s FROM outbox');
    this.oldest = db.prepare(`SELECT MIN(created_ms) AS t FROM outbox WHERE ${notGone}`);
    this.nextDue = db.prepare(`SELECT MIN(next_attempt_ms) AS t FROM outbox WHERE next_attempt_ms > @now AND ${notGone}`);
  }

  /**
   * Durably queues a message; returns once it is on disk ('stored'). If the disk refuses, `throw`
   * passes the error on; `hold` keeps the message in memory, sends it all the same and returns
   * 'held' (for an SOS: better on air and lost on a restart than not on air at all).
   */
  add(entry: NewOutboxEntry, whenRefused: WhenRefused = 'throw', inFlight: Iterable<number> = []): 'stored' | 'held' {
    this.catchUp();
    let evicted: OutboxDrop[];
    try {
      evicted = this.insert(
        {
          packetId: entry.packetId,
          to: entry.to,
          payload: Buffer.from(encodeData(entry.data)),
          wantAck: entry.wantAck ? 1 : 0,
          hopLimit: entry.hopLimit ?? null,
          supersedes: entry.supersedes ?? null,
          priority: RANK[entry.priority],
          createdMs: entry.createdMs,
        },
        { priority: entry.priority, gone: this.goneJson(), busy: JSON.stringify([...inFlight]) },
      );
    } catch (err) {
      if (err instanceof FirmwareError && err.code === 'E_OUTBOX_FULL') {
        this.refusedFullCount++;
        throw err;
      }
      if (whenRefused === 'throw') throw err;
      this.hold(entry);
      this.onWriteError(err);
      return 'held';
    }
    if (entry.supersedes !== undefined) this.dropHeld(entry.supersedes);
    for (const d of evicted) this.recordDrop(d);
    return 'stored';
  }

  /**
   * It leaves the outbox unsent, for `reason` (counted in `dropped`): a row that no longer decodes,
   * one the router refused, one given up after too many attempts.
   */
  drop(entry: Pick<OutboxEntry, 'packetId' | 'to' | 'priority'>, reason: OutboxDropReason): boolean {
    if (!this.done(entry.packetId)) return false;
    this.recordDrop({ packetId: entry.packetId, to: entry.to, priority: entry.priority, reason });
    return true;
  }

  /** Messages that left without being sent since the node started, by reason (every reason listed, 0 included). */
  get dropped(): Readonly<Record<OutboxDropReason, number>> {
    return { ...this.droppedBy };
  }

  /**
   * Throws E_OUTBOX_FULL (counted) now if a new text would be refused: for a caller with work to do
   * before add() that must not be wasted (sealing a private message spends a message key).
   */
  checkRoomForText(): void {
    if (this.size < this.maxMessages) return;
    this.refusedFullCount++;
    throw this.full('text');
  }

  /** New messages refused since the node started because the outbox was full (E_OUTBOX_FULL). */
  get refusedFull(): number {
    return this.refusedFullCount;
  }

  /** Messages of one priority whose next attempt is due, oldest first, at most `limit`; none to `exceptTo`. */
  dueAt(nowMs: number, priority: OutboxPriority, limit: number, exceptTo: readonly number[] = []): OutboxEntry[] {
    const rows = this.due.all({ priority: RANK[priority], now: nowMs, gone: this.goneJson(), busyDest: JSON.stringify(exceptTo), limit: limit + this.deferred.size }) as Row[];
    const fromDisk = rows.flatMap((r): OutboxEntry[] => {
      let data: Data;
      try {
        data = decodeData(new Uint8Array(r.payload));
      } catch {
        // A row that no longer decodes (written by a different schema) cannot be sent; drop it
        // rather than block the queue behind it.
        this.drop({ packetId: r.packet_id, to: r.dest, priority }, 'undecodable');
        return [];
      }
      const retry = this.deferred.get(r.packet_id);
      if (retry && retry.nextAttemptMs > nowMs) return [];
      return [
        {
          seq: r.seq,
          packetId: r.packet_id,
          to: r.dest,
          data,
          wantAck: r.want_ack === 1,
          hopLimit: r.hop_limit ?? undefined,
          priority,
          createdMs: r.created_ms,
          attempts: retry?.attempts ?? r.attempts,
          nextAttemptMs: retry?.nextAttemptMs ?? r.next_attempt_ms,
        },
      ];
    });
    const fromMemory = [...this.held.values()].filter((h) => h.priority === priority && h.nextAttemptMs <= nowMs && !exceptTo.includes(h.to)).map(({ supersedes: _, ...e }) => ({ ...e }));
    if (fromMemory.length === 0) return fromDisk.slice(0, limit);
    return [...fromDisk, ...fromMemory].sort((a, b) => a.seq - b.seq).slice(0, limit);
  }

  /** Sent (or acknowledged): it leaves the outbox. */
  done(packetId: number): boolean {
    this.deferred.delete(packetId);
    if (this.held.delete(packetId)) return true;
    return this.write(
      () => this.remove.run(packetId).changes > 0,
      () => {
        const there = this.attemptsOf.get(packetId) !== undefined && !this.gone.has(packetId);
        this.gone.add(packetId);
        return there;
      },
    );
  }

  /** Drops every queued message with this `supersedes` key. */
  withdraw(key: string): number {
    const held = this.dropHeld(key);
    return (
      held +
      this.write(
        () => this.dropKey.run(key).changes,
        () => {
          const rows = (this.keyedRows.all(key) as Array<{ packet_id: number }>).filter((r) => !this.gone.has(r.packet_id));
          for (const r of rows) this.gone.add(r.packet_id);
          return rows.length;
        },
      )
    );
  }

  /** Not delivered this time: try again at `atMs`; `attempted` = it really went on air. */
  retryAt(packetId: number, atMs: number, attempted: boolean): void {
    const held = this.held.get(packetId);
    if (held) {
      held.attempts += attempted ? 1 : 0;
      held.nextAttemptMs = atMs;
      return;
    }
    this.write(
      () => void this.defer.run(attempted ? 1 : 0, atMs, packetId),
      () => {
        const before = this.deferred.get(packetId)?.attempts ?? (this.attemptsOf.get(packetId) as { attempts: number } | undefined)?.attempts ?? 0;
        this.deferred.set(packetId, { attempts: before + (attempted ? 1 : 0), nextAttemptMs: atMs });
      },
    );
  }

  /** When the earliest deferred message after `nowMs` becomes due, if any. */
  nextDueAfter(nowMs: number): number | undefined {
    const onDisk = (this.nextDue.get({ now: nowMs, gone: this.goneJson() }) as { t: number | null }).t ?? Infinity;
    let next = onDisk;
    for (const m of [...this.held.values(), ...this.deferred.values()]) if (m.nextAttemptMs > nowMs && m.nextAttemptMs < next) next = m.nextAttemptMs;
    return Number.isFinite(next) ? next : undefined;
  }

  get size(): number {
    return (this.count.get({ gone: this.goneJson() }) as { n: number }).n + this.held.size;
  }

  get oldestMs(): number | undefined {
    let oldest = (this.oldest.get({ gone: this.goneJson() }) as { t: number | null }).t ?? Infinity;
    for (const h of this.held.values()) oldest = Math.min(oldest, h.createdMs);
    return Number.isFinite(oldest) ? oldest : undefined;
  }

  /** Messages held in memory because the disk refused them (sent from there; lost on a restart). */
  get heldInMemory(): number {
    return this.held.size;
  }

  private recordDrop(d: OutboxDrop): void {
    this.deferred.delete(d.packetId);
    this.droppedBy[d.reason]++;
    this.onDrop(d);
  }

  private full(priority: OutboxPriority): FirmwareError {
    const why = priority === 'text' ? 'a new text waits until some have gone' : 'it holds no text this alert could take the place of';
    return new FirmwareError('E_OUTBOX_FULL', `the outbox is full: ${this.maxMessages} messages are waiting to be sent (the radio may be down or their nodes away); ${why}. An SOS still goes.`);
  }

  /** A message the disk refused: in memory, in the place of the copy it supersedes, if any. */
  private hold(entry: NewOutboxEntry): void {
    let seq: number | undefined;
    if (entry.supersedes !== undefined) {
      for (const h of this.held.values()) if (h.supersedes === entry.supersedes) seq ??= h.seq;
      this.dropHeld(entry.supersedes);
      // The copies on disk it replaces could not be deleted either: they are skipped from now on.
      for (const r of this.keyedRows.all(entry.supersedes) as Array<{ seq: number; packet_id: number }>) {
        seq ??= r.seq;
        this.gone.add(r.packet_id);
      }
    }
    if (seq === undefined) {
      seq = Math.max(this.lastHeldSeq, (this.maxSeq.get() as { s: number | null }).s ?? 0) + 1;
      this.lastHeldSeq = seq;
    }
    const { supersedes, hopLimit, ...rest } = entry;
    this.held.set(entry.packetId, { ...rest, hopLimit, seq, attempts: 0, nextAttemptMs: 0, supersedes });
  }

  private dropHeld(key: string): number {
    let n = 0;
    for (const [id, h] of this.held) {
      if (h.supersedes !== key) continue;
      this.held.delete(id);
      n++;
    }
    return n;
  }

  /** A write to the disk; if it refuses, the change is made in memory (`instead`) and reported. */
  private write<T>(toDisk: () => T, instead: () => T): T {
    this.catchUp();
    try {
      return toDisk();
    } catch (err) {
      this.onWriteError(err);
      return instead();
    }
  }

  /** Once the disk takes writes again, the changes made in memory meanwhile go to it. */
  private catchUp(): void {
    if (this.gone.size === 0 && this.deferred.size === 0) return;
    try {
      for (const id of [...this.gone]) {
        this.remove.run(id);
        this.gone.delete(id);
      }
      for (const [id, r] of [...this.deferred]) {
        this.setRetry.run(r.attempts, r.nextAttemptMs, id);
        this.deferred.delete(id);
      }
    } catch {
      // Still refused: already reported when it was first refused.
    }
  }

  private goneJson(): string {
    return this.gone.size === 0 ? '[]' : JSON.stringify([...this.gone]);
  }
}
