// A configured module as `unibos status` and GET /status show it.

export interface ModuleStatus {
  name: string;
  version: string | null;
  /**
   * loaded; failed (never loaded, or its thread was ended: stuck, out of memory, exited; reason says
   * why); unloaded (it threw, was contained and stopped); stopped (node shutting down).
   */
  state: 'loaded' | 'failed' | 'unloaded' | 'stopped';
  /** Why it is not loaded; while loaded, what its handler says of itself (status()), if anything. */
  reason: string | null;
  /** Calls its manifest does not allow. */
  refused: number;
  /** Calls the node could not do (bad arguments, storage). */
  failed: number;
  /** Throws from its handler (the first one unloads it), or its thread exiting by itself. */
  errors: number;
  /** Times the node ended its thread: stuck (no answer to the watchdog) or out of memory. It is not restarted. */
  ended: number;
}
