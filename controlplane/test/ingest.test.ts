// The hub's ingest end to end: gateways claimed through the API send over the real gateway
// uplink to the real hub broker; records, fleet state, events and downlinks are checked through
// the HTTP API, as an admin or a script would see them.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { hubConfigDefaults, runHub } from '../src/index.ts';
import { connect } from 'mqtt';
import { startTestHub } from './support/test-hub.ts';
import { createAdminSession, type TestSession, api } from './support/test-auth.ts';
import { TestGateway, claimDevice } from './support/test-gateway.ts';
import { testIdentity } from './support/test-identity.ts';
import { waitForEvent } from './support/hub-events.ts';


test('one frame heard by two gateways becomes one record with both receptions, and the node shows up online with its position', async () => {
  const hub = await startTestHub({ dedupWindowMs: 300 });
  const admin = await createAdminSession(hub);
  const a = await TestGateway.connect(hub, admin);
  const b = await TestGateway.connect(hub, admin);

  a.mesh('!11112222', 'position', { latitude: 47.5, longitude: 8.7, altitudeM: 400 }, { packetId: 77, rssi: -80, snr: 7, hops: 0 });
  b.mesh('!11112222', 'position', { latitude: 47.5, longitude: 8.7, altitudeM: 400 }, { packetId: 77, rssi: -110, snr: -3, hops: 1 });
  const event = await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position', { what: 'the position event' });

  const receptions = (event.data.receptions as Array<{ gatewayId: string; rssi: number }>).map((r) => [r.gatewayId, r.rssi]).sort();
  assert.deepEqual(receptions, [[`!${a.id}`, -80], [`!${b.id}`, -110]].sort(), 'the event carries both gateways\u2019 receptions');
  const records = await api(hub.url, admin, '/api/v1/records?node=!11112222');
  assert.equal(records.status, 200);
  assert.equal(records.body.items.length, 1, 'one record, not one per gateway');
  assert.equal(records.body.items[0].receptions.length, 2);
  assert.equal(records.body.items[0].data.latitude, 47.5);

  const node = await api(hub.url, admin, '/api/v1/nodes/!11112222');
  assert.equal(node.status, 200);
  assert.equal(node.body.online, true);
  assert.deepEqual([node.body.position.latitude, node.body.position.longitude], [47.5, 8.7]);
  assert.deepEqual(node.body.heardBy.map((h: { gatewayId: string }) => h.gatewayId).sort(), [`!${a.id}`, `!${b.id}`].sort());
  const gateways = await api(hub.url, admin, '/api/v1/nodes?kind=gateway');
  assert.deepEqual(gateways.body.items.map((g: { id: string; online: boolean }) => [g.id, g.online]), [[`!${a.id}`, true], [`!${b.id}`, true]].sort());
});

test('texts, telemetry and sensor readings are stored and queryable by node, kind and time with pagination', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const t0 = Date.parse('2026-11-20T10:00:00Z');
  for (let i = 0; i < 5; i++) gw.mesh('!aaaa0001', 'text', { text: `hello ${i}` }, { packetId: 100 + i, rxTime: new Date(t0 + i * 60_000).toISOString() });
  gw.mesh('!aaaa0001', 'telemetry', { batteryLevel: 64, voltage: 3.9 }, { packetId: 200 });
  gw.sensor('garden', 'temperature', '21.5');
  gw.sensor('garden', 'temperature', '{"value": 22, "unit": "°C", "deviceClass": "temperature", "time": "2026-11-20T09:59:30.000Z"}');
  const second = await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.value === 22, { what: 'the second reading' });
  assert.deepEqual([second.data.unit, second.data.deviceClass, second.data.measuredAt], ['°C', 'temperature', '2026-11-20T09:59:30.000Z']);
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.telemetry', { what: 'telemetry' });

  const page1 = await api(hub.url, admin, '/api/v1/records?node=aaaa0001&kind=text&limit=2');
  assert.deepEqual(page1.body.items.map((r: { data: { text: string } }) => r.data.text), ['hello 4', 'hello 3']);
  const page2 = await api(hub.url, admin, `/api/v1/records?node=aaaa0001&kind=text&limit=2&cursor=${page1.body.nextCursor}`);
  assert.deepEqual(page2.body.items.map((r: { data: { text: string } }) => r.data.text), ['hello 2', 'hello 1']);
  const window = await api(hub.url, admin, `/api/v1/records?kind=text&from=${new Date(t0 + 60_000).toISOString()}&to=${new Date(t0 + 3 * 60_000).toISOString()}`);
  assert.deepEqual(window.body.items.map((r: { data: { text: string } }) => r.data.text), ['hello 2', 'hello 1']);
  const node = await api(hub.url, admin, '/api/v1/nodes/!aaaa0001');
  assert.equal(node.body.battery, 64);
  const readings = await api(hub.url, admin, '/api/v1/sensors/garden/readings?metric=temperature');
  assert.deepEqual(readings.body.items.map((r: { value: number }) => r.value), [22, 21.5]);
  assert.deepEqual(
    readings.body.items.map((r: { unit?: string; deviceClass?: string; measuredAt?: string }) => [r.unit, r.deviceClass, r.measuredAt]),
    [['°C', 'temperature', '2026-11-20T09:59:30.000Z'], [undefined, undefined, undefined]],
    'the unit, class and measuring time the sensor gave are kept; a bare number has none',
  );
  const latest = await api(hub.url, admin, '/api/v1/sensors');
  const garden = latest.body.items.find((s: { id: string }) => s.id === 'garden') as { metrics: Array<{ unit?: string }> };
  assert.equal(garden.metrics[0]!.unit, '°C');
  const bad = await api(hub.url, admin, '/api/v1/records?kind=gossip');
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /kind/);
});

