// Keeps trying to open a piece of hardware (radio, GPS, GPIO board) that is missing or failing,
// with growing pauses, and remembers why it is not working for `unibos status`.

import type { Logger } from 'pino';
import type { Scheduler } from '@unibos/mesh-protocol';

export type Part = 'radio' | 'gps' | 'gpio';

const PART_RETRY_MIN_MS = 2_000;
const PART_RETRY_MAX_MS = 60_000;

export class PartKeeper {
  private readonly errors = new Map<Part, string>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly log: Logger,
    private readonly stopped: () => boolean,
  ) {}

  /** Why `part` is not working, or null. */
  error(part: Part): string | null {
    return this.errors.get(part) ?? null;
  }

  /** Opens `part`; on failure says why and tries again later, until it opens or the node stops. */
  async keepTrying(part: Part, open: () => Promise<void>, waitMs = PART_RETRY_MIN_MS): Promise<void> {
    try {
      await open();
      if (this.errors.delete(part)) this.log.info(`${part} available`);
    } catch (err) {
      if (this.stopped()) return;
      const message = (err as Error).message;
      this.errors.set(part, message);
      this.log.error({ code: (err as { code?: string }).code, retryInS: waitMs / 1000 }, `${part} unavailable: ${message}`);
      this.scheduler.schedule(waitMs, () => void this.keepTrying(part, open, Math.min(waitMs * 2, PART_RETRY_MAX_MS)));
    }
  }
}
