// A frame counter that survives restarts: it reserves a block of counters durably before handing
// any of them out, so a crash skips the rest of the block instead of ever repeating a nonce.

import type { FrameCounter } from '@unibos/mesh-protocol';
import type { Db } from './node-db.ts';

const KEY = 'frame_counter_reserved';

export class PersistentFrameCounter implements FrameCounter {
  private value: number;
  private reserved: number;
  private readonly save: (v: number) => void;

  constructor(
    db: Db,
    private readonly blockSize = 1000,
  ) {
    const row = db.prepare('SELECT value FROM kv WHERE key = ?').get(KEY) as { value: string } | undefined;
    // Everything up to the last reservation may have been used before the restart.
    this.value = row ? Number(row.value) : 0;
    this.reserved = this.value;
    const upsert = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.save = (v) => upsert.run(KEY, String(v));
  }

  next(): number {
    if (this.value >= 0xffffffff) throw new RangeError('frame counter exhausted: rotate the channel key');
    if (this.value >= this.reserved) {
      this.reserved = Math.min(this.value + this.blockSize, 0xffffffff);
      this.save(this.reserved);
    }
    return ++this.value;
  }
}
