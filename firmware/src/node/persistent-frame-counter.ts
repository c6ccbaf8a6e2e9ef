// A frame counter that survives restarts: it reserves a block of counters durably before handing
// any of them out, so a crash skips the rest of the block instead of ever repeating a nonce. The
// reservation is also mirrored in a small file beside the identity, so a node database deleted
// (or restored from an old backup) cannot send the counter back to numbers already used.

import { readFileSync } from 'node:fs';
import type { FrameCounter } from '@unibos/mesh-protocol';
import { writeFileDurably } from './durable-file.ts';
import type { Db } from './node-db.ts';

const KEY = 'frame_counter_reserved';

export class PersistentFrameCounter implements FrameCounter {
  private value: number;
  private reserved: number;
  private readonly save: (v: number) => void;
  private readonly blockSize: number;

  constructor(db: Db, options: { blockSize?: number; mirrorPath?: string } = {}) {
    const blockSize = options.blockSize ?? 1000;
    const row = db.prepare('SELECT value FROM kv WHERE key = ?').get(KEY) as { value: string } | undefined;
    // Everything up to the last reservation may have been used before the restart.
    this.value = Math.max(row ? Number(row.value) : 0, options.mirrorPath ? readMirror(options.mirrorPath) : 0);
    this.reserved = this.value;
    const upsert = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.save = (v) => {
      upsert.run(KEY, String(v));
      if (options.mirrorPath) writeFileDurably(options.mirrorPath, `${v}\n`);
    };
    this.blockSize = blockSize;
  }

  next(): number {
    if (this.value >= 0xffffffff) throw new RangeError('frame counter exhausted: rotate the channel key');
    if (this.value >= this.reserved) {
      // Saved first: a reservation that failed to reach the disk (a full SD card) must not hand
      // out counters a restart would hand out again. The caller gets the error; the next call tries again.
      const reserved = Math.min(this.value + this.blockSize, 0xffffffff);
      this.save(reserved);
      this.reserved = reserved;
    }
    return ++this.value;
  }
}

function readMirror(path: string): number {
  try {
    const v = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(v) && v > 0 ? v : 0;
  } catch {
    return 0;
  }
}
