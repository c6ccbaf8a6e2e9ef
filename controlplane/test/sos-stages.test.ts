// The hub's half of an SOS's stages: stored -> `hub` goes back to the gateway that heard the node,
// an admin's acknowledgement (with who and an optional note) and the resolution follow the same
// way, a copy seen again is answered with the current stage, and a gateway that was away is handed
// the current stage when it connects. The alert (API and events) carries the stages with times.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeHubEnvelope } from '@unibos/mesh-protocol';
import { startTestHub } from './support/test-hub.ts';
import { createAdminSession, type TestSession, api } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { waitForEvent } from './support/hub-events.ts';


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
  // Its own "I am safe" resolved it: the node is not told it was resolved "by !bbbb0003".
  assert.equal(resolved.sosStage.by, undefined);
});

test('a new SOS (new request id) from a node whose last SOS is still open supersedes it: the old one is resolved with why, the new one has its own times and stages', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const firstAt = new Date(Date.now() - 3_600_000).toISOString();
  gw.mesh('!bbbb0004', 'alert', { level: 'SOS', text: 'SOS', requestId: 101 }, { packetId: 1, rxTime: firstAt });
  assert.equal(((await gw.nextDownlink()) as StageCommand).sosStage.requestId, 101);
  const first = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.requestId === 101, { what: 'the first SOS' });

  const secondAt = new Date(Date.now() - 1_000).toISOString();
  gw.mesh('!bbbb0004', 'alert', { level: 'SOS', text: 'SOS', requestId: 202 }, { packetId: 2, rxTime: secondAt });
  const told = (await gw.nextDownlink()) as StageCommand;
  assert.deepEqual([told.sosStage.requestId, told.sosStage.stage], [202, 'hub']);
  const superseded = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.resolved' && e.data.id === first.data.id, { what: 'the old SOS resolved' });
  assert.equal(superseded.data.resolvedBy, '!bbbb0004', 'resolved by the node');
  assert.equal(superseded.data.resolvedNote, 'superseded by a new SOS');
  const second = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.requestId === 202, { what: 'the new SOS' });
  assert.notEqual(second.data.id, first.data.id);
  assert.equal(second.data.raisedAt, secondAt, 'its own receive time');
  assert.deepEqual((second.data.stages as Array<{ stage: string }>).map((s) => s.stage), ['gateway', 'hub']);
  assert.ok(superseded.id < second.id, 'the admin sees the old one closed before the new one opens');

  // A repeat copy of the new request id only touches it.
  gw.mesh('!bbbb0004', 'alert', { level: 'SOS', text: 'SOS', requestId: 202 }, { packetId: 3 });
  assert.deepEqual(((await gw.nextDownlink()) as StageCommand).sosStage.requestId, 202);
  const open = await api(hub.url, admin, '/api/v1/alerts?state=open');
  assert.deepEqual(open.body.items.map((a: { id: number }) => a.id), [second.data.id]);
  const old = (await api(hub.url, admin, '/api/v1/alerts?state=resolved')).body.items.find((a: { id: number }) => a.id === first.data.id);
  assert.equal(old?.resolvedNote, 'superseded by a new SOS', 'the API shows why it was closed');

  // A late copy of the old request id does not reopen it: the node is told it is resolved.
  gw.mesh('!bbbb0004', 'alert', { level: 'SOS', text: 'SOS', requestId: 101 }, { packetId: 4 });
  assert.deepEqual(((await gw.nextDownlink()) as StageCommand).sosStage.stage, 'resolved');
  assert.equal((await api(hub.url, admin, '/api/v1/alerts?state=open')).body.items.length, 1);
});

