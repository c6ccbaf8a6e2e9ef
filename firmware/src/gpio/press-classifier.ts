// Turns the raw level of a mechanical button into at most one 'short' or 'long' per press:
// debounced, timed on the injected scheduler so tests and the simulator replay it exactly.

import type { Scheduler, TimerHandle } from '@unibos/mesh-protocol';
import type { ButtonPress } from './device-panel.ts';

export interface PressClassifierOptions {
  scheduler: Scheduler;
  /** A level must stay unchanged this long to count; contact bounce is shorter. */
  debounceMs: number;
  /** Held this long (from the edge that started the press) the press is 'long', reported at that moment. */
  holdMs: number;
}

export class PressClassifier {
  private readonly scheduler: Scheduler;
  private readonly debounceMs: number;
  private readonly holdMs: number;

  private raw = false;
  private stable = false;
  private lastEdgeMs = 0;
  private settleTimer: TimerHandle | undefined;
  private holdTimer: TimerHandle | undefined;
  private longReported = false;
  /** The hold time ran out while the line was bouncing; the next settle decides. */
  private holdDue = false;

  constructor(
    options: PressClassifierOptions,
    private readonly onPress: (press: ButtonPress) => void,
  ) {
    const { debounceMs, holdMs } = options;
    if (!Number.isFinite(debounceMs) || debounceMs < 0) {
      throw new RangeError(`debounceMs must be a finite number >= 0, got ${debounceMs}`);
    }
    // A hold shorter than the debounce window could end before the press is even accepted.
    if (!Number.isFinite(holdMs) || holdMs <= debounceMs) {
      throw new RangeError(`holdMs must be finite and greater than debounceMs (${debounceMs}), got ${holdMs}`);
    }
    this.scheduler = options.scheduler;
    this.debounceMs = debounceMs;
    this.holdMs = holdMs;
  }

  /** Feeds the current raw level (true = pressed); repeated levels are ignored. */
  input(pressed: boolean): void {
    if (pressed === this.raw) return;
    this.raw = pressed;
    this.lastEdgeMs = this.scheduler.now();
    this.settleTimer?.cancel();
    this.settleTimer = this.scheduler.schedule(this.debounceMs, () => this.settle());
  }

  /** Forgets any press in progress and cancels its timers (the line reads released afterwards). */
  reset(): void {
    this.settleTimer?.cancel();
    this.holdTimer?.cancel();
    this.settleTimer = undefined;
    this.holdTimer = undefined;
    this.raw = false;
    this.stable = false;
    this.longReported = false;
    this.holdDue = false;
  }

  private settle(): void {
    this.settleTimer = undefined;
    if (this.raw === this.stable) {
      // A glitch shorter than the debounce window: the press goes on as if it never happened.
      if (this.stable && this.holdDue) this.reportLong();
      return;
    }
    this.stable = this.raw;
    if (this.stable) {
      this.longReported = false;
      this.holdDue = false;
      const dueInMs = this.lastEdgeMs + this.holdMs - this.scheduler.now();
      this.holdTimer = this.scheduler.schedule(dueInMs, () => this.holdReached());
      return;
    }
    this.holdTimer?.cancel();
    this.holdTimer = undefined;
    this.holdDue = false;
    if (!this.longReported) this.onPress('short');
  }

  private holdReached(): void {
    this.holdTimer = undefined;
    // The line is bouncing: a release in progress must not turn into SOS, so wait for it to settle.
    if (this.settleTimer !== undefined) {
      this.holdDue = true;
      return;
    }
    this.reportLong();
  }

  private reportLong(): void {
    this.holdDue = false;
    this.longReported = true;
    this.onPress('long');
  }
}
