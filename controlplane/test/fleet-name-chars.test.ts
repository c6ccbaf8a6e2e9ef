// A node's name is cut to the 64 characters the hub keeps by characters, not UTF-16 units: an emoji
// at the cut stays whole or goes whole, never half of it stored as U+FFFD.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';
import { waitForEvent } from './support/hub-events.ts';

test('a name of 63 letters and an emoji is shown whole, in the fleet and in the records, and a longer one loses whole characters', async (t) => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const name = `Pompa istasyonu kuzey ${'.'.repeat(41)}🚨`;
  assert.equal([...name].length, 64);
  const announce = async (node: string, longName: string, packetId: number) => {
    gw.mesh(node, 'info', { longName, shortName: 'PMP', role: 'CLIENT' }, { packetId });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && (e.data as { packetId?: number }).packetId === packetId, { what: `${node} announced` });
  };
  await announce('!cccc0011', name, 1);
  await announce('!cccc0012', `${name}🚨x`, 2);
  const nodes = (await api(hub, admin, '/api/v1/nodes')).body.items as Array<{ id: string; name: string | null }>;
  const nameOf = (id: string): string | null | undefined => nodes.find((n) => n.id === id)?.name;
  assert.equal(nameOf('!cccc0011'), name, 'the emoji whole');
  assert.equal(nameOf('!cccc0012'), name, 'cut after 64 whole characters');
  for (const n of nodes) assert.ok(!n.name?.includes('\uFFFD'), `${n.id}: ${n.name}`);
  const records = (await api(hub, admin, '/api/v1/records?limit=50')).body;
  assert.doesNotMatch(JSON.stringify(records), /\\ufffd|\uFFFD/, 'no half emoji in the records');
});