test('every copy of "I am safe" is answered with `resolved`, also after the SOS was resolved, and also for an SOS the hub never heard', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  gw.mesh('!bbbb0005', 'alert', { level: 'SOS', text: 'SOS', requestId: 55 }, { packetId: 1 });
  assert.equal(((await gw.nextDownlink()) as StageCommand).sosStage.stage, 'hub');
  gw.mesh('!bbbb0005', 'alert', { level: 'SAFE', text: 'I am safe', requestId: 55 }, { packetId: 2 });
  assert.deepEqual(Object.values(((await gw.nextDownlink()) as StageCommand).sosStage).slice(0, 2), [55, 'resolved']);
  // The node missed that answer and sends "I am safe" again. Then another node's SOS: whatever the
  // hub answers to the repeat comes before it.
  gw.mesh('!bbbb0005', 'alert', { level: 'SAFE', text: 'I am safe', requestId: 55 }, { packetId: 3 });
  gw.mesh('!bbbb0006', 'alert', { level: 'SOS', text: 'SOS', requestId: 66 }, { packetId: 4 });
  const again = (await gw.nextDownlink()) as StageCommand;
  assert.deepEqual([again.to, again.sosStage.requestId, again.sosStage.stage], ['!bbbb0005', 55, 'resolved']);
  assert.equal(((await gw.nextDownlink()) as StageCommand).to, '!bbbb0006');

  // "I am safe" for an SOS whose copies never got through: recorded as an SOS the node ended, and told.
  gw.mesh('!bbbb0007', 'alert', { level: 'SAFE', text: 'I am safe', requestId: 77 }, { packetId: 5 });
  const told = (await gw.nextDownlink()) as StageCommand;
  assert.deepEqual([told.to, told.sosStage.requestId, told.sosStage.stage], ['!bbbb0007', 77, 'resolved']);
  const ended = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.resolved' && e.data.requestId === 77, { what: 'the SOS known only from "I am safe"' });
  assert.equal(ended.data.level, 'SOS');
  assert.equal(ended.data.resolvedBy, '!bbbb0007');
  assert.equal(ended.data.state, 'resolved');
});

test('a late copy of "I am safe" for an earlier SOS does not resolve the node\u2019s newer SOS', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  gw.mesh('!bbbb0008', 'alert', { level: 'SOS', text: 'SOS', requestId: 301 }, { packetId: 1 });
  assert.equal(((await gw.nextDownlink()) as StageCommand).sosStage.stage, 'hub');
  gw.mesh('!bbbb0008', 'alert', { level: 'SAFE', text: 'I am safe', requestId: 301 }, { packetId: 2 });
  assert.deepEqual(Object.values(((await gw.nextDownlink()) as StageCommand).sosStage).slice(0, 2), [301, 'resolved']);
  // The person is in trouble again: a new SOS.
  gw.mesh('!bbbb0008', 'alert', { level: 'SOS', text: 'SOS', requestId: 302 }, { packetId: 3 });
  assert.deepEqual(Object.values(((await gw.nextDownlink()) as StageCommand).sosStage).slice(0, 2), [302, 'hub']);
  // A copy of the old "I am safe" (resent before the node heard `resolved`) arrives late.
  gw.mesh('!bbbb0008', 'alert', { level: 'SAFE', text: 'I am safe', requestId: 301 }, { packetId: 4 });
  const answer = (await gw.nextDownlink()) as StageCommand;
  assert.deepEqual([answer.sosStage.requestId, answer.sosStage.stage], [301, 'resolved'], 'the old SOS is answered resolved');
  const open = (await api(hub.url, admin, '/api/v1/alerts?state=open')).body.items as Array<{ requestId: number }>;
  assert.deepEqual(open.map((a) => a.requestId), [302], 'the new SOS stays open');
  assert.equal(gw.downlinks.length, 0, 'the node is not told its new SOS is resolved');

  // Nor does a late "I am safe" for an SOS of which no copy ever reached the hub.
  gw.mesh('!bbbb0008', 'alert', { level: 'SAFE', text: 'I am safe', requestId: 300 }, { packetId: 5 });
  const unheard = (await gw.nextDownlink()) as StageCommand;
  assert.deepEqual([unheard.sosStage.requestId, unheard.sosStage.stage], [300, 'resolved']);
  const still = (await api(hub.url, admin, '/api/v1/alerts?state=open')).body.items as Array<{ requestId: number }>;
  assert.deepEqual(still.map((a) => a.requestId), [302], 'the new SOS is still open');
  assert.equal(gw.downlinks.length, 0, 'the node is still not told its new SOS is resolved');
});

