// Untrusted input to the messenger routes (fast-check against a real hub): whatever JSON a client
// sends as a device bundle, a send, a conversation or an ack, the hub answers with a 4xx and a
// stable code, or accepts it; never a 500, and the relay keeps working afterwards.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { inbox, registerDevice, sendOpaque } from './support/messenger-client.ts';
import { api, createAdminSession, createOrgUser } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';

const hub = await startTestHub();
const owner = await createAdminSession(hub, { orgName: 'Messenger fuzz' });
const ivo = await createOrgUser(hub, owner, 'member');
const jo = await createOrgUser(hub, owner, 'member');
const i = await registerDevice(hub, ivo, 'i');
const j = await registerDevice(hub, jo, 'j');
const conversation = (await api(hub, ivo, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'direct', userId: jo.userId } })).body.id as string;

const base64urlish = fc.oneof(fc.base64String().map((s) => s.replace(/\+/g, '-').replace(/\//g, '_')), fc.string(), fc.constant(''), fc.constant('AAAA'));
const id = fc.oneof(fc.uuid(), fc.constant(i.id), fc.constant(j.id), fc.string({ maxLength: 40 }));
const sendBody = fc.record(
  {
    clientId: fc.oneof(fc.uuid(), fc.string({ maxLength: 120 })),
    kind: fc.oneof(fc.constantFrom('message', 'edit', 'delete', 'reaction', 'read', 'sender-key', 'typing'), fc.string()),
    target: id,
    expiresAt: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string()),
    senderDevice: id,
    recipientDevices: fc.array(id, { maxLength: 4 }),
    ciphertext: base64urlish,
    envelopes: fc.array(fc.record({ deviceId: id, ciphertext: base64urlish }), { maxLength: 3 }),
    attachments: fc.array(id, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);
const bundle = fc.oneof(
  fc.jsonValue(),
  fc.record({ identityKey: base64urlish, signingKey: base64urlish, signedPrekey: fc.record({ keyId: fc.integer(), publicKey: base64urlish, signature: base64urlish }), oneTimePrekeys: fc.array(fc.record({ keyId: fc.integer(), publicKey: base64urlish }), { maxLength: 3 }) }),
);

function answeredProperly(res: { status: number; body: any }): boolean {
  if (res.status >= 500) return false;
  // Fastify's own body parser's refusals (e.g. a "__proto__" key) come out in the hub's codes too.
  return res.status < 400 || (typeof res.body?.code === 'string' && /^E_[A-Z_]+$/.test(res.body.code));
}

describe('messenger routes under untrusted input', { timeout: 120_000 }, () => {
  test('random sends are refused cleanly or accepted, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(sendBody, async (body) => {
        const res = await api(hub, ivo, `/api/v1/messenger/conversations/${conversation}/messages`, { method: 'POST', body });
        assert.ok(answeredProperly(res), `${res.status} ${JSON.stringify(res.body)} for ${JSON.stringify(body)}`);
      }),
      { numRuns: 150 },
    );
  });

  test('random bundles, conversations and acks are refused cleanly, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(bundle, fc.jsonValue(), fc.jsonValue(), async (b, conv, ack) => {
        const answers = [
          await api(hub, jo, '/api/v1/messenger/devices', { method: 'POST', body: { name: 'fuzz', bundle: b } }),
          await api(hub, jo, `/api/v1/messenger/devices/${j.id}/prekeys`, { method: 'POST', body: { bundle: b } }),
          await api(hub, jo, '/api/v1/messenger/conversations', { method: 'POST', body: conv }),
          await api(hub, jo, '/api/v1/messenger/inbox/ack', { method: 'POST', body: ack }),
        ];
        for (const res of answers) assert.ok(answeredProperly(res), `${res.status} ${JSON.stringify(res.body)}`);
        // Registering a random bundle must fail: only a signed one passes.
        assert.notEqual(answers[0]!.status, 201);
      }),
      { numRuns: 100 },
    );
  });

  test('the relay still works afterwards', async () => {
    // Whatever the fuzzing sent or refilled, a new device of Ivo's reaches Jo's.
    const fresh = await registerDevice(hub, ivo, 'after fuzz', 1);
    const before = (await inbox(hub, j)).length;
    const sent = await sendOpaque(hub, fresh, conversation, { clientId: randomUUID() });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.equal((await inbox(hub, j)).length, before + 1);
  });
});
