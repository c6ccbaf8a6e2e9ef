// What the switch commander knows of devices' switches, in the gateway's SQLite database so a
// restart does not forget it: which family and device name a sensor id stands for (what a command
// needs, learnt from the device's readings) and each switch's last reported state (what a TOGGLE
// must change). Without it, every switch command after a restart was refused until the device
// happened to report again. Bounded: a device inventing names cannot grow it without end.

import type Database from 'better-sqlite3';

/** Devices and switch states remembered, each: a gateway's devices have tens. */
export const MAX_SWITCH_MEMORY = 4096;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS switch_memory (
    kind TEXT NOT NULL CHECK (kind IN ('device', 'state')),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
  );
`;

export interface RememberedDevice {
  /** The family profile's name (tasmota, shelly, ...). */
  readonly profile: string;
  /** The device level of the family's topics. */
  readonly device: string;
}

/**
 * One kind of entry, mirrored in memory in least-recently-reported order. A report that changes
 * nothing is written only once the entry has aged half the bound, so a device reporting every few
 * seconds costs no write each time and is still never the one forgotten.
 */
class Remembered {
  private readonly entries = new Map<string, { value: string; seq: number }>();
  private readonly upsert: Database.Statement<[string, string, string, number]>;
  private readonly remove: Database.Statement<[string, string]>;

  constructor(
    db: Database.Database,
    private readonly kind: 'device' | 'state',
    private readonly max: number,
    private readonly clock: { seq: number },
  ) {
    this.upsert = db.prepare('INSERT INTO switch_memory (kind, key, value, seq) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, seq = excluded.seq');
    this.remove = db.prepare('DELETE FROM switch_memory WHERE kind = ? AND key = ?');
    for (const row of db.prepare<[string], { key: string; value: string; seq: number }>('SELECT key, value, seq FROM switch_memory WHERE kind = ? ORDER BY seq').all(kind)) {
      this.entries.set(row.key, { value: row.value, seq: row.seq });
      clock.seq = Math.max(clock.seq, row.seq);
    }
    this.trim();
  }

  get(key: string): string | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: string, value: string): void {
    const old = this.entries.get(key);
    if (old && old.value === value && this.clock.seq - old.seq < this.max / 2) return;
    const seq = ++this.clock.seq;
    this.upsert.run(this.kind, key, value, seq);
    this.entries.delete(key);
    this.entries.set(key, { value, seq });
    this.trim();
  }

  private trim(): void {
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value!;
      this.entries.delete(oldest);
      this.remove.run(this.kind, oldest);
    }
  }
}

export class SwitchMemory {
  private readonly devices: Remembered;
  private readonly states: Remembered;

  constructor(db: Database.Database, readonly max = MAX_SWITCH_MEMORY) {
    db.exec(SCHEMA);
    const clock = { seq: 0 };
    this.devices = new Remembered(db, 'device', max, clock);
    this.states = new Remembered(db, 'state', max, clock);
  }

  device(sensor: string): RememberedDevice | undefined {
    const v = this.devices.get(sensor);
    if (v === undefined) return undefined;
    const parsed = JSON.parse(v) as Partial<RememberedDevice>;
    return typeof parsed.profile === 'string' && typeof parsed.device === 'string' ? { profile: parsed.profile, device: parsed.device } : undefined;
  }

  rememberDevice(sensor: string, d: RememberedDevice): void {
    this.devices.set(sensor, JSON.stringify({ profile: d.profile, device: d.device }));
  }

  /** The last reported state of a switch (`sensor/metric`): 1 on, 0 off. */
  state(key: string): 0 | 1 | undefined {
    const v = this.states.get(key);
    return v === '1' ? 1 : v === '0' ? 0 : undefined;
  }

  rememberState(key: string, value: 0 | 1): void {
    this.states.set(key, String(value));
  }
}
