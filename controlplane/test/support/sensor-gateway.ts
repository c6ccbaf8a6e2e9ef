// A gateway assembled from its real parts as runGateway does, without a radio (its aedes broker,
// device profiles, bridge, outbox and uplink), claimed in an org of a test hub and speaking to the
// hub's broker through a link a test can cut and restore; with its own clock. For tests of the
// sensor path end to end.

import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import mqtt from 'mqtt';
import pino from 'pino';
import { loraParams, topics, type MeshRouter } from '@unibos/mesh-protocol';
import { DeviceCredentials, FAMILY_PROFILES, GatewayBroker, HubOutbox, HubUplink, MeshBridge, ProfileRouter, openGatewayDb, type UplinkSink, type UplinkState } from '@unibos/gateway';
import type { TestSession } from './test-auth.ts';
import { claimDevice } from './test-gateway.ts';
import { testIdentity } from './test-identity.ts';
import type { TestHub } from './test-hub.ts';

/** The gateway's link to the hub broker: a TCP relay that can be cut (connections dropped, new ones refused) and restored. */
async function hubLink(t: TestContext, hubMqttPort: number) {
  let open = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    if (!open) return void inbound.destroy();
    const outbound = net.connect(hubMqttPort, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    port: (server.address() as AddressInfo).port,
    cut(): void {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore(): void {
      open = true;
    },
  };
}

/**
 * A gateway claimed in the admin's org, assembled as runGateway does (no radio), whose wall clock
 * (its outbox's and uplink's) is `clock` and whose monotonic clock (the outbox's, for how long it
 * held a row) is `monotonic`, by default `clock` too (time passing as the test moves it), speaking to the hub through a link that can
 * be cut. Its `device` connects a sensor with its own login and rules, and its last will if given.
 * `reopenOutbox` stands for a reboot: a new outbox (and uplink) on the same database, on a new boot
 * whose monotonic clock starts again, so it knows nothing of when the rows already queued were added.
 */
export async function sensorGateway(t: TestContext, hub: TestHub, admin: TestSession, clock: () => number, monotonic?: () => number) {
  const identity = testIdentity();
  const gatewayId = identity.id;
  const claim = (await claimDevice(hub, admin, 'gateway', identity)) as { mqtt: { url: string; username: string; password: string } };
  const link = await hubLink(t, hub.mqttPort);
  const logger = pino({ level: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'unibos-reading-time-'));
  const db = openGatewayDb(dir);
  const credentials = new DeviceCredentials(db);
  const broker = await GatewayBroker.start({ dataDir: dir, credentials, gatewayId, logger, port: 0, wsPort: null, db });
  const url = new URL(claim.mqtt.url);
  url.port = String(link.port);
  let boot = 1;
  const open = () => {
    const outbox = new HubOutbox(db, { logger, now: clock, monotonic: monotonic ?? clock, bootId: `boot-${boot}` });
    const uplink = new HubUplink({ ...claim.mqtt, url: url.toString(), gatewayId, outbox, logger, reconnectMinMs: 50, reconnectMaxMs: 200, now: clock });
    return { outbox, uplink };
  };
  let { outbox, uplink } = open();
  const hubSink: UplinkSink = { forward: (m) => void outbox.add({ source: m.source, topic: m.topic, payload: m.payload, retain: m.retain ?? false, lane: m.lane, msgId: m.msgId }) };
  const profiles = new ProfileRouter({ broker, uplink: hubSink, logger, profiles: FAMILY_PROFILES });
  profiles.start();
  const unused = (): never => {
    throw new Error('no mesh in this test');
  };
  const router = { on: () => router } as unknown as MeshRouter;
  const bridge = new MeshBridge({ gatewayId, device: { router, sendText: unused, sendAlert: unused, answerSos: unused, requestNodeInfo: unused }, params: loraParams('LongFast'), local: broker, uplink: hubSink, logger });
  broker.subscribe(topics.sensorFilter, (topic, payload, _clientId, msgId) => bridge.handleSensor(topic, payload, msgId));
  const clients: mqtt.MqttClient[] = [];
  t.after(async () => {
    for (const c of clients) await c.endAsync(true);
    await uplink.stop({ timeoutMs: 1000 });
    profiles.stop();
    await broker.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const state = (want: UplinkState) =>
    new Promise<void>((resolve) => {
      if (want === 'connected' && uplink.connected) return resolve();
      const off = uplink.onState((s) => {
        if (s === want) {
          off();
          resolve();
        }
      });
    });
  const logins = new Map<string, string>();
  const device = async (id: string, allow: string[] = [], will?: { topic: string; payload: string }) => {
    if (!logins.has(id)) logins.set(id, await credentials.add(id, 'sensor', { allow, deny: [] }));
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { username: id, password: logins.get(id)!, clientId: id, protocolVersion: 4, reconnectPeriod: 0, ...(will ? { will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true } } : {}) });
    clients.push(c);
    return c;
  };
  const reopenOutbox = async () => {
    await uplink.stop({ timeoutMs: 1000 });
    boot++;
    ({ outbox, uplink } = open());
  };
  return {
    gatewayId,
    get outbox() {
      return outbox;
    },
    get uplink() {
      return uplink;
    },
    link,
    state,
    device,
    reopenOutbox,
    /** Starts the uplink and waits until it is connected to the hub. */
    async connect(): Promise<void> {
      uplink.start();
      await state('connected');
    },
    /** Cuts the link to the hub and waits until the uplink knows. */
    async cutOff(): Promise<void> {
      link.cut();
      await state('disconnected');
    },
  };
}
