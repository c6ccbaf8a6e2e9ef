// When a reading was taken, through a gateway's real parts (its aedes broker, bridge, Tasmota
// profile, outbox and uplink) and a link to a real hub that goes down and comes back: a reading the
// gateway took while the link was down is stored at the hub as taken as long before it arrived as
// the gateway held it, not at the time the link came back, so hours of held readings are not one
// spike on the chart. A reading with a time of its own keeps it as its measuring time, as before.
// Only durations on the gateway's monotonic clock count, so a gateway whose wall clock is wrong (an
// off-grid Pi that has not found the time: 1970, or years off), or is stepped while it holds a
// reading (it finds the time by NTP or GPS as the link comes back), dates what it held just as right.
// A row queued before the gateway rebooted has no hold known (the monotonic clock starts again): the
// hub dates it at its arrival.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, createAdminSession, type TestSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { sensorGateway } from './support/sensor-gateway.ts';
import { startTestHub, type TestHub } from './support/test-hub.ts';

const HOUR = 3_600_000;

interface Reading {
  value: number;
  time: string;
  receivedAt?: string;
  measuredAt?: string;
}

async function readings(hub: TestHub, admin: TestSession, sensor: string, metric: string): Promise<Reading[]> {
  const r = await api(hub, admin, `/api/v1/sensors/${sensor}/readings?metric=${metric}&from=1970-01-01T00:00:00Z`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body.items as Reading[]).slice().reverse();
}

test('readings a gateway took while its hub link was down are stored as taken when it took them, not when the link came back', { timeout: 60_000 }, async (t) => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  // Three hours ago by the gateway's clock (and the hub's): the link goes down.
  const outageStart = Date.now() - 3 * HOUR;
  let gatewayNow = outageStart;
  // Its monotonic clock (counting from its boot) keeps pace with its wall clock here.
  let monoNow = 5_000;
  const monoAt = (wall: number) => 5_000 + (wall - outageStart);
  const gw = await sensorGateway(t, hub, admin, () => gatewayNow, () => monoNow);
  await gw.connect();
  await gw.cutOff();

  const tank = await gw.device('tank1');
  const plug = await gw.device('plug1', ['write tele/%u/#']);
  // Over the outage: a bare number (as most MQTT sensors send), a Tasmota reading (no time of its
  // own), and a home-made sensor that sends its own measuring time.
  const taken = [outageStart + 60_000, outageStart + HOUR, outageStart + 2 * HOUR];
  gatewayNow = taken[0]!;
  monoNow = monoAt(gatewayNow);
  await tank.publishAsync('unibos/v1/sensor/tank1/level', '41', { qos: 1 });
  gatewayNow = taken[1]!;
  monoNow = monoAt(gatewayNow);
  await plug.publishAsync('tele/plug1/SENSOR', JSON.stringify({ ENERGY: { Power: 27 } }), { qos: 1 });
  gatewayNow = taken[2]!;
  monoNow = monoAt(gatewayNow);
  const ownTime = new Date(taken[2]! - 30_000).toISOString();
  await tank.publishAsync('unibos/v1/sensor/tank1/level', JSON.stringify({ value: 42, time: ownTime }), { qos: 1 });
  assert.equal(gw.outbox.size, 3, 'all three held in the outbox while the hub cannot be reached');
  const whileDown = await api(hub, admin, '/api/v1/sensors');
  assert.deepEqual(whileDown.body.items, [], 'nothing reached the hub while the link was down');

  // Three hours later the link comes back; everything held goes up now.
  gatewayNow = Date.now();
  monoNow = monoAt(gatewayNow);
  const back = gatewayNow;
  gw.link.restore();
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'tank1' && e.data.value === 42, { what: 'the last held reading at the hub' });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'plug1', { what: 'the Tasmota reading at the hub' });
  const arrived = Date.now();
  const inArrival = (iso: string | undefined) => {
    const ms = Date.parse(iso ?? '');
    return ms >= back && ms <= arrived;
  };

  // Held from when it was taken until the link came back, by the gateway's (monotonic) clock.
  const heldFor = (at: number) => back - at;
  const level = await readings(hub, admin, 'tank1', 'level');
  assert.ok(level.every((r) => inArrival(r.receivedAt)), `the hub keeps when it got them too: ${JSON.stringify(level)}`);
  assert.deepEqual(
    level.map((r) => [r.value, Date.parse(r.receivedAt!) - Date.parse(r.time)]),
    [[41, heldFor(taken[0]!)], [42, heldFor(taken[2]!)]],
    'each reading is dated as long before it reached the hub as the gateway held it: hours before the link came back',
  );
  assert.equal(level[0]!.measuredAt, undefined, 'a bare number says nothing of when it was measured');
  assert.equal(level[1]!.measuredAt, ownTime, 'a reading with its own time keeps it as its measuring time');

  const power = await readings(hub, admin, 'plug1', 'energy_power');
  assert.ok(inArrival(power[0]!.receivedAt));
  assert.deepEqual(
    power.map((r) => [r.value, Date.parse(r.receivedAt!) - Date.parse(r.time), r.measuredAt]),
    [[27, heldFor(taken[1]!), undefined]],
    'a profile reading too, with no measuring time made up for the device',
  );

  // The latest values are the ones last taken, dated as taken.
  const latest = (await api(hub, admin, '/api/v1/sensors')).body.items as Array<{ id: string; lastSeen: string; metrics: Reading[] }>;
  const tank1 = latest.find((s) => s.id === 'tank1')!;
  assert.deepEqual([tank1.metrics[0]!.value, tank1.metrics[0]!.time, tank1.lastSeen], [42, level[1]!.time, level[1]!.time]);
});