test('an older SOS that arrives late (it waited in a gateway\u2019s outbox) does not close the node\u2019s newer SOS', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  // The node's second SOS (request 402) reaches the hub first...
  gw.mesh('!bbbb0009', 'alert', { level: 'SOS', text: 'SOS', requestId: 402 }, { packetId: 2, rxTime: new Date(Date.now() - 60_000).toISOString() });
  assert.deepEqual(Object.values(((await gw.nextDownlink()) as StageCommand).sosStage).slice(0, 2), [402, 'hub']);
  const current = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.requestId === 402, { what: 'the current SOS' });
  // ...then a copy of its first one (request 401), heard ten minutes earlier by a gateway that was away.
  gw.mesh('!bbbb0009', 'alert', { level: 'SOS', text: 'SOS', requestId: 401 }, { packetId: 1, rxTime: new Date(Date.now() - 10 * 60_000).toISOString() });
  await waitForEvent(hub, admin.orgId, (e) => e.type.startsWith('alert.') && e.data.requestId === 401, { what: 'the late SOS noted' });
  // The hub cannot tell a copy that waited from a gateway whose clock is behind: the older one opens
  // beside the current one for people to judge, and closes nothing.
  const open = (await api(hub.url, admin, '/api/v1/alerts?state=open')).body.items as Array<{ id: number; requestId: number }>;
  assert.deepEqual(open.map((a) => a.requestId).sort(), [401, 402], 'the newer SOS stays open');
  const acked = await api(hub.url, admin, `/api/v1/alerts/${current.data.id}/acknowledge`, { method: 'POST' });
  assert.equal(acked.status, 200, JSON.stringify(acked.body));
  // The node hears that its current SOS was acknowledged (whatever it was told about the old one first).
  let told = (await gw.nextDownlink()) as StageCommand;
  while (told.sosStage.requestId !== 402) told = (await gw.nextDownlink()) as StageCommand;
  assert.equal(told.sosStage.stage, 'acknowledged');

  // A newer SOS than both supersedes both.
  gw.mesh('!bbbb0009', 'alert', { level: 'SOS', text: 'SOS', requestId: 403 }, { packetId: 3 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.requestId === 403, { what: 'the newest SOS' });
  const after = (await api(hub.url, admin, '/api/v1/alerts?state=open')).body.items as Array<{ requestId: number }>;
  assert.deepEqual(after.map((a) => a.requestId), [403]);
});

