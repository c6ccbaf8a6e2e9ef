// Discrete-event queue and simulated clock: order, ties, cancellation and time that only moves forward.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventQueue } from '../src/sim/event-queue.ts';
import { SimScheduler } from '../src/sim/sim-scheduler.ts';
import { SeededRandom } from '../src/core/random.ts';

test('events run in time order, whatever order they were scheduled in', () => {
  const sim = new SimScheduler();
  const log: string[] = [];
  sim.schedule(30, () => log.push(`c@${sim.now()}`));
  sim.schedule(10, () => log.push(`a@${sim.now()}`));
  sim.schedule(20, () => log.push(`b@${sim.now()}`));
  assert.equal(sim.pending(), 3);
  assert.equal(sim.runUntilIdle(), 3);
  assert.deepEqual(log, ['a@10', 'b@20', 'c@30']);
  assert.equal(sim.pending(), 0);
});

test('events at the same instant run in the order they were scheduled', () => {
  const sim = new SimScheduler();
  const log: number[] = [];
  for (let i = 0; i < 50; i++) sim.schedule(i % 2 === 0 ? 5 : 7, () => log.push(i));
  sim.runUntilIdle();
  const evens = Array.from({ length: 25 }, (_, k) => 2 * k);
  const odds = evens.map((e) => e + 1);
  assert.deepEqual(log, [...evens, ...odds]);
});

test('an event scheduled during a run at the current instant runs after those already queued for it', () => {
  const sim = new SimScheduler();
  const log: string[] = [];
  sim.schedule(10, () => {
    log.push('first');
    sim.schedule(0, () => log.push('spawned'));
  });
  sim.schedule(10, () => log.push('second'));
  sim.runUntilIdle();
  assert.deepEqual(log, ['first', 'second', 'spawned']);
});

test('cancelled events never run, and cancel is idempotent and harmless after the event ran', () => {
  const sim = new SimScheduler();
  const log: string[] = [];
  const a = sim.schedule(10, () => log.push('a'));
  const b = sim.schedule(20, () => log.push('b'));
  sim.schedule(30, () => log.push('c'));
  b.cancel();
  b.cancel();
  assert.equal(sim.pending(), 2);
  sim.runUntil(15);
  a.cancel();
  assert.equal(sim.pending(), 1);
  sim.runUntilIdle();
  assert.deepEqual(log, ['a', 'c']);
  assert.equal(sim.pending(), 0);
});

test('an event can cancel a later one at the same instant', () => {
  const sim = new SimScheduler();
  const log: string[] = [];
  let victim = { cancel: () => {} };
  sim.schedule(5, () => {
    log.push('killer');
    victim.cancel();
  });
  victim = sim.schedule(5, () => log.push('victim'));
  sim.runUntilIdle();
  assert.deepEqual(log, ['killer']);
});

test('events scheduling events: a chain runs to completion with the right timestamps', () => {
  const sim = new SimScheduler();
  const times: number[] = [];
  const tick = (left: number): void => {
    times.push(sim.now());
    if (left > 0) sim.schedule(100, () => tick(left - 1));
  };
  sim.schedule(0, () => tick(4));
  assert.equal(sim.runUntilIdle(), 5);
  assert.deepEqual(times, [0, 100, 200, 300, 400]);
});

test('runUntil runs due events (including ones they schedule), then lands on the requested time', () => {
  const sim = new SimScheduler();
  const log: number[] = [];
  sim.schedule(100, () => {
    log.push(sim.now());
    sim.schedule(50, () => log.push(sim.now()));
    sim.schedule(500, () => log.push(sim.now()));
  });
  assert.equal(sim.runUntil(200), 2);
  assert.deepEqual(log, [100, 150]);
  assert.equal(sim.now(), 200);
  assert.equal(sim.pending(), 1);
  assert.equal(sim.nextEventTime(), 600);
  // Asking for the past does not move the clock back.
  assert.equal(sim.runUntil(50), 0);
  assert.equal(sim.now(), 200);
  // An event exactly at the limit runs.
  assert.equal(sim.runUntil(600), 1);
  assert.deepEqual(log, [100, 150, 600]);
});