test('home-made sensor payloads: a Unix time (seconds or milliseconds) becomes when it was measured, an empty unit means none', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  gw.sensor('shed', 'temperature', '{"value": 21.5, "time": 1733480000}');
  gw.sensor('shed', 'temperature', '{"value": 22, "time": 1733480060123, "unit": ""}');
  const second = await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.value === 22, { what: 'the second reading' });
  assert.equal(second.data.measuredAt, '2024-12-06T10:14:20.123Z');
  assert.equal('unit' in second.data, false, 'an empty unit is no unit');
  const readings = await api(hub.url, admin, '/api/v1/sensors/shed/readings?metric=temperature');
  assert.deepEqual(
    readings.body.items.map((r: { value: number; unit?: string; measuredAt?: string }) => [r.value, r.unit, r.measuredAt]),
    [[22, undefined, '2024-12-06T10:14:20.123Z'], [21.5, undefined, '2024-12-06T10:13:20.000Z']],
  );
});

test('an SOS becomes one open alert however often the node repeats it; "I am safe" resolves it', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  gw.mesh('!bbbb0001', 'alert', { level: 'SOS', text: 'SOS', position: { latitude: 46.1, longitude: 7.2 } }, { packetId: 1 });
  gw.mesh('!bbbb0001', 'alert', { level: 'SOS', text: 'SOS' }, { packetId: 2 });
  const raised = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised', { what: 'alert.raised' });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.alert' && (e.data as { packetId: number }).packetId === 2, { what: 'the repeat' });
  const open = await api(hub.url, admin, '/api/v1/alerts?state=open');
  assert.equal(open.body.items.length, 1);
  assert.deepEqual(open.body.items[0].position, { latitude: 46.1, longitude: 7.2 });
  gw.mesh('!bbbb0001', 'alert', { level: 'SAFE', text: 'I am safe' }, { packetId: 3 });
  const resolved = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.resolved', { afterId: raised.id, what: 'alert.resolved' });
  assert.equal(resolved.data.id, raised.data.id);
  assert.equal((await api(hub.url, admin, '/api/v1/alerts?state=open')).body.items.length, 0);
});

