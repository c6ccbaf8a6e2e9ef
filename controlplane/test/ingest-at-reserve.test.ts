// What the hub's ingest keeps of sensor messages while its data disk is at the readings' reserve,
// and what it says it kept: a sensor it knows (its own readings, or those of a device it speaks
// for) still has its availability stored; one it has nothing of is raised live only, and so is a
// reading held through an outage that is older than everything kept; neither is counted stored.
// Their ids are deduplicated in memory, not written (a row each would outweigh what is kept), and
// forgotten when the message's writes roll back (a disk full under them), so its resend is taken. A
// real hub whose reserve is larger than any disk, its ingest called as the broker calls it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeHubEnvelope } from '@unibos/mesh-protocol';
import { createAdminSession } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';
import { tempHubDb } from './support/temp-hub-db.ts';
import { UplinkDedup } from '../src/ingest/uplink-dedup.ts';
import { IngestDispatcher } from '../src/ingest/ingest-dispatcher.ts';
import pino from 'pino';

const GW = '0000a11e';

test('at the disk reserve the ingest stores what it can for sensors the hub knows, raises the rest live only, says which, and writes no ids', async (t) => {
  const hub = await startTestHub({ sensorMinFreeBytes: Number.MAX_SAFE_INTEGER, dedupWindowMs: 0 });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const org = admin.orgId;
  assert.equal(hub.app.sensorHistory.adding, false, 'the hub is at its reserve');
  // What the hub kept before the disk filled: a plug's power, a Zigbee2MQTT bridge's kitchen sensor.
  const at = Date.now() - 60_000;
  for (const [sensorId, metric] of [['plug1', 'power'], ['z2m:kitchen', 'temperature']] as const) hub.app.sensors.add(org, { sensorId, metric, value: 20, raw: undefined, gatewayId: `!${GW}`, timeMs: at, receivedMs: at });

  let n = 0;
  const send = (topic: string, body: unknown, heldMs?: number) => {
    const id = `m${++n}`;
    const payload = encodeHubEnvelope({ msgId: id, source: 'test', format: 'json', payload: Buffer.from(JSON.stringify(body)), ...(heldMs !== undefined ? { heldMs } : {}) });
    return { id, outcome: hub.app.ingest.handle(org, GW, `unibos/v1/${topic}`, payload), again: () => hub.app.ingest.handle(org, GW, `unibos/v1/${topic}`, payload) };
  };
  const idsWritten = () => hub.app.db.prepare<[], number>('SELECT COUNT(*) FROM uplink_seen').pluck().get()!;
  const availability = () => Object.fromEntries(hub.app.sensors.list(org).map((s) => [s.id, s.availability?.state ?? null]));
  const written = idsWritten();

  assert.equal(send('sensor/plug1/$availability', 'offline').outcome, 'stored', 'a sensor with readings');
  assert.equal(send('sensor/z2m/$availability', 'offline').outcome, 'stored', 'a bridge with a device listed');
  const counter = send('sensor/counter-17/$availability', 'online');
  assert.equal(counter.outcome, 'live', 'a sensor the hub has nothing of');
  assert.equal(send('sensor/z2/$availability', 'online').outcome, 'live', 'a name z2m:kitchen only starts with');
  const held = send('sensor/plug1/power', 5, 3_600_000);
  assert.equal(held.outcome, 'live', 'a reading held an hour, older than all its metric kept');
  assert.equal(send('sensor/plug1/power', 30).outcome, 'stored');
  assert.deepEqual(availability(), { plug1: 'offline', 'z2m:kitchen': 'offline' }, 'the bridge (not listed: no readings of its own) takes its device with it; the new ids are not listed');
  assert.deepEqual(hub.app.sensors.readings(org, 'plug1', { metric: 'power', limit: 10 }).map((r) => r.value), [30], 'the new reading in place of the oldest; the held one nowhere');
  assert.deepEqual({ stored: hub.app.ingest.stats.stored, live: hub.app.ingest.stats.liveOnly }, { stored: 3, live: 3 });

  // A gateway resending them after a reconnect: each is known, and none of their ids was written.
  assert.equal(counter.again(), 'duplicate');
  assert.equal(held.again(), 'duplicate');
  assert.equal(idsWritten(), written);
  // A mesh frame's id is written as ever: the sensor reserve is about sensor data.
  assert.equal(send(`mesh/!beef0001/text`, { from: '!beef0001', to: 'broadcast', id: 1, rxTime: new Date().toISOString(), rssi: -70, snr: 6, hops: 0, gatewayId: GW, text: 'ok' }).outcome, 'stored');
  assert.equal(idsWritten(), written + 1);
});

test('ids kept in memory are bounded: the newest half at least are known, older ones forgotten; written ones are known either way', (t) => {
  const dedup = new UplinkDedup(tempHubDb(t, 'uplink-dedup'), 86_400_000, 4);
  const now = Date.now();
  assert.equal(dedup.firstTime('gw/written', now), true);
  assert.equal(dedup.firstTime('gw/written', now, false), false, 'a written id is a repeat in memory-only times too');
  for (const id of ['a', 'b', 'c', 'd', 'e']) assert.equal(dedup.firstTime(`gw/${id}`, now, false), true);
  assert.deepEqual(['e', 'd', 'c'].map((id) => dedup.firstTime(`gw/${id}`, now)), [false, false, false], 'the newest are known, written or not');
  assert.deepEqual(['a', 'b'].map((id) => dedup.firstTime(`gw/${id}`, now, false)), [true, true], 'the oldest are forgotten');
});

test('a message whose writes roll back is taken again when its gateway resends it, its id kept in memory or written', (t) => {
  const db = tempHubDb(t, 'ingest-rollback');
  let written = false;
  let failNext = true;
  const ingest = new IngestDispatcher({ dedup: new UplinkDedup(db), logger: pino({ level: 'silent' }), now: () => Date.now(), transaction: (fn) => db.transaction(fn)() });
  // The disk fills up under the write (SQLITE_FULL): the transaction rolls back, the broker does not acknowledge.
  ingest.route('sensor', () => {
    if (failNext) {
      failNext = false;
      throw new Error('SQLITE_FULL: database or disk is full');
    }
    return 'live';
  }, { idsWritten: () => written });
  // A gateway's status (its last will, published as its link drops) fails before any id is taken.
  ingest.route('gatewayStatus', () => {
    throw new Error('SQLITE_FULL: database or disk is full');
  });
  for (const mode of [false, true]) {
    written = mode;
    failNext = true;
    const payload = encodeHubEnvelope({ msgId: `r-${mode}`, source: 'test', format: 'json', payload: Buffer.from('21.5') });
    assert.throws(() => ingest.handle('org1', GW, 'unibos/v1/sensor/tank1/level', payload), /SQLITE_FULL/);
    assert.equal(ingest.handle('org1', GW, 'unibos/v1/sensor/tank1/level', payload), 'live', `resent (ids ${mode ? 'written' : 'in memory'}): taken, not a duplicate`);
    assert.equal(ingest.handle('org1', GW, 'unibos/v1/sensor/tank1/level', payload), 'duplicate', 'and once taken, a repeat is one');
    // Another message failing does not forget the id of the one taken before it.
    assert.throws(() => ingest.handle('org1', GW, `unibos/v1/gw/${GW}/status`, Buffer.from('{"state":"offline"}')), /SQLITE_FULL/);
    assert.equal(ingest.handle('org1', GW, 'unibos/v1/sensor/tank1/level', payload), 'duplicate', 'still a repeat after a later message failed');
  }
});
