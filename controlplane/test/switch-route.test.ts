// Switching a device from the hub (issue 14): the admin's request becomes a `switch` command on the
// gateway's tx topic under a ref; a gateway of the org that is away is a 503, one it does not have a 404.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';

test('POST /api/v1/gateways/:id/switch hands the gateway a switch command; away is 503, unknown 404', { timeout: 30_000 }, async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const post = (id: string, body: unknown) =>
    fetch(`${hub.url}/api/v1/gateways/${encodeURIComponent(id)}/switch`, { method: 'POST', headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const res = await post(`!${gw.id}`, { sensor: 'pump1', state: 'ON', channel: 1 });
  assert.equal(res.status, 202, await res.clone().text());
  const { ref } = (await res.json()) as { ref: string };
  assert.deepEqual(await gw.nextDownlink(), { ref, switch: { sensor: 'pump1', state: 'ON', channel: 1 } });

  // ESPHome names its switches: the name travels to the gateway; a channel and a name together are refused.
  const named = await post(`!${gw.id}`, { sensor: 'esp1', state: 'OFF', name: 'pump' });
  assert.equal(named.status, 202, await named.clone().text());
  const namedBody = (await named.json()) as { ref: string; name: string | null; channel: number | null };
  assert.deepEqual([namedBody.name, namedBody.channel], ['pump', null]);
  assert.deepEqual(await gw.nextDownlink(), { ref: namedBody.ref, switch: { sensor: 'esp1', state: 'OFF', name: 'pump' } });
  assert.equal((await post(`!${gw.id}`, { sensor: 'esp1', state: 'ON', name: 'pump', channel: 1 })).status, 400);
  assert.equal((await post(`!${gw.id}`, { sensor: 'esp1', state: 'ON', name: 'a/b' })).status, 400, 'one topic level');

  const bad = await post(`!${gw.id}`, { sensor: 'pump1', state: 'MAYBE' });
  assert.equal(bad.status, 400);
  const unknown = await post('!0badf00d', { sensor: 'pump1', state: 'ON' });
  assert.equal(unknown.status, 404);
  await gw.uplink.stop({ timeoutMs: 1000 });
  const away = await post(gw.id, { sensor: 'pump1', state: 'OFF' });
  assert.equal(away.status, 503);
});
