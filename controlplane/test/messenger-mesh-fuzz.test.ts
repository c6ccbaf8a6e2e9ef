// Untrusted input to mesh conversations (fast-check against a real hub): whatever a client posts as
// a mesh send, the hub answers 4xx with a code or accepts it, never a 500; whatever a gateway's
// `direct` document holds, the hub files it for a device or counts a drop, and never throws.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MeshDirectEndpoint, meshNodeAddress } from '@unibos/messenger-crypto';
import { registerDevice } from './support/messenger-client.ts';
import { api, createAdminSession } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';

const hub = await startTestHub();
const admin = await createAdminSession(hub, { orgName: 'Mesh fuzz' });
const device = await registerDevice(hub, admin, 'fuzz');
const address = meshNodeAddress(new MeshDirectEndpoint(device.keys.identity).nodeId);
const base64urlish = fc.oneof(fc.base64String().map((s) => s.replace(/\+/g, '-').replace(/\//g, '_')), fc.string(), fc.constant(''), fc.uint8Array({ minLength: 1, maxLength: 220 }).map((b) => Buffer.from(b).toString('base64url')));
const nodeish = fc.oneof(fc.constant(address), fc.constant('!0000abcd'), fc.integer({ min: 0, max: 0xffffffff }).map((n) => `!${n.toString(16).padStart(8, '0')}`), fc.string({ maxLength: 12 }));

test('a mesh send with any body is answered with a code, never a 500', { timeout: 120_000 }, async () => {
  const body = fc.oneof(
    fc.jsonValue(),
    fc.record({ senderDevice: fc.oneof(fc.constant(device.id), fc.uuid(), fc.string()), sealed: base64urlish, clientId: fc.oneof(fc.uuid(), fc.string({ maxLength: 80 })) }, { requiredKeys: [] }),
  );
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.constant('!0000abcd'), fc.integer({ min: 0, max: 0xffffffff }).map((n) => n.toString(16).padStart(8, '0'))), body, async (node, b) => {
      const res = await api(hub, admin, `/api/v1/messenger/mesh/${encodeURIComponent(node)}/messages`, { method: 'POST', body: b });
      assert.ok(res.status < 500, `${res.status} ${JSON.stringify(res.body)}`);
      if (res.status >= 400) assert.equal(typeof res.body.code, 'string');
    }),
    { numRuns: 150 },
  );
});

test('a direct frame with any document is filed or counted, never thrown', () => {
  const mesh = hub.app.messenger.mesh;
  const doc = fc.record({ to: fc.oneof(nodeish, fc.jsonValue()), direct: fc.oneof(fc.jsonValue(), fc.record({ sender: fc.oneof(nodeish, fc.jsonValue()), sealed: fc.oneof(base64urlish, fc.jsonValue()) }, { requiredKeys: [] })) }, { requiredKeys: [] });
  fc.assert(
    fc.property(doc, fc.integer({ min: 0, max: 0xffffffff }), (d, packetId) => {
      const reception = { gatewayId: '!0000feed' as const, rssi: null, snr: null, hops: null, timeMs: Date.now() };
      mesh.heard(admin.orgId, { nodeId: '!0000abcd', kind: 'direct', packetId, timeMs: Date.now(), reception, data: d, doc: d as Record<string, unknown> });
    }),
    { numRuns: 500 },
  );
});