test('a gateway whose wall clock is wrong, or is stepped while it holds a reading, dates it just as right: only how long it held it counts', { timeout: 60_000 }, async (t) => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  let gatewayNow = Date.now();
  let monoNow = 1_000;
  const gw = await sensorGateway(t, hub, admin, () => gatewayNow, () => monoNow);
  await gw.connect();
  const tank = await gw.device('tank1');
  const plug = await gw.device('plug1', ['write tele/%u/#']);

  const DAY = 24 * HOUR;
  // [what, the gateway's wall clock when it took the reading, its wall clock when the link came
  // back]; each time its monotonic clock advances 2 h between the two, so the hub should see 2 h.
  const cases: Array<[string, number, number]> = [
    // A Pi that has not found the time yet counts from 1970; another's clock has run years ahead.
    ['unset (1970)', 3 * DAY, 3 * DAY + 2 * HOUR],
    ['years ahead', Date.UTC(2090, 0, 1), Date.UTC(2090, 0, 1) + 2 * HOUR],
    // An off-grid Pi booted with its clock at its last shutdown, took readings, then found the time
    // (NTP, GPS) as the link came back: stepped days forward meanwhile.
    ['stepped days forward meanwhile', Date.now() - 5 * DAY, Date.now()],
    // Or its clock ran ahead and was set back days meanwhile.
    ['stepped days back meanwhile', Date.now() + 3 * DAY, Date.now()],
    ['stopped meanwhile', Date.now(), Date.now()],
  ];
  const held = 2 * HOUR;
  let n = 0;
  for (const [what, takenAt, sentAt] of cases) {
    n++;
    await gw.cutOff();
    gatewayNow = takenAt;
    await tank.publishAsync('unibos/v1/sensor/tank1/level', String(n), { qos: 1 });
    await plug.publishAsync('tele/plug1/SENSOR', JSON.stringify({ ENERGY: { Power: n } }), { qos: 1 });
    gatewayNow = sentAt;
    monoNow += held;
    const before = Date.now();
    gw.link.restore();
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'tank1' && e.data.value === n, { what: `the tank reading (${what})` });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'plug1' && e.data.value === n, { what: `the plug reading (${what})` });
    const after = Date.now();
    for (const [sensor, metric] of [['tank1', 'level'], ['plug1', 'energy_power']] as const) {
      const r = (await readings(hub, admin, sensor, metric)).find((x) => x.value === n);
      assert.ok(r, `${sensor} reading ${what} stored`);
      const received = Date.parse(r.receivedAt ?? '');
      assert.ok(received >= before && received <= after, `${sensor} (${what}): the hub keeps when it got it: ${JSON.stringify(r)}`);
      assert.equal(received - Date.parse(r.time), held, `${sensor} (${what}): dated ${held / HOUR} h before it reached the hub, whatever the wall clock said (${new Date(takenAt).toISOString()} then ${new Date(sentAt).toISOString()}): ${JSON.stringify(r)}`);
      assert.equal(r.measuredAt, undefined, `${sensor} (${what}): no measuring time made up from the gateway's clock`);
    }
  }
});