test('a downlink goes to the gateway that heard the node, and its state follows the gateway report and the node\u2019s ack', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  gw.mesh('!cccc0001', 'info', { longName: 'Hut', shortName: 'HUT', role: 'CLIENT' }, { packetId: 5 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info', { what: 'the node info' });
  assert.equal((await api(hub.url, admin, '/api/v1/nodes/!cccc0001')).body.name, 'Hut');

  const sent = await api(hub.url, admin, '/api/v1/nodes/!cccc0001/messages', { method: 'POST', body: { text: 'water at the hut?' } });
  assert.equal(sent.status, 202);
  assert.equal(sent.body.status, 'queued');
  const command = await gw.nextDownlink();
  assert.deepEqual(command, { ref: sent.body.id, to: '!cccc0001', text: 'water at the hut?' });

  // Another gateway of the org reports on the command it was not given: ignored.
  const other = await TestGateway.connect(hub, admin);
  other.txStatus({ ref: sent.body.id, status: 'refused', error: 'made up' });
  other.sensor('other-marker', 'level', '1');
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'other-marker', { what: 'the other gateway\u2019s marker reading' });
  assert.equal((await api(hub.url, admin, `/api/v1/messages/${sent.body.id}`)).body.status, 'queued', 'only the gateway the message went to answers for it');

  gw.txStatus({ ref: sent.body.id, packetId: 4242, status: 'queued' });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'message.status' && e.data.status === 'sent', { what: 'sent' });
  gw.mesh('!cccc0001', 'ack', { requestId: 4242, error: 'NONE', to: `!${gw.id}` }, { packetId: 6 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'message.status' && e.data.status === 'delivered', { what: 'delivered' });
  assert.equal((await api(hub.url, admin, `/api/v1/messages/${sent.body.id}`)).body.status, 'delivered');

  const nobody = await api(hub.url, admin, '/api/v1/nodes/!dddd0001/messages', { method: 'POST', body: { text: 'hi' } });
  assert.equal(nobody.status, 404);
  const empty = await api(hub.url, admin, '/api/v1/nodes/!cccc0001/messages', { method: 'POST', body: { text: '' } });
  assert.equal(empty.status, 400);
});

test('a silent node goes offline after the configured silence, with an event', async () => {
  let now = Date.parse('2026-11-22T12:00:00Z');
  const hub = await startTestHub({ dedupWindowMs: 0, offlineAfterS: 60 }, { now: () => now });
  const admin = await createAdminSession(hub);
  const pump = testIdentity();
  const claim = (await claimDevice(hub, admin, 'node', pump, 'Pump')) as { deviceToken: string };
  const beat = (body: unknown) => fetch(`${hub.url}/api/v1/devices/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${claim.deviceToken}` }, body: JSON.stringify(body) });
  assert.equal((await beat({ battery: 80, position: { latitude: 1, longitude: 2 } })).status, 204);
  const online = await waitForEvent(hub, admin.orgId, (e) => e.type === 'node.online' && e.data.id === `!${pump.id}`, { what: 'online' });
  assert.equal((await beat({ battery: 150 })).status, 400);
  assert.equal((await fetch(`${hub.url}/api/v1/devices/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${claim.deviceToken}x` }, body: '{}' })).status, 401);

  now += 59_000;
  assert.equal(hub.app.fleet.sweeper.runOnce(), 0, 'still within the limit');
  now += 2_000;
  assert.equal(hub.app.fleet.sweeper.runOnce(), 1);
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'node.offline' && e.data.id === `!${pump.id}`, { afterId: online.id, what: 'offline' });
  const node = await api(hub.url, admin, `/api/v1/nodes/!${pump.id}`);
  assert.equal(node.body.online, false);
  assert.equal(node.body.name, 'Pump');
  assert.equal(node.body.claimed, true);
});

