// The duty cycle's airtime on disk, so a node that restarts (a watchdog, a crash, a reboot) counts
// what it spent in the last hour instead of starting a new budget: EU868's 10 % is per rolling
// hour, not per run. Checked every few seconds and saved when the node transmitted since (one
// write per interval at most: an SD card wears), and on a clean stop; a crash loses at most the
// last interval's airtime. Aged at the next start by the system's uptime when the machine has not
// rebooted since (a Pi has no RTC: its wall clock may step hours forward when NTP first answers),
// else by the wall clock, a clock that went back counting as no time passed: airtime counts as
// recent, never as old. Airtime saved under another region is not counted (its rules differ).

import { readFileSync } from 'node:fs';
import { uptime } from 'node:os';
import type { Scheduler, TimerHandle } from '@unibos/mesh-protocol';
import type { Logger } from 'pino';
import type { Db } from './node-db.ts';

const KEY = 'duty_cycle_airtime';
/** How often the router's airtime is looked at and, if it grew, saved. */
export const AIRTIME_SAVE_INTERVAL_MS = 5_000;
/** More entries than a window has buckets (61) mean the row is not ours. */
const MAX_ENTRIES = 64;

export type AirtimeSpent = Array<{ ageMs: number; usedMs: number }>;

export interface AirtimeSource {
  /** Airtime spent since the router started, ms (grows with every transmission). */
  totalMs(): number;
  spent(): AirtimeSpent;
}

/** This boot of the machine, and how long it has been up (steady: no clock step moves it). */
export interface BootClock {
  id: string;
  uptimeMs: number;
}

/** Linux's id of this boot and the system's uptime; undefined elsewhere. */
export function systemBootClock(): BootClock | undefined {
  try {
    return { id: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), uptimeMs: uptime() * 1000 };
  } catch {
    return undefined;
  }
}

export interface AirtimeStoreOptions {
  scheduler: Scheduler;
  clock: () => number;
  /** The region the router counts airtime for: saved airtime of another region is not restored. */
  region: string;
  boot?: () => BootClock | undefined;
  log: Pick<Logger, 'warn' | 'info' | 'debug'>;
  onError: (err: unknown) => void;
  intervalMs?: number;
}

export class AirtimeStore {
  private readonly read;
  private readonly write;
  private source: AirtimeSource | undefined;
  private savedTotal = 0;
  private timer: TimerHandle | undefined;

  constructor(db: Db, private readonly options: AirtimeStoreOptions) {
    this.read = db.prepare('SELECT value FROM kv WHERE key = ?');
    this.write = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  }

  /** What the last run spent, aged to now; empty when nothing was saved or the row does not parse (logged). */
  load(): AirtimeSpent {
    let row: { value: unknown } | undefined;
    try {
      row = this.read.get(KEY) as { value: unknown } | undefined;
    } catch (err) {
      this.options.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'saved airtime unreadable: the duty cycle starts empty');
      return [];
    }
    if (row === undefined) return [];
    const parsed = parse(row.value);
    if (!parsed) {
      this.options.log.warn('saved airtime does not parse: the duty cycle starts empty');
      return [];
    }
    if (parsed.region !== undefined && parsed.region !== this.options.region) {
      this.options.log.info({ savedFor: parsed.region, region: this.options.region }, 'saved airtime was counted for another region: the duty cycle starts empty');
      return [];
    }
    const boot = (this.options.boot ?? systemBootClock)();
    const sameBoot = boot !== undefined && parsed.bootId === boot.id && parsed.uptimeMs !== undefined;
    const elapsed = Math.max(0, sameBoot ? boot.uptimeMs - parsed.uptimeMs! : this.options.clock() - parsed.savedAtMs);
    const spent = parsed.spent.map((e) => ({ ageMs: e.ageMs + elapsed, usedMs: e.usedMs }));
    const recentS = spent.filter((e) => e.ageMs < 3_600_000).reduce((n, e) => n + e.usedMs, 0) / 1000;
    if (recentS > 0) this.options.log.info({ airtimeS: Math.round(recentS), agedBy: sameBoot ? 'uptime' : 'clock' }, 'airtime from before the restart still counts against the duty cycle');
    return spent;
  }

  /** Starts watching the router's airtime. */
  attach(source: AirtimeSource): void {
    this.source = source;
    this.savedTotal = source.totalMs();
    const tick = (): void => {
      this.save();
      this.timer = this.options.scheduler.schedule(this.options.intervalMs ?? AIRTIME_SAVE_INTERVAL_MS, tick);
    };
    this.timer = this.options.scheduler.schedule(this.options.intervalMs ?? AIRTIME_SAVE_INTERVAL_MS, tick);
  }

  /** Saves now if the node transmitted since the last save (a clean stop). */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.save();
  }

  private save(): void {
    if (!this.source) return;
    const total = this.source.totalMs();
    if (total === this.savedTotal) return;
    try {
      const boot = (this.options.boot ?? systemBootClock)();
      this.write.run(KEY, JSON.stringify({ savedAtMs: this.options.clock(), region: this.options.region, ...(boot ? { bootId: boot.id, uptimeMs: boot.uptimeMs } : {}), spent: this.source.spent() }));
      this.savedTotal = total;
      this.options.log.debug({ totalMs: total }, 'airtime saved');
    } catch (err) {
      // Unsaved: the next look (or the stop) tries again.
      this.options.onError(err);
    }
  }
}

interface Saved {
  savedAtMs: number;
  region?: string;
  bootId?: string;
  uptimeMs?: number;
  spent: AirtimeSpent;
}

function parse(value: unknown): Saved | undefined {
  if (typeof value !== 'string') return undefined;
  let o: unknown;
  try {
    o = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const { savedAtMs, region, bootId, uptimeMs, spent } = o as Record<string, unknown>;
  if (typeof savedAtMs !== 'number' || !Number.isFinite(savedAtMs) || !Array.isArray(spent) || spent.length > MAX_ENTRIES) return undefined;
  if ((region !== undefined && typeof region !== 'string') || (bootId !== undefined && typeof bootId !== 'string') || (uptimeMs !== undefined && !(typeof uptimeMs === 'number' && Number.isFinite(uptimeMs)))) return undefined;
  const ok = spent.every((e) => typeof e === 'object' && e !== null && typeof e.ageMs === 'number' && typeof e.usedMs === 'number' && Number.isFinite(e.ageMs) && Number.isFinite(e.usedMs) && e.ageMs >= 0 && e.usedMs >= 0);
  return ok ? { savedAtMs, spent: spent as AirtimeSpent, ...(typeof region === 'string' ? { region } : {}), ...(typeof bootId === 'string' ? { bootId } : {}), ...(typeof uptimeMs === 'number' ? { uptimeMs } : {}) } : undefined;
}
