// A node's first position beacon after it starts meets everyone else's start-up traffic (a whole
// mesh powering up after an outage, the demo starting its nodes together). Lost there, the node
// would stay off the map for a whole beacon interval, so the first one is sent again until a relay
// is overheard; later beacons are polite and simply wait for the next interval.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { SeededRandom, SimMedium, SimScheduler, loraParams } from '@unibos/mesh-protocol';
import { Device } from '../src/node/device.ts';
import { loadOrCreateIdentity } from '../src/node/identity.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import { openNodeDb, type Db } from '../src/node/node-db.ts';
import type { GpsFix, GpsSource } from '../src/gps/gps-source.ts';
import { SimManagedRadio } from '../src/radio/sim-managed-radio.ts';

const EPOCH = Date.UTC(2026, 10, 22, 12);
const dirs: string[] = [];
const dbs: Db[] = [];
after(() => {
  for (const db of dbs) db.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A GPS whose fix the test hands in. */
function manualGps(): GpsSource & { fix(f: GpsFix): void } {
  let listener: ((f: GpsFix) => void) | undefined;
  let last: GpsFix | undefined;
  return {
    start: async () => undefined,
    stop: async () => undefined,
    onFix: (fn) => (listener = fn),
    get lastFix() {
      return last;
    },
    stats: { accepted: 0, dropped: 0, reconnects: 0 },
    fix: (f) => {
      last = f;
      listener?.(f);
    },
  };
}

/** Node A and a gateway that hear each other, except while `deaf` is set (A's frames are lost). */
async function pair() {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(11);
  const link = { deaf: false };
  const names = ['A', 'G'];
  const ids = names.map((n) => {
    const dir = mkdtempSync(join(tmpdir(), `unibos-beacon-${n}-`));
    dirs.push(dir);
    return { name: n, dir, identity: loadOrCreateIdentity(join(dir, 'identity.json')) };
  });
  const aId = ids[0]!.identity.nodeId;
  const medium = new SimMedium({
    params: loraParams('ShortFast'),
    scheduler,
    random: rng.fork(),
    link: (from) => (link.deaf && from === aId ? null : { rssi: -100, snr: 3 }),
  });
  const gps = manualGps();
  const devices = ids.map(({ name, dir, identity }) => {
    const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dir, preset: 'ShortFast', name, role: name === 'G' ? 'ROUTER' : 'CLIENT' } });
    const db = openNodeDb(join(dir, 'node.db'));
    dbs.push(db);
    const radio = new SimManagedRadio(medium.radio(identity.nodeId), scheduler);
    const device = new Device({
      config,
      identity,
      db,
      radio,
      logger: pino({ level: 'silent' }),
      scheduler,
      random: rng.fork(),
      clock: () => EPOCH + scheduler.now(),
      health: () => ({ batteryLevel: 80, voltage: 3.9 }),
      gps: name === 'A' ? gps : undefined,
    });
    return { device, radio };
  });
  for (const d of devices) await d.device.start();
  return { scheduler, link, gps, a: devices[0]!, gateway: devices[1]!.device, aId };
}

test("a node's first position beacon, lost on the air, is sent again until a relay is heard", async () => {
  const { scheduler, link, gps, a, gateway, aId } = await pair();
  scheduler.runUntil(60_000); // start-up announcements are over; A has no fix yet
  const positionAtGateway = () => gateway.peers.all().find((p) => p.nodeId === aId)?.latitude ?? null;
  assert.equal(positionAtGateway(), null);

  // The first beacon goes out into a collision: nobody hears it.
  link.deaf = true;
  const before = a.radio.transmissions;
  gps.fix({ mode: '3d', latitude: 46.52, longitude: 6.63, altitudeM: 400, satellites: 8 });
  while (a.radio.transmissions === before) scheduler.runUntil(scheduler.now() + 100);
  link.deaf = false;

  // Far less than the 15-minute beacon interval.
  scheduler.runUntil(scheduler.now() + 30_000);
  const latitude = positionAtGateway();
  assert.ok(latitude !== null && Math.abs(latitude - 46.52) < 0.01, `the gateway has A's position (${latitude})`);
});

test('later position beacons stay polite: lost, they are not sent again (the next interval brings a fresh one)', async () => {
  const { scheduler, link, gps, a } = await pair();
  scheduler.runUntil(60_000);
  gps.fix({ mode: '3d', latitude: 46.52, longitude: 6.63, altitudeM: 400, satellites: 8 });
  scheduler.runUntil(scheduler.now() + 30_000);
  const retransmissions = a.device.router.stats.retransmissions;
  const transmissions = a.radio.transmissions;
  link.deaf = true;
  scheduler.runUntil(scheduler.now() + 16 * 60_000);
  assert.ok(a.radio.transmissions > transmissions, 'the periodic beacon went out');
  assert.equal(a.device.router.stats.retransmissions, retransmissions, 'and nothing of it was repeated');
});
