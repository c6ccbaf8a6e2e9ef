// Priority holds on the way down too: downlinks that waited for a gateway go out alerts first when
// it returns, so a backlog of texts never delays a warning.

import assert from 'node:assert/strict';
import { test } from 'node:test';
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
