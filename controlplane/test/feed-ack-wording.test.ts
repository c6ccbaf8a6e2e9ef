// The live feed's line for an ack a gateway heard between two nodes says who took whose message:
// a bare green "delivered" under someone's SOS read as "the SOS (or our message) was delivered".

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';

test('an ack heard between two nodes is said as one node receiving the other\u2019s message, not as "delivered"', { timeout: 60_000 }, async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  // School (!0000aaaa) acknowledges a packet of Clinic's (!0000bbbb), as the gateway's bridge publishes it.
  gw.mesh('!0000aaaa', 'ack', { error: 'NONE', requestId: 77 }, { packetId: 501, to: '!0000bbbb' });
  gw.mesh('!0000aaaa', 'ack', { error: 'NOT_OPENED', requestId: 78 }, { packetId: 502, to: '!0000bbbb' });
  // A node's report about its own message (to itself): it could not send it.
  gw.mesh('!0000aaaa', 'ack', { error: 'MAX_RETRANSMIT', requestId: 79 }, { packetId: 503, to: '!0000aaaa' });
  const ok = await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.ack' && (e.data as { packetId?: number }).packetId === 501, { what: 'the ack' });
  const failed = await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.ack' && (e.data as { packetId?: number }).packetId === 502, { what: 'the failed ack' });
  const own = await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.ack' && (e.data as { packetId?: number }).packetId === 503, { what: 'the node\u2019s own failure' });

  // The feed's wording, in English as a browser would load it.
  const g = globalThis as Record<string, unknown>;
  g.navigator ??= { language: 'en-GB', languages: ['en-GB'] };
  g.localStorage ??= { getItem: () => null, setItem: () => undefined };
  g.document ??= { documentElement: {} };
  const { describe } = (await import(new URL('../public/js/views/feed-view.js', import.meta.url).href)) as { describe: (e: unknown, fleet: unknown) => { kind: string; who: string; what: string; tone?: string } };
  const names: Record<string, string> = { '!0000aaaa': 'School', '!0000bbbb': 'Clinic' };
  const fleet = { label: (id: string) => names[id] ?? id };
  const line = describe({ topic: 'mesh', type: ok.type, data: { ...(ok.data as object), nodeName: null } }, fleet);
  assert.deepEqual([line.kind, line.who, line.what, line.tone], ['Ack', 'School', 'received a message from Clinic', undefined]);
  const bad = describe({ topic: 'mesh', type: failed.type, data: { ...(failed.data as object), nodeName: null } }, fleet);
  assert.equal(bad.tone, 'bad');
  assert.match(bad.what, /^could not take a message from Clinic: /);
  const self = describe({ topic: 'mesh', type: own.type, data: { ...(own.data as object), nodeName: null } }, fleet);
  assert.deepEqual([self.who, self.tone], ['School', 'bad']);
  assert.match(self.what, /^could not send a message: /);
});
