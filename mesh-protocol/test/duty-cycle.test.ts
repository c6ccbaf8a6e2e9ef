// Regional duty-cycle budget on a hand-driven clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DutyCycle, REGIONS } from '../src/routing/duty-cycle.ts';

class FakeClock {
  t = 0;
  now(): number {
    return this.t;
  }
}

const MIN = 60_000;
const HOUR = 60 * MIN;

test('EU868 allows 360 s of airtime per hour and no more', () => {
  const clock = new FakeClock();
  const dc = new DutyCycle('EU868', clock);
  assert.equal(dc.budgetMs, 360_000);
  for (let i = 0; i < 359; i++) {
    assert.ok(dc.canTransmit(1000), `frame ${i} should fit`);
    dc.record(1000);
    clock.t += 1000;
  }
  assert.ok(dc.canTransmit(1000));
  assert.equal(dc.canTransmit(1001), false);
  assert.equal(dc.blockedBy(1001), 'budget');
  dc.record(1000);
  assert.equal(dc.canTransmit(1), false);
  assert.ok(Math.abs(dc.usedFraction() - 0.1) < 1e-12);
});

test('the budget is rolling: old airtime stops counting after the hour, not all at once', () => {
  const clock = new FakeClock();
  const dc = new DutyCycle('EU868', clock);
  dc.record(200_000); // minute 0
  clock.t = 30 * MIN;
  dc.record(160_000); // minute 30
  assert.equal(dc.canTransmit(1), false);

  clock.t = HOUR - 1;
  assert.equal(dc.canTransmit(1), false, 'minute-0 airtime is still inside the hour');

  const wait = dc.waitMs(1);
  assert.ok(wait > 0);
  clock.t += wait - 1;
  assert.equal(dc.canTransmit(1), false, 'one ms before the reported wait it must still be blocked');
  clock.t += 1;
  assert.equal(dc.canTransmit(1), true, 'at the reported wait it must be allowed');
  // Only the minute-0 frame expired; the minute-30 one still counts.
  assert.equal(dc.usedMs(), 160_000);
  assert.equal(dc.canTransmit(200_001), false);
  assert.equal(dc.canTransmit(200_000), true);
});

test('a transmission is never forgotten before a full hour has passed', () => {
  const clock = new FakeClock();
  for (const start of [0, 59_999, 12_345, 30 * MIN + 7]) {
    clock.t = start;
    const fresh = new DutyCycle('EU868', clock);
    fresh.record(360_000);
    clock.t = start + HOUR - 1;
    assert.equal(fresh.canTransmit(1), false, `frame at ${start} forgotten early`);
    clock.t = start + HOUR + MIN;
    assert.equal(fresh.canTransmit(1), true, `frame at ${start} still counted after 61 minutes`);
  }
});

test('waitMs is 0 when the frame fits, and points at the oldest bucket whose expiry makes room', () => {
  const clock = new FakeClock();
  const dc = new DutyCycle('EU868', clock);
  assert.equal(dc.waitMs(5000), 0);
  clock.t = 5 * MIN + 10_000;
  dc.record(100_000);
  clock.t = 10 * MIN;
  dc.record(100_000);
  clock.t = 20 * MIN;
  dc.record(160_000);
  // Full. A 150 s frame needs both the minute-5 and minute-10 buckets gone: minute 10 leaves at 71:00.
  assert.equal(dc.waitMs(150_000), 71 * MIN - 20 * MIN);
  // A 50 s frame only needs the minute-5 bucket gone, at 66:00.
  assert.equal(dc.waitMs(50_000), 66 * MIN - 20 * MIN);
});

test('memory stays bounded: a day of traffic only ever counts the last hour', () => {
  const clock = new FakeClock();
  const dc = new DutyCycle('EU868', clock);
  for (let t = 0; t < 24 * HOUR; t += 10_000) {
    clock.t = t;
    if (dc.canTransmit(500)) dc.record(500);
  }
  // One 500 ms frame every 10 s is 5 %; the window must reflect that rate, not a day's total.
  assert.ok(dc.usedFraction() > 0.049 && dc.usedFraction() < 0.052, `got ${dc.usedFraction()}`);
});

test('regions without a duty cycle never block on budget; US915 blocks frames over 400 ms dwell', () => {
  const clock = new FakeClock();
  const anz = new DutyCycle('ANZ', clock);
  anz.record(10 * HOUR);
  assert.equal(anz.canTransmit(2000), true);
  assert.equal(anz.waitMs(2000), 0);

  const none = new DutyCycle('NONE', clock);
  none.record(10 * HOUR);
  assert.equal(none.canTransmit(60_000), true);

  const us = new DutyCycle('US915', clock);
  assert.equal(us.canTransmit(400), true);
  assert.equal(us.canTransmit(401), false);
  assert.equal(us.blockedBy(401), 'dwell');
  assert.equal(us.waitMs(401), Number.POSITIVE_INFINITY);
});

test('a frame longer than the whole budget can never be sent', () => {
  const dc = new DutyCycle({ ...REGIONS.EU868, dutyCycle: 0.001 }, new FakeClock());
  assert.equal(dc.waitMs(3601), Number.POSITIVE_INFINITY);
  assert.equal(dc.waitMs(3600), 0);
});

test('bad input is rejected with a clear message', () => {
  const clock = new FakeClock();
  const dc = new DutyCycle('EU868', clock);
  assert.throws(() => dc.record(-1), { name: 'RangeError', message: /airtime/ });
  assert.throws(() => dc.canTransmit(Number.NaN), RangeError);
  assert.throws(() => new DutyCycle('XX' as 'EU868', clock), { name: 'RangeError', message: /unknown region XX/ });
  assert.throws(() => new DutyCycle({ ...REGIONS.EU868, dutyCycle: 0 }, clock), { message: /duty cycle/ });
});

test('airtime saved before a restart counts at its age in a new budget, and leaves it when it is an hour old', () => {
  const before = new FakeClock();
  const dc = new DutyCycle('EU868', before);
  before.t = 5 * HOUR;
  for (let i = 0; i < 30; i++) {
    dc.record(10_000);
    before.t += MIN;
  }
  const spent = dc.spent();
  assert.equal(spent.reduce((n, e) => n + e.usedMs, 0), 300_000);
  assert.ok(spent.every((e) => e.ageMs >= 0 && e.ageMs <= 30 * MIN), JSON.stringify(spent));

  // A new process whose clock starts at 0, ten minutes later.
  const after = new FakeClock();
  const next = new DutyCycle('EU868', after);
  next.restore(spent.map((e) => ({ ageMs: e.ageMs + 10 * MIN, usedMs: e.usedMs })));
  assert.equal(next.usedMs(), 300_000, 'all of it is still within the hour');
  assert.equal(next.canTransmit(60_001), false, 'so the budget left is 60 s, not 360 s');
  assert.ok(next.canTransmit(60_000));
  after.t += 25 * MIN;
  assert.ok(next.usedMs() < 300_000 && next.usedMs() > 0, 'the oldest minutes age out first');
  after.t += 30 * MIN;
  assert.equal(next.usedMs(), 0, 'an hour after the last of it, none is left');

  // Nonsense in a saved row is ignored, not counted.
  const third = new DutyCycle('EU868', new FakeClock());
  third.restore([{ ageMs: -1, usedMs: 1000 }, { ageMs: 0, usedMs: Number.NaN }, { ageMs: 2 * HOUR, usedMs: 1000 }, { ageMs: 0, usedMs: 10 * HOUR }]);
  assert.equal(third.usedMs(), 0);
});