test('the hub broker refuses unknown gateways and topics outside a gateway\u2019s own', async () => {
  const hub = await startTestHub();
  const admin = await createAdminSession(hub);
  const refused = await new Promise<string>((resolve) => {
    const c = connect(`mqtt://127.0.0.1:${hub.mqttPort}`, { clientId: '12345678', username: '12345678', password: 'nope', protocolVersion: 4, reconnectPeriod: 0 });
    c.on('error', (err) => {
      c.end(true);
      resolve(err.message);
    });
  });
  assert.match(refused, /Bad username or password|Not authorized/i);
  const claim = (await claimDevice(hub, admin, 'gateway')) as { mqtt: { url: string; username: string; password: string } };
  const client = connect(claim.mqtt.url, { clientId: claim.mqtt.username, username: claim.mqtt.username, password: claim.mqtt.password, protocolVersion: 4, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => (client.once('connect', () => resolve()), client.once('error', reject)));
  await assert.rejects(client.subscribeAsync('unibos/v1/gw/00000001/tx', { qos: 1 }), /Subscribe error/, 'another gateway\u2019s downlinks are refused');
  const own = await client.subscribeAsync(`unibos/v1/gw/${claim.mqtt.username}/tx`, { qos: 1 });
  assert.equal(own[0]!.qos, 1);
  assert.ok(!client.disconnecting && client.connected, 'a refused subscription does not cost the connection');
  await client.endAsync();
});

test('heartbeats of an online node are written together, and none is lost by a clean stop', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-hub-beats-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const hub = await startTestHub({ dataDir });
  const admin = await createAdminSession(hub);
  const beater = testIdentity();
  const claim = (await claimDevice(hub, admin, 'node', beater)) as { deviceToken: string };
  const beat = (body: unknown) => fetch(`${hub.url}/api/v1/devices/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${claim.deviceToken}` }, body: JSON.stringify(body) });
  assert.equal((await beat({ battery: 90 })).status, 204);
  for (const battery of [80, 70, 60]) assert.equal((await beat({ battery })).status, 204);
  assert.equal((await beat({ position: { latitude: 10, longitude: 20 } })).status, 204);
  assert.equal((await api(hub.url, admin, `/api/v1/nodes/!${beater.id}`)).body.battery, 60, 'a read sees the latest beat');
  assert.equal((await beat({ battery: 55 })).status, 204);
  await hub.stop();
  const again = await runHub({ ...hubConfigDefaults(dataDir), httpPort: 0, mqttPort: 0 }, { logger: pino({ level: 'silent' }) });
  after(() => again.stop());
  const node = await api(again.url, admin, `/api/v1/nodes/!${beater.id}`);
  assert.equal(node.body.battery, 55, 'the last beat before the stop was written');
  assert.deepEqual([node.body.position.latitude, node.body.position.longitude], [10, 20], 'an earlier beat\u2019s position is kept when a later one omits it');
});

test('a message the hub cannot store is not acknowledged: the gateway keeps it and it arrives once storage is back', { timeout: 30_000 }, async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const db = hub.app.db;
  db.pragma('query_only = ON'); // every write now fails, as on a full disk
  const refusedOnce = new Promise<void>((resolve) => {
    const off = gw.uplink.onState((s) => {
      if (s === 'disconnected') {
        off();
        resolve();
      }
    });
  });
  gw.mesh('!ffff0001', 'text', { text: 'written while the disk was full' }, { packetId: 9 });
  await refusedOnce;
  assert.equal(gw.outbox.stats.acked, 0, 'no PUBACK: the message is still in the gateway\u2019s outbox');
  db.pragma('query_only = OFF');
  const stored = await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.text', { what: 'the text after storage came back' });
  assert.equal((stored.data as { data: { text: string } }).data.text, 'written while the disk was full');
  assert.equal((await api(hub.url, admin, '/api/v1/records?kind=text')).body.items.length, 1, 'stored once');
});

test('a hub whose broker port is taken fails to start with a clear error and leaves nothing running', { timeout: 20_000 }, async () => {
  const blocker = await startTestHub();
  await assert.rejects(startTestHub({ mqttPort: blocker.mqttPort }), (err: Error & { code?: string }) => err.code === 'E_CONFIG' && /mqttPort/.test(err.message));
});

test('a position heard late (it waited in a gateway\u2019s outbox) does not move the node back to where it was', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const nowAt = new Date().toISOString();
  gw.mesh('!1234abcd', 'position', { latitude: 41.01, longitude: 28.97 }, { packetId: 501, rxTime: nowAt });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.packetId === 501, { what: 'the current position' });
  const earlierAt = new Date(Date.now() - 30 * 60_000).toISOString();
  gw.mesh('!1234abcd', 'position', { latitude: 40.0, longitude: 29.5 }, { packetId: 500, rxTime: earlierAt });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.packetId === 500, { what: 'the late position' });
  const node = await api(hub.url, admin, '/api/v1/nodes/!1234abcd');
  assert.equal(node.status, 200);
  assert.deepEqual([node.body.position.latitude, node.body.position.longitude, node.body.position.time], [41.01, 28.97, nowAt], 'the newest position stays');
  const records = await api(hub.url, admin, '/api/v1/records?node=!1234abcd&kind=position');
  assert.equal(records.body.items.length, 2, 'the late one is still kept as a record');

  // A gateway whose clock runs three minutes ahead does not hold off the positions that follow.
  gw.mesh('!1234abcd', 'position', { latitude: 41.02, longitude: 28.98 }, { packetId: 502, rxTime: new Date(Date.now() + 3 * 60_000).toISOString() });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.packetId === 502, { what: 'the position from a clock ahead' });
  gw.mesh('!1234abcd', 'position', { latitude: 41.03, longitude: 28.99 }, { packetId: 503, rxTime: new Date(Date.now() + 1000).toISOString() });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.packetId === 503, { what: 'the next position' });
  const moved = await api(hub.url, admin, '/api/v1/nodes/!1234abcd');
  assert.deepEqual([moved.body.position.latitude, moved.body.position.longitude], [41.03, 28.99]);
});

