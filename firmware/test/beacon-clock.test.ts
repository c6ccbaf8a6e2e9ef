// A Pi without a real-time clock sets its time from GPS or the network after it started, and that
// time can be hours behind what it ran on (fake-hwclock saved at a later shutdown, a wrong GPS
// week). Beacons are paced on the steady clock: such a jump must not keep the node's position and
// its announcement off the air until the wall clock catches up.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, SimScheduler, type Data, type MeshRouter } from '@unibos/mesh-protocol';
import type { GpsSource } from '../src/gps/gps-source.ts';
import { Beacons } from '../src/node/beacons.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';

const EPOCH = Date.UTC(2026, 10, 22, 12);
const HOUR = 3_600_000;

function beacons() {
  const scheduler = new SimScheduler();
  const wall = { offsetMs: 0 };
  const sent: Data[] = [];
  const router = {
    send: (_to: number, data: Data) => (sent.push(data), sent.length),
    sendNeighborInfo: () => 0,
    utilization: { percent: () => 0 },
    stats: { txAirtimeMs: 0 },
  } as unknown as MeshRouter;
  const gps = {
    lastFix: { mode: '3d', latitude: 41, longitude: 29 },
    stats: { accepted: 0, dropped: 0, reconnects: 0 },
  } as unknown as GpsSource;
  const config = loadNodeConfig({ env: {}, flags: { 'data-dir': '/nonexistent-unibos-test' } });
  const b = new Beacons({
    nodeId: 0x1a2b3c4d,
    name: 'A',
    publicKey: new Uint8Array(32),
    config,
    router,
    scheduler,
    random: new SeededRandom(3),
    clock: () => EPOCH + scheduler.now() + wall.offsetMs,
    gps,
    health: () => ({}),
    uptimeS: () => 0,
    canSend: () => true,
    stopped: () => false,
    log: { error: () => undefined } as never,
  });
  return { b, scheduler, wall, sent, intervalMs: config.beacons.positionIntervalS * 1000 };
}

test('position beacons keep their interval when the wall clock jumps back hours', () => {
  const { b, scheduler, wall, sent, intervalMs } = beacons();
  b.start();
  scheduler.runUntil(intervalMs * 1.1);
  const positions = (): number => sent.filter((d) => d.position).length;
  assert.equal(positions(), 1, 'the first interval sends a beacon');
  // The clock is set back three hours (GPS time arriving on a Pi that booted with a saved, later time).
  wall.offsetMs = -3 * HOUR;
  scheduler.runUntil(scheduler.now() + intervalMs * 2.2);
  assert.ok(positions() >= 3, `position beacons go on every interval after the jump, got ${positions()}`);
});

test('the announcement when the radio returns is not held back by a wall clock set back', () => {
  const { b, scheduler, wall, sent } = beacons();
  b.announce();
  scheduler.runUntil(20_000);
  const announcements = (): number => sent.filter((d) => d.nodeInfo && d.wantResponse).length;
  assert.equal(announcements(), 1);
  wall.offsetMs = -2 * HOUR;
  // The radio comes back half an hour later (steady time): well past the 10 minutes between announcements.
  scheduler.runUntil(scheduler.now() + 30 * 60_000);
  b.announce();
  scheduler.runUntil(scheduler.now() + 20_000);
  assert.equal(announcements(), 2, 'announced again once the radio returned');
});

test('with a steady clock a position beacon goes out every interval, not every other one (the jittered check never comes early)', () => {
  const { b, scheduler, sent, intervalMs } = beacons();
  const at: number[] = [];
  const send = sent.push.bind(sent);
  sent.push = (...d: Data[]) => (d.some((x) => x.position) && at.push(scheduler.now()), send(...d));
  b.start();
  scheduler.runUntil(intervalMs * 10.5);
  assert.ok(at.length >= 9, `9 or more beacons in 10.5 intervals, got ${at.length}`);
  for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! <= intervalMs * 1.1, `gap ${i}: ${(at[i]! - at[i - 1]!) / 1000} s`);
});