test('negative delays clamp to now; NaN is rejected', () => {
  const sim = new SimScheduler(1000);
  const seen: number[] = [];
  sim.schedule(-500, () => seen.push(sim.now()));
  sim.runUntilIdle();
  assert.deepEqual(seen, [1000]);
  assert.throws(() => sim.schedule(Number.NaN, () => {}), RangeError);
});

test('time never goes backwards over a large random workload, and ties keep scheduling order', () => {
  const sim = new SimScheduler();
  const rng = new SeededRandom(7);
  let lastTime = -1;
  let lastId = -1;
  let nextId = 0;
  let ran = 0;
  const spawn = (depth: number): void => {
    // Ids follow scheduling order, so among events at one instant they must run in increasing id order.
    const id = nextId++;
    const handle = sim.schedule(rng.int(20) - 5, () => {
      ran++;
      const t = sim.now();
      assert.ok(t >= lastTime, `time went back from ${lastTime} to ${t}`);
      if (t === lastTime) assert.ok(id > lastId, `event ${id} ran after ${lastId} at the same instant ${t}`);
      lastTime = t;
      lastId = id;
      if (depth < 3) for (let k = 0; k < 3; k++) spawn(depth + 1);
    });
    if (rng.next() < 0.2) handle.cancel();
  };
  for (let i = 0; i < 200; i++) spawn(0);
  const count = sim.runUntilIdle();
  assert.equal(count, ran);
  assert.ok(ran > 200);
  assert.equal(sim.pending(), 0);
});

test('runUntilIdle stops after maxEvents and leaves the rest pending', () => {
  const sim = new SimScheduler();
  const forever = (): void => {
    sim.schedule(1000, forever);
  };
  sim.schedule(0, forever);
  assert.equal(sim.runUntilIdle(10), 10);
  assert.equal(sim.pending(), 1);
  assert.equal(sim.now(), 9000);
});

test('a callback may not drive the clock itself', () => {
  const sim = new SimScheduler();
  sim.schedule(1, () => sim.runUntilIdle());
  assert.throws(() => sim.runUntilIdle(), /already running/);
});

test('event queue: pops in (time, sequence) order against a sorted reference, with many cancellations', () => {
  const queue = new EventQueue<number>();
  const rng = new SeededRandom(99);
  const reference: Array<{ time: number; id: number; cancelled: boolean }> = [];
  const handles: Array<{ cancel(): void }> = [];
  for (let id = 0; id < 5000; id++) {
    const time = rng.int(100);
    handles.push(queue.push(time, id));
    reference.push({ time, id, cancelled: false });
  }
  for (let id = 0; id < 5000; id++) {
    if (rng.next() < 0.7) {
      handles[id]!.cancel();
      reference[id]!.cancelled = true;
    }
  }
  const expected = reference
    .filter((r) => !r.cancelled)
    .sort((x, y) => x.time - y.time || x.id - y.id)
    .map((r) => r.id);
  assert.equal(queue.size, expected.length);
  const got: number[] = [];
  for (let e = queue.pop(); e !== undefined; e = queue.pop()) got.push(e.value);
  assert.deepEqual(got, expected);
  assert.equal(queue.size, 0);
  assert.equal(queue.peekTime(), undefined);
});

test('event queue: handle reports pending until popped or cancelled; non-finite times are rejected', () => {
  const queue = new EventQueue<string>();
  const a = queue.push(1, 'a');
  const b = queue.push(2, 'b');
  assert.equal(a.pending, true);
  b.cancel();
  assert.equal(b.pending, false);
  assert.deepEqual(queue.pop(), { time: 1, value: 'a' });
  assert.equal(a.pending, false);
  assert.equal(queue.pop(), undefined);
  assert.throws(() => queue.push(Number.NaN, 'x'), RangeError);
  assert.throws(() => queue.push(Number.POSITIVE_INFINITY, 'x'), RangeError);
});