test('an SOS whose position is off the globe keeps the node\u2019s last known position instead', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  gw.mesh('!bbbb00a1', 'position', { latitude: 41.01, longitude: 28.97 }, { packetId: 1 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.packetId === 1, { what: 'the position' });
  gw.mesh('!bbbb00a1', 'alert', { level: 'SOS', text: 'SOS', requestId: 9, position: { latitude: 91.5, longitude: 200 } }, { packetId: 2 });
  const raised = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised', { what: 'alert.raised' });
  assert.deepEqual(raised.data.position, { latitude: 41.01, longitude: 28.97 });
  // A repeat with a position off the globe does not move it either.
  gw.mesh('!bbbb00a1', 'alert', { level: 'SOS', text: 'SOS', requestId: 9, position: { latitude: -300, longitude: 10 } }, { packetId: 3 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.alert' && e.data.packetId === 3, { what: 'the repeat' });
  const open = await api(hub.url, admin, '/api/v1/alerts?state=open');
  assert.deepEqual(open.body.items[0].position, { latitude: 41.01, longitude: 28.97 });
});

test('a frame calling a claimed node a gateway does not make it one', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const device = testIdentity();
  await claimDevice(hub, admin, 'node', device, 'Team Bravo');
  const nodeId = `!${device.id}`;
  gw.mesh(nodeId, 'info', { longName: 'Team Bravo', shortName: 'TB', role: 'GATEWAY' }, { packetId: 1 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === nodeId, { what: 'the info frame' });
  const node = await api(hub.url, admin, `/api/v1/nodes/${nodeId}`);
  assert.equal(node.status, 200);
  assert.equal(node.body.kind, 'node', 'claimed as a node, it stays one');
  const nodes = await api(hub.url, admin, '/api/v1/nodes?kind=node');
  assert.ok(nodes.body.items.some((n: { id: string }) => n.id === nodeId), 'listed among the nodes');
});

test("a frame's time: the gateway's clock while it agrees with the hub's reckoning from the whole time it held the frame; a lower bound only catches a clock ahead", async () => {
  const { receiveTimeMs } = await import('../src/ingest/mesh-uplink.ts');
  const now = Date.UTC(2026, 11, 7, 14);
  const at = (ms: number) => new Date(ms).toISOString();
  const hour = 3_600_000;
  // Held a whole hour on one boot: a clock 2 days behind is wrong, one 2 minutes off is skew.
  assert.equal(receiveTimeMs(at(now - hour - 2 * 86_400_000), now, hour, true), now - hour);
  assert.equal(receiveTimeMs(at(now - hour - 120_000), now, hour, true), now - hour - 120_000);
  assert.equal(receiveTimeMs(at(now + 86_400_000), now, hour, true), now - hour);
  // Held at least an hour (queued before a reboot, or a letter put back): heard 4 hours ago is
  // possible, and stays; heard "in the future" of that bound is not.
  assert.equal(receiveTimeMs(at(now - 4 * hour), now, hour, false), now - 4 * hour);
  assert.equal(receiveTimeMs(at(now - 10 * 60_000), now, hour, false), now - hour);
  // No hold said (an older gateway): only a clock ahead of the hub's, or before 2000.
  assert.equal(receiveTimeMs(at(now - 2 * 86_400_000), now), now - 2 * 86_400_000);
  assert.equal(receiveTimeMs(at(now + hour), now), now);
  assert.equal(receiveTimeMs('1970-01-01T00:00:05Z', now), now);
  assert.equal(receiveTimeMs('not a time', now), now);
});
