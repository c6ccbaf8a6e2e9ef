// EU868's 10 % duty cycle is per rolling hour, not per run: a node that restarts (the service
// restarting it, a reboot) counts the airtime it spent before and waits for it to age out,
// instead of spending a whole hour's budget again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SeededRandom, SimMedium, SimScheduler, loraParams } from '@unibos/mesh-protocol';
import { Device } from '../src/node/device.ts';
import { loadOrCreateIdentity } from '../src/node/identity.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import { openNodeDb } from '../src/node/node-db.ts';
import { SimManagedRadio } from '../src/radio/sim-managed-radio.ts';

const EPOCH = Date.UTC(2026, 11, 7, 12);
const HOUR = 3_600_000;
/** EU868's budget: 10 % of an hour. */
const BUDGET_MS = 360_000;
const silent = pino({ level: 'silent' });

/** Two EU868 nodes side by side: B relays A's texts, which is A's answer that each went out. */
function setup(clockOffset: { ms: number }, boot = { id: 'boot-1' }, region = { name: 'EU868' }) {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(5);
  const params = loraParams('LongFast');
  const medium = new SimMedium({ params, scheduler, random: rng.fork(), link: () => ({ rssi: -90, snr: 5 }), lossProbability: 0 });
  const make = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `unibos-airtime-${name}-`));
    const id = loadOrCreateIdentity(join(dir, 'identity.json'));
    return () => {
      const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dir, region: region.name, name } });
      const db = openNodeDb(join(dir, 'node.db'));
      const radio = new SimManagedRadio(medium.radio(id.nodeId), scheduler);
      // The machine's uptime runs with simulated time; a reboot is a new boot id.
      const device = new Device({ config, identity: id, db, radio, logger: silent, scheduler, random: rng.fork(), clock: () => EPOCH + clockOffset.ms + scheduler.now(), boot: () => ({ id: boot.id, uptimeMs: scheduler.now() }), health: () => ({}) });
      return { device, db, id: id.nodeId };
    };
  };
  const start = make('A');
  const b = make('B')();
  return {
    scheduler,
    start,
    startB: () => b.device.start(),
    run: (ms: number) => scheduler.runUntil(scheduler.now() + ms),
    /** A clean stop (SIGTERM), then the node started again on the same data dir. */
    restart: async (node: { device: Device; db: { close(): void }; id: number }) => {
      await node.device.stop();
      node.db.close();
      medium.detach(node.id);
      const next = start();
      await next.device.start();
      return next;
    },
  };
}

/** Node A, given more texts than an hour's budget can carry, after 40 minutes of sending them. */
async function spentAnHour(clock: { ms: number }, boot?: { id: string }, region?: { name: string }) {
  const net = setup(clock, boot, region);
  await net.startB();
  const node = net.start();
  await node.device.start();
  for (let i = 0; i < 600; i++) node.device.sendText(`report ${i}: water level at the bridge is rising, bring sandbags to the school`);
  net.run(40 * 60_000);
  return { net, node };
}

test('a node that restarts in the middle of an hour spends no more than that hour’s budget', { timeout: 120_000 }, async () => {
  const spent = await spentAnHour({ ms: 0 });
  const net = spent.net;
  let node = spent.node;
  const before = node.device.router.stats.txAirtimeMs;
  assert.ok(before > BUDGET_MS * 0.95, `the node spent its budget in 40 minutes (${Math.round(before)} ms)`);
  assert.ok(node.device.outbox.size > 0, 'with texts still waiting');

  node = await net.restart(node);
  net.run(10 * 60_000);
  const after = node.device.router.stats.txAirtimeMs;
  assert.ok(after < 2_000, `within the same hour the restarted node sent (almost) nothing: ${Math.round(after)} ms`);

  // Once the first minutes' airtime is an hour old, the node sends again.
  net.run(40 * 60_000);
  assert.ok(node.device.router.stats.txAirtimeMs > BUDGET_MS * 0.5, 'an hour later it sends again');
});

test('a clock that went back while the node was down (no RTC, no network yet) counts the saved airtime as recent, never as old', { timeout: 120_000 }, async () => {
  const clock = { ms: 0 };
  const spent = await spentAnHour(clock);
  const net = spent.net;
  let node = spent.node;
  // Saved while running, not only at a clean stop: a crash loses at most the last few seconds.
  const row = node.db.prepare('SELECT value FROM kv WHERE key = ?').get('duty_cycle_airtime') as { value: string } | undefined;
  const saved = JSON.parse(row!.value) as { spent: Array<{ usedMs: number }> };
  assert.ok(saved.spent.reduce((n, e) => n + e.usedMs, 0) > BUDGET_MS * 0.95, 'with the hour\u2019s airtime');
  await node.device.stop();
  node.db.close();
  // The clock reads two hours earlier than when the airtime was saved.
  clock.ms = -2 * HOUR;
  node = await net.restart({ device: node.device, db: { close: () => undefined }, id: node.id });
  net.run(10 * 60_000);
  assert.ok(node.device.router.stats.txAirtimeMs < 2_000, `nothing more in what may be the same hour: ${Math.round(node.device.router.stats.txAirtimeMs)} ms`);
});

test('the wall clock stepping hours forward (NTP answering at last on a Pi with no RTC) does not age the airtime: the machine did not reboot, its uptime says how long it was', { timeout: 120_000 }, async () => {
  const clock = { ms: 0 };
  const { net, node } = await spentAnHour(clock);
  clock.ms = 3 * HOUR;
  const next = await net.restart(node);
  net.run(10 * 60_000);
  assert.ok(next.device.router.stats.txAirtimeMs < 2_000, `still within the hour: ${Math.round(next.device.router.stats.txAirtimeMs)} ms`);
  const s = next.device.status();
  assert.ok(s.mesh.dutyCycle && s.mesh.dutyCycle.budgetS === 360 && s.mesh.dutyCycle.usedS > 340, `status says the budget is spent: ${JSON.stringify(s.mesh.dutyCycle)}`);
});

test('airtime saved under another region is not counted against the new one, and a reboot ages it by the wall clock', { timeout: 120_000 }, async () => {
  const region = { name: 'EU868' };
  const boot = { id: 'boot-1' };
  const clock = { ms: 0 };
  const { net, node } = await spentAnHour(clock, boot, region);
  // A new unibos.json for EU433 (its band is elsewhere; what EU868 counted says nothing of it).
  region.name = 'EU433';
  const other = await net.restart(node);
  assert.equal(other.device.status().mesh.dutyCycle?.usedS, 0);
  // Back on EU868 after a reboot two hours on: all of it is older than the hour.
  region.name = 'EU868';
  boot.id = 'boot-2';
  clock.ms = 2 * HOUR;
  const rebooted = await net.restart(other);
  assert.equal(rebooted.device.status().mesh.dutyCycle?.usedS, 0);
});
