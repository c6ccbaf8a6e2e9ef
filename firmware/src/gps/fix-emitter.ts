// The outward face every GpsSource shares: the latest fix, the counters and the listeners. Sources
// extend it and keep only their own input handling; the real ones extend LinkedFixEmitter.

import type { GpsFix, GpsStats } from './gps-source.ts';

export class FixEmitter {
  protected readonly counters: GpsStats = { accepted: 0, dropped: 0, reconnects: 0 };
  private readonly fixListeners: Array<(fix: GpsFix) => void> = [];
  private last: GpsFix | undefined;

  get lastFix(): GpsFix | undefined {
    return this.last;
  }

  get stats(): GpsStats {
    // A copy, so a caller holding it sees a snapshot rather than counters moving underneath.
    return { ...this.counters };
  }

  onFix(listener: (fix: GpsFix) => void): void {
    this.fixListeners.push(listener);
  }

  protected emitFix(fix: GpsFix): void {
    this.last = fix;
    for (const listener of this.fixListeners) listener(fix);
  }
}

/** For sources behind a link that can drop and come back: gpsd's socket, a serial port. */
export class LinkedFixEmitter extends FixEmitter {
  private readonly linkListeners: Array<(up: boolean) => void> = [];

  /** Called with true when the link to gpsd or the port is up (again) and false when it is lost (not on stop()). */
  onLinkChange(listener: (up: boolean) => void): void {
    this.linkListeners.push(listener);
  }

  protected emitLink(up: boolean): void {
    for (const listener of this.linkListeners) listener(up);
    // Without the link the position is unknown; say so rather than let a stale fix stand.
    if (!up && this.lastFix && this.lastFix.mode !== 'none') this.emitFix({ mode: 'none', latitude: Number.NaN, longitude: Number.NaN });
  }
}
