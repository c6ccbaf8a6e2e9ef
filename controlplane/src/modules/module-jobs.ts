// A module's scheduled jobs: intervals owned by one loaded module, all cancelled when it unloads.
// A run never overlaps the previous one; a job that throws is reported to the module's
// supervisor (the host marks the module in error), not to the process.

import type { JobHandle, JobOptions } from '@unibos/module-api';

export class ModuleJobs {
  private readonly jobs = new Set<{ cancel(): void }>();
  private stopped = false;

  constructor(private readonly onError: (job: string, err: unknown) => void) {}

  every(name: string, intervalMs: number, run: () => void | Promise<void>, options: JobOptions = {}): JobHandle {
    let interval = Math.max(10, intervalMs);
    let timer: NodeJS.Timeout | undefined;
    let running = false;
    let cancelled = false;
    const arm = (): void => {
      clearTimeout(timer);
      if (cancelled || this.stopped) return;
      timer = setTimeout(fire, interval);
      timer.unref?.();
    };
    const fire = (): void => {
      if (cancelled || this.stopped) return;
      if (running) return arm();
      running = true;
      Promise.resolve()
        .then(run)
        .catch((err: unknown) => this.onError(name, err))
        .finally(() => {
          running = false;
          arm();
        });
    };
    const handle = {
      runNow: () => {
        clearTimeout(timer);
        fire();
      },
      setInterval: (ms: number) => {
        interval = Math.max(10, ms);
        if (!running) arm();
      },
      cancel: () => {
        cancelled = true;
        clearTimeout(timer);
        this.jobs.delete(handle);
      },
    };
    this.jobs.add(handle);
    if (options.immediately) setImmediate(fire);
    else arm();
    return handle;
  }

  stop(): void {
    this.stopped = true;
    for (const j of [...this.jobs]) j.cancel();
  }
}
