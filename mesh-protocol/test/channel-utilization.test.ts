// Channel utilisation over the rolling 60 s window, on a hand-driven clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHANNEL_UTILIZATION_WINDOW_MS,
  CONGESTED_LIMIT_PERCENT,
  ChannelUtilization,
  POLITE_TRAFFIC_LIMIT_PERCENT,
} from '../src/routing/channel-utilization.ts';

class FakeClock {
  t = 0;
  now(): number {
    return this.t;
  }
}

const close = (actual: number, expected: number): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `expected ${expected}, got ${actual}`);

test('thresholds match the reference: 25 % polite, 40 % congested, over 60 s', () => {
  assert.equal(POLITE_TRAFFIC_LIMIT_PERCENT, 25);
  assert.equal(CONGESTED_LIMIT_PERCENT, 40);
  assert.equal(CHANNEL_UTILIZATION_WINDOW_MS, 60_000);
});

test('an idle channel is at 0 %', () => {
  const clock = new FakeClock();
  clock.t = 123_456;
  assert.equal(new ChannelUtilization(clock).percent(), 0);
});

test('15 s of airtime within the last minute is 25 %', () => {
  const clock = new FakeClock();
  const cu = new ChannelUtilization(clock);
  clock.t = 100_000;
  cu.record(50_000, 10_000);
  cu.record(70_500, 5_000);
  close(cu.percent(), 25);
});

test('busy time ages out of the window second by second', () => {
  const clock = new FakeClock();
  const cu = new ChannelUtilization(clock);
  cu.record(0, 6000); // seconds 0..5
  clock.t = 6000;
  close(cu.percent(), 10);
  clock.t = 60_500; // window is now seconds 1..60
  close(cu.percent(), (100 * 5000) / 60_000);
  clock.t = 65_999; // seconds 6..65: nothing left
  assert.equal(cu.percent(), 0);
});

test('a transmission recorded at its start counts as the time it covers arrives', () => {
  const clock = new FakeClock();
  const cu = new ChannelUtilization(clock);
  clock.t = 10_000;
  cu.record(10_000, 20_000); // on air 10 s .. 30 s
  assert.ok(cu.percent() <= (100 * 1000) / 60_000, 'only the current second may count yet');
  clock.t = 20_000;
  close(cu.percent(), (100 * 11_000) / 60_000);
  clock.t = 40_000;
  close(cu.percent(), (100 * 20_000) / 60_000);
});

test('a reception reported at its end (start in the past) is split across buckets exactly', () => {
  const clock = new FakeClock();
  const cu = new ChannelUtilization(clock);
  clock.t = 5_000;
  cu.record(2_300, 1_400);
  close(cu.percent(), (100 * 1400) / 60_000);
});

test('overlapping traffic saturates at 100 %, not above', () => {
  const clock = new FakeClock();
  const cu = new ChannelUtilization(clock);
  clock.t = 60_000;
  cu.record(0, 60_000);
  cu.record(0, 60_000);
  assert.equal(cu.percent(), 100);
});

test('records older than the window are ignored and do not disturb current buckets', () => {
  const clock = new FakeClock();
  const cu = new ChannelUtilization(clock);
  clock.t = 200_000;
  cu.record(199_000, 1_000);
  cu.record(80_000, 1_000); // same ring slot as 200 s, two minutes stale
  close(cu.percent(), (100 * 1000) / 60_000);
});

test('crossing the router thresholds is observable', () => {
  const clock = new FakeClock();
  const cu = new ChannelUtilization(clock);
  for (let t = 0; t < 60_000; t += 1000) {
    clock.t = t;
    cu.record(t, 300); // 30 %
  }
  clock.t = 60_000 - 1;
  const p = cu.percent();
  assert.ok(p > POLITE_TRAFFIC_LIMIT_PERCENT && p < CONGESTED_LIMIT_PERCENT, `got ${p}`);
});

test('bad input is rejected', () => {
  const cu = new ChannelUtilization(new FakeClock());
  assert.throws(() => cu.record(0, -1), { name: 'RangeError', message: /duration/ });
  assert.throws(() => cu.record(Number.NaN, 1), { name: 'RangeError', message: /start/ });
});
