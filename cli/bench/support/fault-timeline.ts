// When the soak bench's faults happened: each gateway death (SIGKILL until the new process is
// connected to the hub again) and each hub outage (SIGTERM until the gateway is connected again),
// so an SOS can be classed by what it went through.

export type FaultKind = 'gateway dead' | 'hub down';

export interface FaultWindow {
  kind: FaultKind;
  startMs: number;
  /** Unset while the fault lasts. */
  endMs?: number;
}

export class FaultTimeline {
  readonly windows: FaultWindow[] = [];

  begin(kind: FaultKind, atMs = Date.now()): FaultWindow {
    const w: FaultWindow = { kind, startMs: atMs };
    this.windows.push(w);
    return w;
  }

  end(w: FaultWindow, atMs = Date.now()): void {
    w.endMs = atMs;
  }

  /** The faults in effect at a moment. */
  at(ms: number): FaultKind[] {
    return this.windows.filter((w) => w.startMs <= ms && (w.endMs === undefined || ms < w.endMs)).map((w) => w.kind);
  }

  /** Did any fault overlap [fromMs, toMs]? */
  touches(fromMs: number, toMs: number): boolean {
    return this.windows.some((w) => w.startMs <= toMs && (w.endMs === undefined || w.endMs >= fromMs));
  }
}
