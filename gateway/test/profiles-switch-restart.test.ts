// A gateway restart does not forget the switches it knew: a hub switch command (through the
// bridge, as the hub's arrive) for a Tasmota plug that reported before the restart is carried out
// and confirmed after it, on the same data dir, before the plug has said anything since; a TOGGLE
// goes from the state the plug last reported before the restart (its periodic report of the old
// state is not taken for the answer). What is remembered is bounded.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import mqtt from 'mqtt';
import pino from 'pino';
import { loraParams, topics, type MeshRouter } from '@unibos/mesh-protocol';
import { DeviceCredentials } from '../src/broker/device-credentials.ts';
import { GatewayBroker } from '../src/broker/gateway-broker.ts';
import { MeshBridge } from '../src/bridge/mesh-bridge.ts';
import { openGatewayDb } from '../src/run-gateway.ts';
import { ProfileRouter } from '../src/profiles/profile-router.ts';
import { SwitchCommander } from '../src/profiles/switch-commander.ts';
import { SwitchMemory } from '../src/profiles/switch-memory.ts';

const GATEWAY = '0a1b2c3d';
const dir = mkdtempSync(join(tmpdir(), 'unibos-switch-restart-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The gateway's parts that take a hub switch command, on `dir`, as runGateway assembles them (no radio). */
async function startGateway() {
  const logger = pino({ level: 'silent' });
  const db = openGatewayDb(dir);
  const credentials = new DeviceCredentials(db);
  const broker = await GatewayBroker.start({ dataDir: dir, credentials, gatewayId: GATEWAY, logger, port: 0, wsPort: null, db });
  const profiles = new ProfileRouter({ broker, logger });
  profiles.start();
  const switches = new SwitchCommander({ router: profiles, source: `unibos-${GATEWAY}`, publish: (t, p) => broker.publish(t, p, { qos: 1 }), confirmWithinMs: 5000, db });
  const unused = (): never => {
    throw new Error('no mesh in this test');
  };
  const router = { on: () => router } as unknown as MeshRouter;
  const bridge = new MeshBridge({ switches, gatewayId: GATEWAY, device: { router, sendText: unused, sendAlert: unused, answerSos: unused, requestNodeInfo: unused }, params: loraParams('LongFast'), local: broker, logger, db });
  const reports: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  broker.subscribe(topics.gateway(GATEWAY, 'txstatus'), (_t, payload) => {
    reports.push(JSON.parse(payload.toString()) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  /** The hub's command, as it arrives from the uplink; resolves with the gateway's last report on it. */
  const command = async (ref: string, sw: Record<string, unknown>): Promise<Record<string, unknown>> => {
    bridge.handleTx(Buffer.from(JSON.stringify({ switch: sw, ref })), 'hub');
    for (;;) {
      const last = reports.filter((r) => r.ref === ref).at(-1);
      if (last && last.status !== 'queued') return last;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const plugPassword = (await credentials.list()).some((d) => d.id === 'plug1') ? null : await credentials.add('plug1', 'sensor', { allow: ['write tele/%u/#', 'readwrite stat/%u/#', 'read cmnd/%u/#'], deny: [] });
  return {
    broker,
    command,
    plugPassword,
    stop: async () => {
      profiles.stop();
      await broker.close();
      db.close();
    },
  };
}

/** A Tasmota plug: it answers each POWER command with its periodic report of the old state first, then the new state. */
async function plug(port: number, password: string, state: { on: boolean }) {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'plug1', password, clientId: 'plug1', protocolVersion: 4, reconnectPeriod: 0 });
  const commands: string[] = [];
  /** Its answers still on their way: waited for before it disconnects. */
  let answering: Promise<unknown> = Promise.resolve();
  c.on('message', (topic, payload) => {
    const word = payload.toString();
    commands.push(`${topic} ${word}`);
    const old = state.on;
    state.on = word === 'TOGGLE' ? !old : word === 'ON';
    answering = c
      .publishAsync('tele/plug1/STATE', JSON.stringify({ POWER: old ? 'ON' : 'OFF' }), { qos: 1 })
      .then(() => c.publishAsync('stat/plug1/RESULT', JSON.stringify({ POWER: state.on ? 'ON' : 'OFF' }), { qos: 1 }));
  });
  await c.subscribeAsync('cmnd/plug1/#', { qos: 1 });
  const end = async (): Promise<void> => {
    await answering;
    await c.endAsync(true);
  };
  return { client: c, commands, end };
}

test('a switch known before a gateway restart is switched after it, before the device has reported again', { timeout: 60_000 }, async () => {
  const state = { on: false };
  const first = await startGateway();
  const password = first.plugPassword!;
  const before = await plug(first.broker.ports.mqtt, password, state);
  // The plug reports: the gateway learns its family, and that it is on.
  await before.client.publishAsync('stat/plug1/POWER', 'ON', { qos: 1 });
  state.on = true;
  assert.deepEqual(await first.command('r1', { sensor: 'plug1', state: 'ON' }), { ref: 'r1', status: 'confirmed', state: 'ON' });
  await before.end();
  await first.stop();

  // Restarted on the same data dir; the plug is back, and has said nothing yet.
  const second = await startGateway();
  const after = await plug(second.broker.ports.mqtt, password, state);
  assert.deepEqual(await second.command('r2', { sensor: 'plug1', state: 'TOGGLE' }), { ref: 'r2', status: 'confirmed', state: 'OFF' }, 'the plug was on before the restart: a TOGGLE turns it off, and its report of the old state does not count as the answer');
  assert.deepEqual(await second.command('r3', { sensor: 'plug1', state: 'ON' }), { ref: 'r3', status: 'confirmed', state: 'ON' });
  assert.deepEqual(after.commands, ['cmnd/plug1/POWER TOGGLE', 'cmnd/plug1/POWER ON']);
  // A device the gateway never heard is still refused.
  const unknown = await second.command('r4', { sensor: 'plug9', state: 'ON' });
  assert.equal(unknown.status, 'refused');
  await after.end();
  await second.stop();
});

test('what is remembered is bounded, the least recently reported forgotten, across reopening', () => {
  const db = openGatewayDb(mkdtempSync(join(dir, 'bound-')));
  const memory = new SwitchMemory(db, 3);
  for (const n of [1, 2, 3, 4, 5]) memory.rememberDevice(`plug${n}`, { profile: 'tasmota', device: `plug${n}` });
  // plug3 reports again with a change: now the most recent.
  memory.rememberDevice('plug3', { profile: 'tasmota', device: 'plug3b' });
  memory.rememberDevice('plug6', { profile: 'tasmota', device: 'plug6' });
  for (const n of [1, 2, 3, 4, 5, 6]) memory.rememberState(`plug${n}/power`, n % 2 === 0 ? 1 : 0);
  const reopened = new SwitchMemory(db, 3);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => reopened.device(`plug${n}`)?.device ?? null), [null, null, 'plug3b', null, 'plug5', 'plug6']);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => reopened.state(`plug${n}/power`) ?? null), [null, null, null, 1, 0, 1]);
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM switch_memory').get()!.n;
  assert.equal(count, 6, 'three of each kind on disk');
  db.close();
});
