// Sensor readings are kept for the hub config's sensorRetentionDays (90 by default), so a busy
// sensor does not fill the hub's disk over months. The oldest are deleted in batches of a bounded
// size, yielding to the event loop between batches: ingest (synchronous, before the broker's PUBACK)
// never waits for more than one batch. Runs shortly after start and then every 10 minutes.

/** Rows one batch deletes: a few milliseconds of SQLite work, then ingest gets its turn. */
export const RETENTION_BATCH_ROWS = 1000;
const INTERVAL_MS = 10 * 60_000;
const FIRST_RUN_MS = 30_000;

export interface SensorRetentionOptions {
  /** Deletes at most `limit` readings dated before `cutoffMs`, the oldest first; returns how many (SensorHistory.prune). */
  store: { pruneReadings(cutoffMs: number, limit: number): number };
  retentionMs: number;
  now: () => number;
  onError: (err: unknown) => void;
  onPruned?: (deleted: number, batches: number) => void;
  batchRows?: number;
}

export class SensorRetention {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<{ deleted: number; batches: number }> | null = null;
  private stopped = false;

  constructor(private readonly o: SensorRetentionOptions) {}

  start(): void {
    const run = (): void => void this.runOnce().catch(this.o.onError);
    this.timers.push(setTimeout(run, FIRST_RUN_MS).unref(), setInterval(run, INTERVAL_MS).unref());
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.splice(0)) clearTimeout(t);
  }

  /** Deletes every reading older than the retention, batch by batch; one run at a time. */
  runOnce(): Promise<{ deleted: number; batches: number }> {
    this.running ??= this.prune().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async prune(): Promise<{ deleted: number; batches: number }> {
    const batchRows = this.o.batchRows ?? RETENTION_BATCH_ROWS;
    const cutoff = this.o.now() - this.o.retentionMs;
    let deleted = 0;
    let batches = 0;
    while (!this.stopped) {
      const n = this.o.store.pruneReadings(cutoff, batchRows);
      batches++;
      deleted += n;
      if (n < batchRows) break;
      // Ingest and every other callback waiting get their turn before the next batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (deleted > 0) this.o.onPruned?.(deleted, batches);
    return { deleted, batches };
  }
}
