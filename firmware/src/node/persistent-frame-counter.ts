// A frame counter that survives restarts: it reserves a block of counters durably before handing
// any of them out, so a crash skips the rest of the block instead of ever repeating a nonce. The
// reservation is also mirrored in a small file beside the identity, so a node database deleted
// (or restored from an old backup) cannot send the counter back to numbers already used.
//
// The mirror is written in place, into blocks the file already owns, so it still takes a
// reservation when the SD card is full and SQLite refuses every write: a node restarted on a full
// card can still put its SOS on air. Either store holding a reservation is enough; the counter
// starts above the larger of the two.

import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { FrameCounter } from '@unibos/mesh-protocol';
import { writeFileDurably } from './durable-file.ts';
import type { Db } from './node-db.ts';

const KEY = 'frame_counter_reserved';
const MAX_COUNTER = 0xffffffff;

export interface PersistentFrameCounterOptions {
  blockSize?: number;
  mirrorPath?: string;
  /** One of the two stores refused a reservation that the other took (a full SD card): counting goes on. */
  onError?: (err: unknown) => void;
}

export class PersistentFrameCounter implements FrameCounter {
  private value: number;
  private reserved: number;
  private readonly blockSize: number;
  private readonly upsert: { run(key: string, value: string): unknown };
  private readonly mirror: CounterMirror | undefined;

  constructor(db: Db, private readonly options: PersistentFrameCounterOptions = {}) {
    this.blockSize = options.blockSize ?? 1000;
    const row = db.prepare('SELECT value FROM kv WHERE key = ?').get(KEY) as { value: string } | undefined;
    this.mirror = options.mirrorPath ? new CounterMirror(options.mirrorPath) : undefined;
    // Everything up to the last reservation may have been used before the restart.
    this.value = Math.max(row ? Number(row.value) : 0, this.mirror?.value ?? 0);
    this.reserved = this.value;
    this.upsert = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  }

  next(): number {
    if (this.value >= MAX_COUNTER) throw new RangeError('frame counter exhausted: rotate the channel key');
    if (this.value >= this.reserved) {
      // Saved first: a reservation that reached neither store must not hand out counters a
      // restart would hand out again. The caller gets the error; the next call tries again.
      const reserved = Math.min(this.value + this.blockSize, MAX_COUNTER);
      this.save(reserved);
      this.reserved = reserved;
    }
    return ++this.value;
  }

  private save(reserved: number): void {
    const failures: unknown[] = [];
    const attempt = (store: () => void): void => {
      try {
        store();
      } catch (err) {
        failures.push(err);
      }
    };
    const mirror = this.mirror;
    if (mirror) attempt(() => mirror.write(reserved));
    attempt(() => this.upsert.run(KEY, String(reserved)));
    if (failures.length === (mirror ? 2 : 1)) throw failures[failures.length - 1];
    for (const err of failures) this.options.onError?.(err);
  }
}

/**
 * The mirror file: two fixed-width slots, "0000012000 1a2b3c4d\n" (the reservation and a check of
 * it), overwritten in turn so that a write torn by a power cut leaves the other slot whole. An
 * in-place overwrite needs no new block on the card. The file of an older version (the number
 * alone) is read and rewritten in this form.
 */
class CounterMirror {
  private static readonly SLOT = 20;
  value: number;
  /** The slot not holding the larger reservation: the next write goes there. */
  private nextSlot = 0;
  private fixedForm = false;

  constructor(private readonly path: string) {
    this.value = 0;
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch {
      return;
    }
    const first = parseSlot(text.slice(0, CounterMirror.SLOT));
    const second = parseSlot(text.slice(CounterMirror.SLOT));
    if (text.length === 2 * CounterMirror.SLOT && first + second > 0) {
      this.fixedForm = true;
      this.value = Math.max(first, second);
      this.nextSlot = first >= second ? 1 : 0;
      return;
    }
    const old = Number(text.trim());
    this.value = Number.isSafeInteger(old) && old > 0 && old <= MAX_COUNTER ? old : 0;
  }

  write(reserved: number): void {
    if (this.fixedForm && !existsSync(this.path)) this.fixedForm = false; // deleted while we ran
    if (!this.fixedForm) {
      // Made once (the card has room at first start): from then on every write is in place.
      writeFileDurably(this.path, formatSlot(reserved) + formatSlot(reserved));
      this.fixedForm = true;
      this.nextSlot = 0;
    } else {
      const fd = openSync(this.path, 'r+');
      try {
        writeSync(fd, formatSlot(reserved), this.nextSlot * CounterMirror.SLOT, 'latin1');
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.nextSlot = 1 - this.nextSlot;
    }
    this.value = reserved;
  }
}

function check(digits: string): string {
  return createHash('sha256').update(digits).digest('hex').slice(0, 8);
}

function formatSlot(value: number): string {
  const digits = String(value).padStart(10, '0');
  return `${digits} ${check(digits)}\n`;
}

function parseSlot(slot: string): number {
  const m = /^(\d{10}) ([0-9a-f]{8})\n$/.exec(slot);
  const digits = m?.[1] ?? '';
  if (!m || check(digits) !== m[2]) return 0;
  const v = Number(digits);
  return v <= MAX_COUNTER ? v : 0;
}
