// An SOS overtakes the rest of the urgent lane on its way to the hub, as it does on air
// (mesh-protocol's urgencyOf): after a quake, with the hub away, thousands of automatic "I am safe"
// answers and acks queue in the urgent lane; the SOS heard after them is what the hub gets first
// when it comes back. Frames go the real way: heard by the bridge, into the hub outbox on a SQLite
// file through the sink runGateway uses, drained by the uplink into a stand-in hub (aedes).

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import { BROADCAST, formatNodeAddress, type Data, type FrameHeader } from '@unibos/mesh-protocol';
import { waitUntil } from '@unibos/test-support';
import { MeshBridge } from '../src/bridge/mesh-bridge.ts';
import { openGatewayDb, outboxSink } from '../src/run-gateway.ts';
import { HubOutbox } from '../src/uplink/hub-outbox.ts';
import { HubUplink } from '../src/uplink/hub-uplink.ts';
import { params } from './support/sim-mesh.ts';
import { TestHub, type Arrival } from './support/uplink-hub.ts';
import { teardown } from './support/teardown.ts';

const logger = pino({ level: 'silent' });
const GATEWAY = 0x0a0a0a0a;
const SOS_NODE = 0x0000beef;

/** A gateway (bridge, outbox on a file, uplink) whose radio we play: `hear` is a frame its router took. */
async function gateway(t: { after(fn: () => Promise<void>): void }, hub: TestHub) {
  const onEnd = teardown(t);
  const dir = mkdtempSync(join(tmpdir(), 'unibos-sos-first-'));
  const db = openGatewayDb(dir);
  onEnd(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const outbox = new HubOutbox(db, { logger });
  const router = new EventEmitter();
  const answered: number[] = [];
  const device = {
    router,
    sendText: () => ({ packetId: 1 }),
    sendAlert: () => ({ packetId: 1 }),
    answerSos: (_to: number, requestId: number) => {
      answered.push(requestId);
      return { packetId: 1 };
    },
    requestNodeInfo: () => ({ packetId: 1 }),
  } as unknown as ConstructorParameters<typeof MeshBridge>[0]['device'];
  // As runGateway wires it: the bridge hands the outbox what it heard through outboxSink.
  const bridge = new MeshBridge({ gatewayId: 'gwsos', device, params, local: { publish: async () => undefined }, uplink: outboxSink(outbox), logger });
  let packetId = 100;
  const hear = (from: number, data: Data): void => {
    const header: FrameHeader = { to: BROADCAST, from, id: packetId++, hopLimit: 2, hopStart: 3, wantAck: false, viaMqtt: false, channelHash: 8, nextHop: 0, relayNode: from & 0xff, counter: packetId };
    router.emit('heard', { header, data, bytes: new Uint8Array([1, 2, 3, 4]), rssi: -100, snr: 4 });
  };
  const uplink = (): HubUplink => {
    const u = new HubUplink({ url: `mqtt://127.0.0.1:${hub.port}`, gatewayId: 'gwsos', outbox, logger, windowSize: 64, reconnectMinMs: 20, reconnectMaxMs: 200 });
    u.start();
    onEnd(() => u.stop({ timeoutMs: 500 }));
    return u;
  };
  return { outbox, bridge, hear, uplink, answered };
}

async function hubAway(t: { after(fn: () => Promise<void>): void }): Promise<TestHub> {
  const hub = new TestHub();
  await hub.up();
  t.after(() => hub.down());
  await hub.closePublic();
  return hub;
}

const nodeAt = (n: number): number => 0x00100000 + n;
const safeAnswer = (n: number): Data => ({ alert: { level: 'SAFE', text: 'check-in: safe', magnitudeX10: 0, automatic: true }, requestId: 1000 + n });
const ack = (n: number): Data => ({ routing: { error: 'NONE' }, requestId: 5000 + n });
const sos: Data = { alert: { level: 'SOS', text: 'SOS', magnitudeX10: 0 }, requestId: 99, wantResponse: true };
/** What the hub reads: the decoded mesh documents (`gw/{id}/rx` copies are kept by nobody there). */
const meshDocs = (arrivals: readonly Arrival[]) => arrivals.filter((a) => a.topic.startsWith('unibos/v1/mesh/'));
const doc = (a: Arrival): { level?: string; from: string; requestId?: number } => a.envelope.body as { level?: string; from: string; requestId?: number };

test('after an outage, the SOS heard behind thousands of automatic "I am safe" answers and acks is the first message the hub gets', { timeout: 120_000 }, async (t) => {
  const hub = await hubAway(t);
  const gw = await gateway(t, hub);
  const ANSWERS = 3000;
  const ACKS = 500;
  for (let n = 0; n < ANSWERS; n++) gw.hear(nodeAt(n), safeAnswer(n));
  for (let n = 0; n < ACKS; n++) gw.hear(nodeAt(n), ack(n));
  gw.hear(SOS_NODE, sos);
  // Answers still coming in after it.
  for (let n = ANSWERS; n < ANSWERS + 100; n++) gw.hear(nodeAt(n), safeAnswer(n));
  assert.deepEqual(gw.answered, [99], 'the SOS was taken (committed for the hub)');
  const total = 2 * (ANSWERS + ACKS + 1 + 100);
  assert.equal(gw.outbox.depthByLane.urgent, total, 'every frame is in the urgent lane, each as the rx envelope and its mesh document');

  const uplink = gw.uplink();
  await hub.openPublic();
  await waitUntil(() => hub.accepted.unique.length >= total, 'everything at the hub', [{ emitter: hub.events, event: 'change' }], 60_000);

  const docs = meshDocs(hub.accepted.unique);
  const sosNode = formatNodeAddress(SOS_NODE);
  const first = docs[0]!;
  assert.deepEqual(
    { topic: first.topic, level: doc(first).level },
    { topic: `unibos/v1/mesh/${sosNode}/alert`, level: 'SOS' },
    `the first mesh message the hub got is the SOS; it was #${docs.findIndex((a) => doc(a).level === 'SOS') + 1}`,
  );
  assert.equal(hub.accepted.unique[0]!.envelope.source, `mesh:${sosNode}`, 'its rx envelope and its document are the first two messages the hub received');
  assert.equal(hub.accepted.unique[1]!.envelope.source, `mesh:${sosNode}`);
  // Nothing else lost or reordered: the other alerts oldest first, then the acks oldest first.
  const rest = docs.slice(1);
  const expected = [
    ...Array.from({ length: ANSWERS + 100 }, (_, n) => `alert ${formatNodeAddress(nodeAt(n))} ${1000 + n}`),
    ...Array.from({ length: ACKS }, (_, n) => `ack ${formatNodeAddress(nodeAt(n))} ${5000 + n}`),
  ];
  assert.deepEqual(rest.map((a) => `${a.topic.split('/').at(-1)} ${doc(a).from} ${doc(a).requestId}`), expected);
  await uplink.stop({ timeoutMs: 5000 });
  assert.equal(gw.outbox.size, 0, 'every row left on its PUBACK');
  assert.equal(uplink.stats.resent, 0, 'nothing sent twice');
});

test('an SOS stage another gateway sent, heard here, goes ahead of acks and alerts too', { timeout: 60_000 }, async (t) => {
  const hub = await hubAway(t);
  const gw = await gateway(t, hub);
  for (let n = 0; n < 500; n++) gw.hear(nodeAt(n), safeAnswer(n));
  for (let n = 0; n < 500; n++) gw.hear(nodeAt(n), ack(n));
  gw.hear(0x0b0b0b0b, { routing: { error: 'NONE', sos: { stage: 'HUB', time: 1_800_000_000, by: '' } }, replyId: 99 });
  gw.uplink();
  await hub.openPublic();
  await waitUntil(() => hub.accepted.unique.length >= 2 * 1001, 'everything at the hub', [{ emitter: hub.events, event: 'change' }], 60_000);
  const first = meshDocs(hub.accepted.unique)[0]!;
  assert.equal(first.topic, `unibos/v1/mesh/${formatNodeAddress(0x0b0b0b0b)}/ack`);
});

test('an outbox an older gateway left (no rank) is upgraded in place: its rows keep their order, and an SOS queued now goes ahead of them', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-sos-first-old-'));
  const path = join(dir, 'gateway.db');
  const db = new Database(path);
  const onEnd = teardown(t);
  onEnd(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // The table as the gateway before ranks wrote it (its later columns are added by the upgrade too).
  db.exec(`CREATE TABLE hub_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL,
    format INTEGER NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL, msg_id TEXT NOT NULL UNIQUE, created_ms INTEGER NOT NULL,
    size INTEGER NOT NULL, lane INTEGER NOT NULL DEFAULT 1, attempts INTEGER NOT NULL DEFAULT 0)`);
  const old = db.prepare('INSERT INTO hub_outbox (source, topic, payload, format, qos, retain, msg_id, created_ms, size, lane) VALUES (?, ?, ?, 1, 1, 0, ?, 0, 10, ?)');
  for (let n = 0; n < 5; n++) old.run(`mesh:!0000000${n}`, `unibos/v1/mesh/!0000000${n}/alert`, Buffer.from(JSON.stringify({ level: 'SAFE' })), `old-alert-${n}`, 0);
  old.run('sensor:abc', 'unibos/v1/sensor/abc/temp', Buffer.from('21.5'), 'old-reading', 1);

  const hub = await hubAway(t);
  const outbox = new HubOutbox(db, { logger });
  // What the bridge queues now, ranked (urgencyOf): an SOS, then another "I am safe".
  const alert = (node: string, level: string, msgId: string, urgency: 1 | 2) =>
    outbox.add({ source: `mesh:${node}`, topic: `unibos/v1/mesh/${node}/alert`, payload: JSON.stringify({ level }), lane: 'urgent', msgId, urgency });
  alert(formatNodeAddress(SOS_NODE), 'SOS', 'new-sos', 2);
  alert('!00000009', 'SAFE', 'new-alert', 1);
  const uplink = new HubUplink({ url: `mqtt://127.0.0.1:${hub.port}`, gatewayId: 'gwold', outbox, logger, reconnectMinMs: 20, reconnectMaxMs: 200 });
  uplink.start();
  onEnd(() => uplink.stop({ timeoutMs: 500 }));
  await hub.openPublic();
  await waitUntil(() => hub.accepted.unique.length >= 8, 'everything at the hub', [{ emitter: hub.events, event: 'change' }], 30_000);
  assert.deepEqual(
    hub.accepted.unique.map((a) => a.envelope.id),
    ['new-sos', 'old-alert-0', 'old-alert-1', 'old-alert-2', 'old-alert-3', 'old-alert-4', 'new-alert', 'old-reading'],
  );
});
