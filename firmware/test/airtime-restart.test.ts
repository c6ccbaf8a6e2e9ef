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
function setup(clockOffset: { ms: number }) {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(5);
  const params = loraParams('LongFast');
  const medium = new SimMedium({ params, scheduler, random: rng.fork(), link: () => ({ rssi: -90, snr: 5 }), lossProbability: 0 });
  const make = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `unibos-airtime-${name}-`));
    const id = loadOrCreateIdentity(join(dir, 'identity.json'));
    return () => {
      const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dir, region: 'EU868', name } });
      const db = openNodeDb(join(dir, 'node.db'));
      const radio = new SimManagedRadio(medium.radio(id.nodeId), scheduler);
      const device = new Device({ config, identity: id, db, radio, logger: silent, scheduler, random: rng.fork(), clock: () => EPOCH + clockOffset.ms + scheduler.now(), health: () => ({}) });
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
async function spentAnHour(clock: { ms: number }) {
  const net = setup(clock);
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
