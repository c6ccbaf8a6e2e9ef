// The switch result reaches the admin (issue 14): a switch command is kept under its ref, and the
// gateway's txstatus reports (sent over its real uplink, in the shape the gateway's bridge writes
// them) move it to queued and then confirmed / unconfirmed / refused, each a `switch.status` event
// and visible at GET /api/v1/switches/:ref; a late report never reopens an answered command, and
// another gateway cannot answer for the one the command went to.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';

test('a switch command is followed from sent to confirmed, refused or unconfirmed, by events and by GET /api/v1/switches/:ref', { timeout: 60_000 }, async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const other = await TestGateway.connect(hub, admin);
  const headers = { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/json' };
  const send = async (body: Record<string, unknown>): Promise<string> => {
    const res = await fetch(`${hub.url}/api/v1/gateways/!${gw.id}/switch`, { method: 'POST', headers, body: JSON.stringify(body) });
    assert.equal(res.status, 202, await res.clone().text());
    const c = (await res.json()) as { ref: string; status: string; sensor: string; gatewayId: string };
    assert.equal(c.status, 'sent');
    assert.equal(c.gatewayId, `!${gw.id}`);
    const command = await gw.nextDownlink();
    assert.equal(command.ref, c.ref);
    return c.ref;
  };
  const get = async (ref: string) => {
    const res = await fetch(`${hub.url}/api/v1/switches/${ref}`, { headers });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const statusEvent = (ref: string, status: string) =>
    waitForEvent(hub, admin.orgId, (e) => e.type === 'switch.status' && e.data.ref === ref && e.data.status === status, { what: `switch ${ref} ${status}` });

  const pump = await send({ sensor: 'pump1', state: 'ON', channel: 1 });
  await statusEvent(pump, 'sent');
  assert.equal((await get(pump)).body.status, 'sent');

  gw.txStatus({ ref: pump, status: 'queued' });
  await statusEvent(pump, 'queued');
  gw.txStatus({ ref: pump, status: 'confirmed', state: 'ON' });
  const confirmed = await statusEvent(pump, 'confirmed');
  assert.equal(confirmed.topic, 'messages');
  assert.deepEqual(
    { sensor: confirmed.data.sensor, requested: confirmed.data.requested, channel: confirmed.data.channel, state: confirmed.data.state, error: confirmed.data.error },
    { sensor: 'pump1', requested: 'ON', channel: 1, state: 'ON', error: null },
  );

  // A late report for the answered pump, then a refusal of a siren: once the refusal is in, so is the late report (one connection keeps order).
  const siren = await send({ sensor: 'siren', state: 'TOGGLE' });
  gw.txStatus({ ref: pump, status: 'unconfirmed', error: 'pump1 did not report POWER1 ON within 10000 ms' });
  gw.txStatus({ ref: siren, status: 'refused', error: 'no readings seen from siren on this gateway: its family is not known yet' });
  await statusEvent(siren, 'refused');
  const pumpNow = await get(pump);
  assert.equal(pumpNow.status, 200);
  assert.equal(pumpNow.body.status, 'confirmed', 'a late report must not reopen a confirmed switch');
  assert.equal(pumpNow.body.state, 'ON');
  const sirenNow = (await get(siren)).body;
  assert.equal(sirenNow.status, 'refused');
  assert.match(String(sirenNow.error), /family is not known/);
  assert.equal(sirenNow.state, null);

  // Another gateway of the same org reports on a command that was not sent to it: ignored.
  const valve = await send({ sensor: 'valve', state: 'OFF' });
  other.txStatus({ ref: valve, status: 'confirmed', state: 'OFF' });
  other.sensor('other-marker', 'level', '1');
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'other-marker', { what: 'the other gateway\u2019s marker reading' });
  assert.equal((await get(valve)).body.status, 'sent', 'only the gateway the command went to answers for it');
  gw.txStatus({ ref: valve, status: 'unconfirmed', error: 'valve did not report' });
  await statusEvent(valve, 'unconfirmed');

  // Texts and alerts still follow their own refs on the same topic.
  assert.equal((await get('00000000-0000-4000-8000-000000000000')).status, 404);
});

test('the admin feed says what became of a switch', async () => {
  // A browser module (plain JS, no declarations): imported by a computed path, typed by hand, with
  // the little of a browser its imports touch when loaded (the UI language: English).
  const g = globalThis as Record<string, unknown>;
  g.navigator ??= { language: 'en-GB', languages: ['en-GB'] };
  g.localStorage ??= { getItem: () => null, setItem: () => undefined };
  g.document ??= { documentElement: {} };
  const feedView = new URL('../public/js/views/feed-view.js', import.meta.url).href;
  const { describe } = (await import(feedView)) as { describe: (e: unknown, fleet: unknown) => { kind: string; who: string; what: string; tone?: string } };
  const fleet = { label: (id: string) => (id === '!0a0b0c0d' ? 'Well gateway' : id) };
  const base = { ref: 'r', gatewayId: '!0a0b0c0d', sensor: 'pump1', requested: 'ON', channel: 1, state: null, error: null };
  const line = (data: Record<string, unknown>) => describe({ topic: 'messages', type: 'switch.status', data: { ...base, ...data } }, fleet);
  assert.deepEqual(line({ status: 'confirmed', state: 'ON' }), { kind: 'Switch', who: 'pump1 at Well gateway', what: 'ON on channel 1: confirmed ON', tone: 'good' });
  assert.equal(line({ status: 'refused', error: 'no such device' }).tone, 'bad');
  assert.match(line({ status: 'refused', error: 'no such device' }).what, /refused \(no such device\)/);
  assert.equal(line({ status: 'queued' }).tone, undefined);
});
