// The hub's half of an SOS's stages: stored -> `hub` goes back to the gateway that heard the node,
// an admin's acknowledgement (with who and an optional note) and the resolution follow the same
// way, a copy seen again is answered with the current stage, and a gateway that was away is handed
// the current stage when it connects. The alert (API and events) carries the stages with times.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestHub } from './support/test-hub.ts';
import { createAdminSession, type TestSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { waitForEvent } from './support/hub-events.ts';

async function api(hubUrl: string, session: TestSession, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${hubUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${session.accessToken}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

type StageCommand = { to: string; sosStage: { requestId: number; stage: string; time: string; by?: string } };

test('an SOS is told hub, then acknowledged (by whom), then resolved, through the gateway that heard it', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const heardAt = new Date(Date.now() - 5_000).toISOString();
  gw.mesh('!bbbb0002', 'alert', { level: 'SOS', text: 'SOS', requestId: 0x5005 }, { packetId: 11, rxTime: heardAt });
  const hubStage = (await gw.nextDownlink()) as StageCommand;
  assert.equal(hubStage.to, '!bbbb0002');
  assert.equal(hubStage.sosStage.requestId, 0x5005);
  assert.equal(hubStage.sosStage.stage, 'hub');
  const raised = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised', { what: 'alert.raised' });
  const stages = raised.data.stages as Array<{ stage: string; at: string; by: string | null }>;
  assert.deepEqual(stages.map((s) => s.stage), ['gateway', 'hub']);
  assert.equal(stages[0]!.at, heardAt);
  assert.equal(hubStage.sosStage.time, stages[1]!.at);

  // A copy the node sent again (it missed the answer): told the stage the hub has reached.
  gw.mesh('!bbbb0002', 'alert', { level: 'SOS', text: 'SOS', requestId: 0x5005 }, { packetId: 12 });
  assert.equal(((await gw.nextDownlink()) as StageCommand).sosStage.stage, 'hub');

  const acked = await api(hub.url, admin, `/api/v1/alerts/${raised.data.id}/acknowledge`, { method: 'POST', body: { note: 'team on the way' } });
  assert.equal(acked.status, 200, JSON.stringify(acked.body));
  assert.equal(acked.body.acknowledgedNote, 'team on the way');
  const ackStage = (await gw.nextDownlink()) as StageCommand;
  assert.equal(ackStage.sosStage.stage, 'acknowledged');
  const name = hub.app.auth.accounts.userView(admin.userId)!.name;
  assert.ok(name.length > 0);
  assert.equal(ackStage.sosStage.by, name, 'the node learns who saw it: the admin\u2019s display name');
  assert.deepEqual(acked.body.stages.map((s: { stage: string }) => s.stage), ['gateway', 'hub', 'acknowledged']);
  const event = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.acknowledged', { what: 'alert.acknowledged' });
  assert.equal((event.data.stages as Array<{ by: string | null }>).at(-1)?.by, name);

  const resolved = await api(hub.url, admin, `/api/v1/alerts/${raised.data.id}/resolve`, { method: 'POST' });
  assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
  assert.equal(((await gw.nextDownlink()) as StageCommand).sosStage.stage, 'resolved');

  // Other alerts (no SOS) are not answered with stages.
  gw.mesh('!bbbb0002', 'alert', { level: 'FIRE', text: 'smoke' }, { packetId: 13 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.level === 'FIRE', { what: 'the fire alert' });
  assert.equal(gw.downlinks.length, 0);
});

test('"I am safe" resolves the SOS and the node is told so', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  gw.mesh('!bbbb0003', 'alert', { level: 'SOS', text: 'SOS', requestId: 77 }, { packetId: 1 });
  assert.equal(((await gw.nextDownlink()) as StageCommand).sosStage.stage, 'hub');
  const id = (await api(hub.url, admin, '/api/v1/alerts?state=open')).body.items[0].id;
  const res = await fetch(`${hub.url}/api/v1/alerts/${id}/acknowledge`, { method: 'POST', headers: { authorization: `Bearer ${admin.accessToken}` } });
  assert.equal(res.status, 200, 'no body: no note');
  assert.equal(((await gw.nextDownlink()) as StageCommand).sosStage.stage, 'acknowledged');
  gw.mesh('!bbbb0003', 'alert', { level: 'SAFE', text: 'I am safe', requestId: 77 }, { packetId: 2 });
  const resolved = (await gw.nextDownlink()) as StageCommand;
  assert.deepEqual([resolved.sosStage.stage, resolved.sosStage.requestId], ['resolved', 77]);
});
