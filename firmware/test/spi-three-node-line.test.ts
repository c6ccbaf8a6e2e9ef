// The proof on real time: a line A–B–C where A is an SX1262 twin (Waveshare HAT), B an
// SX1276 twin (Adafruit bonnet) and C a plain simulated node, all on one simulated air where
// only neighbours hear each other. A text from A reaches C through B, and C's ack comes back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { RealScheduler } from '@unibos/mesh-protocol';
import { Device } from '../src/node/device.ts';
import { loadOrCreateIdentity } from '../src/node/identity.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import { openNodeDb, type Db } from '../src/node/node-db.ts';
import type { ManagedRadio } from '../src/node/managed-radio.ts';
import { SimManagedRadio } from '../src/radio/sim-managed-radio.ts';
import type { InboxMessage } from '../src/node/inbox.ts';
import { waveshareSx1262Hat } from '../src/boards/waveshare-sx1262-hat.ts';
import { adafruitRfm9xBonnet } from '../src/boards/adafruit-rfm9x-bonnet.ts';
import { realMedium, twinRadio, type TwinRadio } from './support/spi-twin-rig.ts';

test('a text from an SX1262 twin reaches a simulated node through an SX1276 twin, and is acknowledged', async () => {
  const dirs = ['A', 'B', 'C'].map((n) => mkdtempSync(join(tmpdir(), `unibos-spi-line-${n}-`)));
  const identities = dirs.map((d) => loadOrCreateIdentity(join(d, 'identity.json')));
  const index = new Map(identities.map((id, i) => [id.nodeId, i]));
  const configs = dirs.map((d, i) => loadNodeConfig({ env: {}, flags: { 'data-dir': d, preset: 'ShortFast', name: 'ABC'[i]! } }));
  const params = Device.radioParams(configs[0]!);
  const medium = realMedium(params, (from, to) => (Math.abs(index.get(from)! - index.get(to)!) === 1 ? { rssi: -101.5, snr: 4.25 } : null));
  const scheduler = new RealScheduler();
  const twins: TwinRadio[] = [];
  const dbs: Db[] = [];
  const devices: Device[] = [];
  try {
    twins.push(await twinRadio(medium, identities[0]!.nodeId, waveshareSx1262Hat, params));
    twins.push(await twinRadio(medium, identities[1]!.nodeId, adafruitRfm9xBonnet, params));
    const sim = new SimManagedRadio(medium.radio(identities[2]!.nodeId), scheduler);
    const radios: ManagedRadio[] = [twins[0]!.radio, twins[1]!.radio, sim];
    for (let i = 0; i < 3; i++) {
      const db = openNodeDb(join(dirs[i]!, 'node.db'));
      dbs.push(db);
      devices.push(new Device({ config: configs[i]!, identity: identities[i]!, db, radio: radios[i]!, logger: pino({ level: 'silent' }), scheduler, health: () => ({ batteryLevel: 80, voltage: 3.9 }) }));
    }
    for (const d of devices) await d.start();
    const [a, b, c] = devices as [Device, Device, Device];

    const atC = new Promise<InboxMessage>((resolve) => c.on('message', (m) => m.text === 'water at the school' && resolve(m)));
    const { packetId } = a.sendText('water at the school', identities[2]!.nodeId);
    const acked = new Promise<void>((resolve) => a.router.on('ack', (x) => x.id === packetId && !x.implicit && resolve()));
    const m = await atC;
    assert.deepEqual([m.from, m.packetId, m.hops], [identities[0]!.nodeId, packetId, 2]);
    await acked;
    assert.equal(b.inbox.since().filter((x) => x.text === 'water at the school').length, 0, 'B relays it without delivering it');

    for (const t of twins) {
      assert.deepEqual(t.twin.violations, [], `${t.twin.chipName} twin saw no command a real chip refuses`);
      assert.ok(t.radio.stats.framesSent > 0 && t.radio.stats.framesReceived > 0);
      // The driver's measured time on air stays close to the model's (it includes SPI and IRQ latency).
      const { lastTimeOnAirMs, lastModelTimeOnAirMs } = t.radio.stats;
      assert.ok(lastTimeOnAirMs >= lastModelTimeOnAirMs * 0.9, `measured ${lastTimeOnAirMs} ms vs model ${lastModelTimeOnAirMs} ms`);
    }
  } finally {
    for (const d of devices) await d.stop();
    for (const db of dbs) db.close();
    for (const t of twins) t.twin.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