test('an "I am safe" naming no SOS (older firmware) that was heard before the SOS but arrives after it (the SOS went first from the gateway\u2019s outbox) leaves it open; one heard after ends it', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const now = Date.now();
  gw.mesh('!cafe0002', 'alert', { level: 'SOS', text: 'SOS' }, { packetId: 2, rxTime: new Date(now - 1_000).toISOString() });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised', { what: 'the SOS' });
  // An "I am safe" from before this SOS (it ended an earlier one), heard a minute before it, arrives last.
  gw.mesh('!cafe0002', 'alert', { level: 'SAFE', text: 'I am safe' }, { packetId: 1, rxTime: new Date(now - 60_000).toISOString() });
  gw.mesh('!cafe0002', 'text', { text: 'marker' }, { packetId: 3 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.text' && (e.data as { packetId?: number }).packetId === 3, { what: 'everything before the marker ingested' });
  const open = async () => ((await api(hub.url, admin, '/api/v1/alerts?state=open')).body.items as unknown[]).length;
  assert.equal(await open(), 1, 'the SOS is still open');
  gw.mesh('!cafe0002', 'alert', { level: 'SAFE', text: 'I am safe' }, { packetId: 4 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.resolved', { what: 'the SOS resolved by the later "I am safe"' });
  assert.equal(await open(), 0);
});

test('copies of one SOS arriving out of order: the position stays the newest copy\u2019s, and it was raised when its first copy was heard', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gwA = await TestGateway.connect(hub, admin);
  const gwB = await TestGateway.connect(hub, admin);
  const now = Date.now();
  // The second copy (10 minutes after the first; the person has walked 2 km) reaches the hub first, through B.
  gwB.mesh('!cafe0001', 'alert', { level: 'SOS', text: 'SOS', requestId: 4242, position: { latitude: 41.02, longitude: 29 } }, { packetId: 2, rxTime: new Date(now).toISOString() });
  await gwB.nextDownlink();
  // The first copy, heard by A 10 minutes earlier, arrives now (A's uplink was down).
  gwA.mesh('!cafe0001', 'alert', { level: 'SOS', text: 'SOS', requestId: 4242, position: { latitude: 41.002, longitude: 29 } }, { packetId: 1, rxTime: new Date(now - 600_000).toISOString() });
  await Promise.race([gwA.nextDownlink(), gwB.nextDownlink()]);
  const open = (await api(hub.url, admin, '/api/v1/alerts?state=open')).body.items as Array<{ position: { latitude: number } | null; raisedAt: string; lastHeardAt: string }>;
  assert.equal(open.length, 1, 'one SOS');
  assert.equal(open[0]!.position?.latitude, 41.02, 'where the person was last heard, not 2 km back');
  assert.equal(open[0]!.raisedAt, new Date(now - 600_000).toISOString(), 'raised when its first copy was heard');
  assert.equal(open[0]!.lastHeardAt, new Date(now).toISOString());
});

test('the node is told `hub` only once its SOS is stored: when storing fails, it is told nothing', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const sos = (node: string, requestId: number) => {
    const doc = { from: node, to: 'broadcast', id: requestId, hops: 0, rssi: -90, snr: 5, rxTime: new Date().toISOString(), level: 'SOS', text: 'SOS', requestId };
    return encodeHubEnvelope({ msgId: `sos-${node}`, source: `mesh:${node}`, format: 'json', payload: Buffer.from(JSON.stringify(doc)) });
  };
  // The gateway is subscribed and taking stages.
  gw.mesh('!bbbb00b0', 'alert', { level: 'SOS', text: 'SOS', requestId: 70 }, { packetId: 70 });
  assert.equal(((await gw.nextDownlink()) as StageCommand).to, '!bbbb00b0');
  // The disk fills up while the next SOS is being stored: the last write of its transaction fails.
  hub.app.db.exec("CREATE TEMP TRIGGER disk_full BEFORE INSERT ON events WHEN NEW.type = 'node.online' AND NEW.data LIKE '%bbbb00b1%' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
  assert.throws(() => hub.app.ingest.handle(admin.orgId, gw.id, 'unibos/v1/mesh/!bbbb00b1/alert', sos('!bbbb00b1', 71)), /disk is full/);
  assert.equal((await api(hub.url, admin, '/api/v1/alerts')).body.items.length, 1, 'it was not stored (the gateway keeps it and sends it again)');
  hub.app.db.exec('DROP TRIGGER disk_full');
  // Another node's SOS is stored: the first stage the gateway gets is that one's.
  assert.equal(hub.app.ingest.handle(admin.orgId, gw.id, 'unibos/v1/mesh/!bbbb00b2/alert', sos('!bbbb00b2', 72)), 'stored');
  const first = (await gw.nextDownlink()) as StageCommand;
  assert.deepEqual([first.to, first.sosStage.stage], ['!bbbb00b2', 'hub'], 'the node whose SOS was not stored is not told `hub`');
});

test('a gateway whose clock is two days behind (a Pi restored by fake-hwclock) still carries the stages to the node, and the SOS is dated when it was heard', { timeout: 30_000 }, async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const before = Date.now();
  gw.mesh('!cafe0003', 'alert', { level: 'SOS', text: 'SOS', requestId: 77 }, { packetId: 1, rxTime: new Date(before - 2 * 86_400_000).toISOString(), wrongClock: true });
  const hubStage = (await gw.nextDownlink()) as StageCommand;
  assert.deepEqual([hubStage.to, hubStage.sosStage.stage], ['!cafe0003', 'hub'], 'the node is told its SOS is at the hub');
  const [sos] = (await api(hub.url, admin, '/api/v1/alerts?state=open')).body.items as Array<{ id: number; raisedAt: string }>;
  const raised = Date.parse(sos!.raisedAt);
  assert.ok(raised >= before && raised <= Date.now(), `raised ${sos!.raisedAt}, not two days ago`);
  assert.equal((await api(hub.url, admin, `/api/v1/alerts/${sos!.id}/acknowledge`, { method: 'POST', body: {} })).status, 200);
  const ackStage = (await gw.nextDownlink()) as StageCommand;
  assert.deepEqual([ackStage.to, ackStage.sosStage.stage], ['!cafe0003', 'acknowledged'], 'and that someone saw it');
});
