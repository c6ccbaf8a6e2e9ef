// What the hub keeps of a sensor's availability (sensor/{id}/$availability through a gateway's real
// uplink): "offline since" is when it went offline, not when it last repeated so (a retained last
// will is sent again at every reconnect of the gateway); only a change raises `sensor.availability`;
// and its availability is never stored as a metric.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topics } from '@unibos/mesh-protocol';
import { api, createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';

test('offline since the first report of it; a repeat changes neither the time nor raises an event; back online is a new since', { timeout: 60_000 }, async () => {
  const start = Date.now();
  let clock = start;
  const hub = await startTestHub({ dedupWindowMs: 0 }, { now: () => clock });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  /** `iso` is `at` on the hub's clock, less the few milliseconds the gateway held the message. */
  const at = (iso: unknown, ms: number): boolean => typeof iso === 'string' && Date.parse(iso) <= ms && Date.parse(iso) > ms - 1000;
  const availability = async () => ((await api(hub, admin, '/api/v1/sensors')).body.items as Array<{ id: string; availability?: { state: string; since: string }; metrics: Array<{ metric: string }> }>).find((s) => s.id === 'tank1');
  const changes = () => (hub.app.events as unknown as { after(orgId: string, afterId: number, limit: number): Array<{ type: string; data: Record<string, unknown> }> }).after(admin.orgId, 0, 10_000).filter((e) => e.type === 'sensor.availability');

  gw.sensor('tank1', 'level', '41');
  gw.outbox.add({ source: 'sensor:tank1', topic: topics.sensorAvailability('tank1'), payload: 'offline' });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.availability' && e.data.state === 'offline', { what: 'offline' });
  const first = (await availability())?.availability;
  assert.ok(first?.state === 'offline' && at(first.since, start), JSON.stringify(first));

  // A minute later the same word again (the gateway reconnected; its retained will came again).
  clock = start + 60_000;
  gw.outbox.add({ source: 'sensor:tank1', topic: topics.sensorAvailability('tank1'), payload: JSON.stringify({ state: 'offline' }) });
  gw.sensor('tank1', 'level', '42');
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.value === 42, { what: 'the reading after the repeat' });
  assert.deepEqual((await availability())?.availability, first, 'still offline since the first report');
  assert.equal(changes().length, 1, 'a repeat is no change');

  clock = start + 120_000;
  gw.outbox.add({ source: 'sensor:tank1', topic: topics.sensorAvailability('tank1'), payload: 'online' });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.availability' && e.data.state === 'online', { what: 'online' });
  const back = await availability();
  assert.ok(back?.availability?.state === 'online' && at(back.availability.since, start + 120_000), JSON.stringify(back));
  assert.deepEqual(back?.metrics.map((m) => m.metric), ['level'], 'availability is not a metric');
  assert.deepEqual(changes().map((e) => [e.data.sensorId, e.data.state, e.data.since]), [
    ['tank1', 'offline', first.since],
    ['tank1', 'online', back.availability.since],
  ]);
});

test('a device that has only said it is there is listed, with no readings, until its first one', { timeout: 60_000 }, async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const listed = async () => (await api(hub, admin, '/api/v1/sensors')).body.items as Array<{ id: string; lastSeen: string; availability?: { state: string }; metrics: Array<{ metric: string }> }>;

  gw.sensor('boiler', 'temperature', '61');
  // A Tasmota plug's LWT says Online as it connects; its telemetry comes minutes later.
  gw.outbox.add({ source: 'sensor:plug9', topic: topics.sensorAvailability('plug9'), payload: 'online' });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.availability' && e.data.sensorId === 'plug9', { what: 'the plug online' });
  const before = await listed();
  assert.deepEqual(before.map((s) => s.id), ['boiler', 'plug9'], 'listed with the sensors that sent readings, by id');
  const plug = before.find((s) => s.id === 'plug9')!;
  assert.deepEqual(plug.metrics, []);
  assert.equal(plug.availability?.state, 'online');
  assert.ok(Date.now() - Date.parse(plug.lastSeen) < 60_000, `last seen when it said so: ${plug.lastSeen}`);

  gw.sensor('plug9', 'power', '30');
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'plug9', { what: 'the plug\u2019s first reading' });
  const after = (await listed()).find((s) => s.id === 'plug9');
  assert.deepEqual(after?.metrics.map((m) => m.metric), ['power']);
  assert.equal(after?.availability?.state, 'online');
});
