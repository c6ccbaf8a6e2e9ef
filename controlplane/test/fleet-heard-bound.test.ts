// Anyone on the public channel can make up node ids, and every frame a gateway hears lists its
// sender in the org's fleet. The hub keeps at most maxHeardNodes nodes an org heard but did not
// claim: the least recently heard beyond it is forgotten, never a claimed device and never a node
// with an alert open.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, createAdminSession } from './support/test-auth.ts';
import { claimDevice, TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';
import { waitForEvent } from './support/hub-events.ts';
import { launch, openPage, signIn } from './support/ui-browser.ts';
import { testIdentity } from './support/test-identity.ts';

test('made-up node ids cannot grow the fleet past its bound; the SOS and the claimed stay, and an open Fleet screen drops the forgotten', async (t) => {
  const hub = await startTestHub({ dedupWindowMs: 0, maxHeardNodes: 3 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems } = await openPage(browser, hub, { size: 'laptop' });
  await signIn(page, hub, admin, '#/fleet');
  let packetId = 1;
  const hear = async (node: string, kind = 'text', body: Record<string, unknown> = { text: 'hi' }) => {
    const id = packetId++;
    gw.mesh(node, kind, body, { packetId: id });
    await waitForEvent(hub, admin.orgId, (e) => e.type === `mesh.${kind}` && (e.data as { packetId?: number }).packetId === id, { what: `${node} heard` });
  };
  // A claimed node heard long ago, a person's SOS, a real node that keeps talking, then a flood
  // of made-up ids, some of them announcing themselves as gateways.
  const claimed = testIdentity();
  await claimDevice(hub, admin, 'node', claimed, 'Water tower');
  await hear(`!${claimed.id}`);
  await hear('!5e000001', 'alert', { level: 'SOS', text: 'SOS' });
  await hear('!5e000002');
  for (let i = 0; i < 6; i++) {
    const fake = `!f1a0d${String(i).padStart(3, '0')}`;
    await hear(fake);
    if (i < 3) await hear(fake, 'info', { longName: `gw ${i}`, shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' });
    await hear('!5e000002');
  }
  const nodes = await api(hub, admin, '/api/v1/nodes?claimed=false&limit=100');
  assert.equal(nodes.status, 200);
  const ids = (nodes.body.items as Array<{ id: string }>).map((n) => n.id).sort();
  assert.ok(ids.includes('!5e000001'), `the node with an open SOS stays: ${ids.join(' ')}`);
  assert.ok(ids.includes('!5e000002'), `the node heard all along stays: ${ids.join(' ')}`);
  assert.ok(ids.includes('!f1a0d005'), 'the one heard last stays');
  assert.equal(ids.length, 3, `the bound holds: ${ids.join(' ')}`);
  const all = (await api(hub, admin, '/api/v1/nodes?limit=100')).body.items as Array<{ id: string }>;
  assert.ok(all.some((n) => n.id === `!${gw.id}`), 'the claimed gateway stays');
  assert.ok(all.some((n) => n.id === `!${claimed.id}`), 'the claimed node stays, however long ago it was heard');
  assert.equal(all.length, 3 + 2, `the bound holds for ids that call themselves gateways too: ${all.map((n) => n.id).join(' ')}`);
  // The open Fleet screen lists what the hub keeps, without a reload.
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'node.forgotten' && e.data.id === '!f1a0d004', { what: 'the next to last made-up id forgotten' });
  const shown = () => page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.nodeId).sort());
  await page.waitForFunction((n) => document.querySelectorAll('tbody tr').length === n, all.length);
  assert.deepEqual(await shown(), all.map((n) => n.id).sort());
  assert.deepEqual(problems, []);
  // Counted where operators look: each made-up id but the last was forgotten for the next one.
  const metrics = await (await fetch(`${hub.url}/metrics`)).text();
  assert.match(metrics, /^unibos_hub_fleet_forgotten_total 5$/m);
});
