// Simulated time: the Scheduler the routers run on inside the simulator. Time jumps from event
// to event, so an hour of mesh traffic runs in milliseconds and every run replays exactly.

import type { Scheduler, TimerHandle } from '../core/scheduler.ts';
import { EventQueue } from './event-queue.ts';

/** Guard for runUntilIdle: a periodic timer would otherwise keep it running forever. */
export const DEFAULT_MAX_EVENTS = 10_000_000;

export class SimScheduler implements Scheduler {
  private time: number;
  private readonly queue = new EventQueue<() => void>();
  private running = false;

  constructor(startMs = 0) {
    if (!Number.isFinite(startMs)) throw new RangeError(`start time must be finite, got ${startMs}`);
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  /** Runs `fn` after `delayMs` of simulated time; a negative delay means "as soon as possible", like setTimeout. */
  schedule(delayMs: number, fn: () => void): TimerHandle {
    if (Number.isNaN(delayMs)) throw new RangeError('delay must be a number of ms, got NaN');
    return this.queue.push(this.time + Math.max(0, delayMs), fn);
  }

  /** Events scheduled and not yet run or cancelled. */
  pending(): number {
    return this.queue.size;
  }

  /** When the next event is due, or undefined if none is. */
  nextEventTime(): number | undefined {
    return this.queue.peekTime();
  }

  /** Runs every event due at or before `timeMs` (including ones they schedule), then sets the clock to `timeMs`. Returns the number run. */
  runUntil(timeMs: number): number {
    if (Number.isNaN(timeMs)) throw new RangeError('time must be a number of ms, got NaN');
    const ran = this.run(timeMs, Number.POSITIVE_INFINITY);
    if (timeMs > this.time) this.time = timeMs;
    return ran;
  }

  /** Runs events until none is left or `maxEvents` have run; returns the number run (check `pending()` to tell which). */
  runUntilIdle(maxEvents = DEFAULT_MAX_EVENTS): number {
    return this.run(Number.POSITIVE_INFINITY, maxEvents);
  }

  private run(limitMs: number, maxEvents: number): number {
    // A callback that drives the clock itself would run later events before earlier ones finish.
    if (this.running) throw new Error('SimScheduler is already running; callbacks must schedule, not run');
    this.running = true;
    let ran = 0;
    try {
      while (ran < maxEvents) {
        const due = this.queue.peekTime();
        if (due === undefined || due > limitMs) break;
        const event = this.queue.pop()!;
        if (event.time > this.time) this.time = event.time;
        ran++;
        event.value();
      }
    } finally {
      this.running = false;
    }
    return ran;
  }
}
