// Discrete-event queue for the simulator: a binary min-heap ordered by (time, insertion order),
// so events at the same instant run in the order they were scheduled and every run replays exactly.

export interface EventHandle {
  /** Removes the event if it has not run yet; O(1), safe to call more than once or after it ran. */
  cancel(): void;
  /** True until the event is popped or cancelled. */
  readonly pending: boolean;
}

const PENDING = 0;
const DONE = 1;
const CANCELLED = 2;

class Entry<T> implements EventHandle {
  state = PENDING;
  constructor(
    readonly time: number,
    readonly seq: number,
    public value: T | undefined,
    private readonly queue: EventQueue<T>,
  ) {}

  get pending(): boolean {
    return this.state === PENDING;
  }

  cancel(): void {
    if (this.state !== PENDING) return;
    this.state = CANCELLED;
    // Let the payload (usually a closure over simulator state) be collected before the entry leaves the heap.
    this.value = undefined;
    this.queue.onCancel();
  }
}

// Below this many dead entries a rebuild costs more than skipping them on pop.
const COMPACT_MIN_DEAD = 64;

export class EventQueue<T> {
  private heap: Array<Entry<T>> = [];
  private nextSeq = 0;
  private live = 0;

  /** Events still pending (cancelled ones excluded). */
  get size(): number {
    return this.live;
  }

  /** Adds `value` at `time`; O(log n). */
  push(time: number, value: T): EventHandle {
    if (!Number.isFinite(time)) throw new RangeError(`event time must be a finite number of ms, got ${time}`);
    const entry = new Entry(time, this.nextSeq++, value, this);
    this.heap.push(entry);
    this.siftUp(this.heap.length - 1);
    this.live++;
    return entry;
  }

  /** Time of the earliest pending event, or undefined when none is left. */
  peekTime(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.time;
  }

  /** Removes and returns the earliest pending event; O(log n) amortised. */
  pop(): { time: number; value: T } | undefined {
    this.dropCancelledTop();
    const top = this.removeTop();
    if (top === undefined) return undefined;
    const value = top.value as T;
    top.state = DONE;
    top.value = undefined;
    this.live--;
    return { time: top.time, value };
  }

  /** Called by an entry when it is cancelled: lazy deletion, with an occasional rebuild so dead entries cannot pile up. */
  onCancel(): void {
    this.live--;
    const dead = this.heap.length - this.live;
    if (dead >= COMPACT_MIN_DEAD && dead > this.live) this.compact();
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.state === CANCELLED) this.removeTop();
  }

  private removeTop(): Entry<T> | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private compact(): void {
    this.heap = this.heap.filter((e) => e.state === PENDING);
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const entry = heap[index]!;
    let i = index;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!before(entry, parent)) break;
      heap[i] = parent;
      i = parentIndex;
    }
    heap[i] = entry;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const n = heap.length;
    const entry = heap[index]!;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, entry)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = entry;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
