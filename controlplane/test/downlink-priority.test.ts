// Priority holds on the way down too: downlinks that waited for a gateway go out alerts first when
// it returns, so a backlog of texts never delays a warning.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GATEWAY_TX_REASONS } from '@unibos/mesh-protocol';
import { waitForEvent } from './support/hub-events.ts';
import { createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';

test('downlinks queued while a gateway was away go out alerts first when it reconnects', { timeout: 30_000 }, async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  gw.mesh('!cccc0002', 'info', { longName: 'Ridge', shortName: 'RDG', role: 'CLIENT' }, { packetId: 5 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info', { what: 'the node heard' });
  await gw.uplink.stop({ timeoutMs: 1000 });

  const send = async (body: unknown) => {
    const res = await fetch(`${hub.url}/api/v1/nodes/!cccc0002/messages`, { method: 'POST', headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  };
  const texts = [await send({ text: 'one' }), await send({ text: 'two' }), await send({ text: 'three' })];
  const alert = await send({ alert: { level: 'WARNING', text: 'flood coming' } });

  gw.uplink.start();
  // Downlinks are at least once (the gateway drops a repeated ref): the order of first arrivals counts.
  const order: unknown[] = [];
  while (order.length < 4) {
    const ref = (await gw.nextDownlink()).ref;
    if (!order.includes(ref)) order.push(ref);
  }
  assert.deepEqual(order, [alert, ...texts]);
});

test('a broadcast sent while no gateway is connected waits for one and goes out when it connects; one that waited over an hour is given up, saying why', { timeout: 30_000 }, async () => {
  let offset = 0;
  const hub = await startTestHub({ dedupWindowMs: 0 }, { now: () => Date.now() + offset });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  await gw.uplink.stop({ timeoutMs: 1000 });

  let token = admin.accessToken;
  const broadcast = async (text: string) => {
    const res = await fetch(`${hub.url}/api/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ alert: { level: 'EARTHQUAKE', text } }) });
    assert.equal(res.status < 300, true, await res.clone().text());
    const m = (await res.json()) as { id: string; status: string };
    assert.equal(m.status, 'queued');
    return m.id;
  };
  const stale = await broadcast('M5.1 two hours ago');
  offset = 61 * 60_000;
  // An hour on, the admin's login is renewed as the browser would.
  const renewed = await fetch(`${hub.url}/api/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: admin.refreshToken }) });
  token = ((await renewed.json()) as { accessToken: string }).accessToken;
  const fresh = await broadcast('M6.0 just now');
  gw.uplink.start();
  assert.equal((await gw.nextDownlink()).ref, fresh, 'the warning went out once a gateway connected');
  const gaveUp = await waitForEvent(hub, admin.orgId, (e) => e.type === 'message.status' && e.data.id === stale && e.data.status === 'failed', { what: 'the stale broadcast given up' });
  assert.equal(gaveUp.data.error, GATEWAY_TX_REASONS.staleBroadcast);
});