test('a reading queued before the gateway rebooted is dated at its arrival: how long it was held is not known', { timeout: 60_000 }, async (t) => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  // Its wall clock a week behind (a Pi back from a shutdown), which steps forward after the reboot.
  let gatewayNow = Date.now() - 7 * 24 * HOUR;
  let monoNow = 1_000;
  const gw = await sensorGateway(t, hub, admin, () => gatewayNow, () => monoNow);
  await gw.connect();
  await gw.cutOff();
  const tank = await gw.device('tank1');

  // Taken, then the gateway reboots with it still queued (the outbox on the same database; a new
  // boot, whose monotonic clock starts again).
  await tank.publishAsync('unibos/v1/sensor/tank1/level', '1', { qos: 1 });
  assert.equal(gw.outbox.size, 1);
  monoNow += 3 * HOUR;
  await gw.reopenOutbox();
  assert.equal(gw.outbox.size, 1, 'still queued after the reboot');
  assert.equal(gw.outbox.heldMs(gw.outbox.peek(1)[0]!), undefined, 'no hold known for a row from before the reboot');
  monoNow = 500;
  gatewayNow = Date.now();
  // One taken after the reboot: its hold is known again.
  await tank.publishAsync('unibos/v1/sensor/tank1/level', '2', { qos: 1 });
  monoNow += HOUR;

  const before = Date.now();
  gw.uplink.start();
  gw.link.restore();
  await gw.state('connected');
  for (const value of [1, 2]) {
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'tank1' && e.data.value === value, { what: `reading ${value} at the hub` });
  }
  const after = Date.now();
  const level = await readings(hub, admin, 'tank1', 'level');
  for (const r of level) {
    const received = Date.parse(r.receivedAt ?? '');
    assert.ok(received >= before && received <= after, `the hub keeps when it got it: ${JSON.stringify(r)}`);
  }
  assert.deepEqual(
    level.map((r) => [r.value, Date.parse(r.receivedAt!) - Date.parse(r.time)]).sort((a, b) => a[0]! - b[0]!),
    [[1, 0], [2, HOUR]],
    'the row from before the reboot is dated at its arrival (not days early by the stepped wall clock); the one after, as long before as it was held',
  );
});

test('readings taken a moment apart are taken in the order they came even when their holds date the later one a few ms earlier; seconds older is older', { timeout: 60_000 }, async (t) => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  let monoNow = 10_000;
  const gw = await sensorGateway(t, hub, admin, () => Date.now(), () => monoNow);
  await gw.connect();
  await gw.cutOff();
  const tank = await gw.device('tank1');
  // What a send just after another that arrives with it does, and rounding: the hold of the one
  // taken second comes out 5 ms longer, as if it were taken 5 ms before the first.
  await tank.publishAsync('unibos/v1/sensor/tank1/level', '1', { qos: 1 });
  monoNow -= 5;
  await tank.publishAsync('unibos/v1/sensor/tank1/level', '2', { qos: 1 });
  monoNow += 60_000;
  gw.link.restore();
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.value === 2, { what: 'the second reading' });
  const latest = async () => ((await api(hub, admin, '/api/v1/sensors')).body.items as Array<{ id: string; metrics: Reading[] }>).find((s) => s.id === 'tank1')!.metrics[0]!;
  assert.equal((await latest()).value, 2, 'the latest value is the one taken last');
  const [first, second] = await readings(hub, admin, 'tank1', 'level');
  assert.deepEqual([first!.value, second!.value], [1, 2], 'listed in the order taken');
  assert.ok(Date.parse(second!.time) >= Date.parse(first!.time), `not dated before the first: ${JSON.stringify([first, second])}`);

  // One held 5 s longer than the latest (a letter put back after the hub was fixed) is older.
  await gw.cutOff();
  await tank.publishAsync('unibos/v1/sensor/tank1/level', '3', { qos: 1 });
  monoNow -= 5_000;
  await tank.publishAsync('unibos/v1/sensor/tank1/level', '4', { qos: 1 });
  monoNow += 60_000;
  gw.link.restore();
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.value === 4, { what: 'the fourth reading' });
  assert.equal((await latest()).value, 3, 'a reading dated 5 s before the latest does not replace it');
  const [third, fourth] = (await readings(hub, admin, 'tank1', 'level')).slice(2);
  // Each dated its arrival less its hold: 5 s apart, less the time between their arrivals.
  const arrivals = Date.parse(fourth!.receivedAt!) - Date.parse(third!.receivedAt!);
  assert.equal(Date.parse(third!.time) - Date.parse(fourth!.time), 5_000 - arrivals, `dated as held: ${JSON.stringify([third, fourth])}`);
});
