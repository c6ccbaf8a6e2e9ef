// Exactly once into the hub across gateway crashes. A sensor whose message the gateway took (it is
// in the hub outbox) but never acknowledged, because the gateway was SIGKILLed, resends it on its
// persistent session with the same packet id and DUP set: the hub must get it once. QoS 2 must be
// exactly once through a kill at every step of its handshake. What is really new (DUP=0, another
// connection's DUP=1 after a clean session, DUP=1 on the connection that was already answered) must
// never be swallowed. The gateway runs as a child process (support/exactly-once-gateway.ts).

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { DeviceCredentials } from '../src/broker/device-credentials.ts';
import { PublishDedup, type SessionPublish } from '../src/broker/publish-dedup.ts';
import { openGatewayDb } from '../src/run-gateway.ts';
import { TestHub } from './support/uplink-hub.ts';
import { waitUntil } from '@unibos/test-support';
import { RawSensor, type SensorLogin } from './support/raw-sensor.ts';

const CHILD = fileURLToPath(new URL('./support/exactly-once-gateway.ts', import.meta.url));
const TOPIC = 'unibos/v1/sensor/s1/temp';
type KillPoint = 'none' | 'taken' | 'puback' | 'pubrec' | 'pubcomp';

class GatewayProcess {
  readonly lines: string[] = [];
  readonly events = new EventEmitter();
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  stderr = '';
  private readonly proc: ChildProcess;

  constructor(args: string[]) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      this.lines.push(line);
      this.events.emit('change');
    });
    this.proc.on('exit', (code, signal) => {
      this.exit = { code, signal };
      this.events.emit('change');
    });
  }

  /** The outbox adds that queued something new. */
  get added(): string[] {
    return this.lines.filter((l) => /^added \S+ false$/.test(l)).map((l) => l.split(' ')[1]!);
  }

  waitFor(condition: () => boolean, what: string): Promise<void> {
    return waitUntil(condition, `${what} (gateway stdout ${JSON.stringify(this.lines)}, stderr ${this.stderr.slice(-2000)})`, [{ emitter: this.events, event: 'change' }], 30_000);
  }

  async ready(): Promise<number> {
    await this.waitFor(() => {
      if (this.exit) throw new Error(`gateway exited before it was ready: ${JSON.stringify(this.exit)} ${this.stderr}`);
      return this.lines.some((l) => l.startsWith('ready '));
    }, 'the gateway to start');
    return Number(this.lines.find((l) => l.startsWith('ready '))!.slice(6));
  }

  async killed(): Promise<void> {
    await this.waitFor(() => this.exit !== null, 'the gateway to die');
    assert.equal(this.exit?.signal, 'SIGKILL', `the gateway was killed, not ended: ${this.stderr}`);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.exit === null) this.proc.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.exit !== null) return;
    this.proc.kill('SIGTERM');
    await this.waitFor(() => this.exit !== null, 'the gateway to stop');
  }
}

interface Rig {
  hub: TestHub;
  gatewayId: string;
  login: SensorLogin;
  /** Starts a gateway on the rig's data directory (and, after the first, on the first one's port). */
  start(kill?: KillPoint): Promise<{ gateway: GatewayProcess; port: number }>;
  /** Every gateway started so far. */
  gateways: GatewayProcess[];
}

async function rig(t: TestContext, gatewayId: string): Promise<Rig> {
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-exactly-once-'));
  const db = openGatewayDb(dataDir);
  const password = await new DeviceCredentials(db).add('s1', 'sensor');
  db.close();
  const hub = new TestHub();
  await hub.up();
  const gateways: GatewayProcess[] = [];
  t.after(async () => {
    for (const g of gateways) g.kill('SIGKILL');
    await Promise.all(gateways.map((g) => g.waitFor(() => g.exit !== null, 'the gateway to exit')));
    await hub.down();
    rmSync(dataDir, { recursive: true, force: true });
  });
  let port = 0;
  return {
    hub,
    gatewayId,
    login: { clientId: 's1', username: 's1', password },
    gateways,
    async start(kill: KillPoint = 'none') {
      const gateway = new GatewayProcess([dataDir, `mqtt://127.0.0.1:${hub.port}`, gatewayId, String(port), kill]);
      gateways.push(gateway);
      port = await gateway.ready();
      return { gateway, port };
    },
  };
}

const reading = (n: number): string => JSON.stringify({ value: 20 + n / 10, n });

/** How many first arrivals (distinct envelope ids) at the hub carry reading n. */
function atHub(r: Rig, n: number): number {
  return r.hub.accepted.from(r.gatewayId).filter((a) => (a.envelope.body as { n?: number }).n === n).length;
}

/**
 * Publishes a new marker reading and waits until the hub has it. The outbox sends in order, so by
 * then everything queued before the marker has reached the hub too.
 */
async function settle(r: Rig, sensor: RawSensor, packetId: number, n: number): Promise<void> {
  sensor.publish(1, TOPIC, packetId, reading(n));
  await sensor.ack('puback', packetId);
  await r.hub.waitFor(() => atHub(r, n) >= 1, `marker reading ${n} at the hub`);
}

test('QoS 1: a message taken but not acknowledged before a SIGKILL, resent with DUP on the persistent session, reaches the hub once', async (t) => {
  const r = await rig(t, 'gw-eo-q1');
  const first = await r.start('puback');
  const sensor = await RawSensor.connect(first.port, r.login, false);
  t.after(() => sensor.destroy());
  sensor.publish(1, TOPIC, 42, reading(1));
  await first.gateway.killed();
  await sensor.hangup();
  assert.equal(sensor.has('puback', 42), false, 'the PUBACK never left the killed gateway');
  assert.equal(first.gateway.added.length, 1, 'the killed gateway had taken the message into its outbox');

  const second = await r.start();
  const again = await RawSensor.connect(second.port, r.login, false);
  t.after(() => again.destroy());
  again.publish(1, TOPIC, 42, reading(1), { dup: true });
  await again.ack('puback', 42);
  await settle(r, again, 43, 100);

  assert.equal(atHub(r, 1), 1, 'the resent reading reached the hub once');
  assert.equal(r.hub.accepted.duplicates, 0);
  assert.deepEqual(second.gateway.added.length, 1, 'the restarted gateway queued only the marker, not the resend');
  await second.gateway.stop();
});

test('QoS 1: a client that resends without DUP (as mqtt.js 5 does) first thing on its new connection gets its message to the hub once', async (t) => {
  const r = await rig(t, 'gw-eo-q1-nodup');
  const first = await r.start('puback');
  const sensor = await RawSensor.connect(first.port, r.login, false);
  t.after(() => sensor.destroy());
  sensor.publish(1, TOPIC, 52, reading(5));
  await first.gateway.killed();
  await sensor.hangup();
  assert.equal(first.gateway.added.length, 1, 'the killed gateway had taken the message into its outbox');

  const second = await r.start();
  const again = await RawSensor.connect(second.port, r.login, false);
  t.after(() => again.destroy());
  again.publish(1, TOPIC, 52, reading(5));
  await again.ack('puback', 52);
  await settle(r, again, 53, 101);
  assert.equal(atHub(r, 5), 1, 'the resent reading reached the hub once');
  assert.equal(second.gateway.added.length, 1, 'the restarted gateway queued only the marker, not the resend');
  await second.gateway.stop();
});

test('QoS 1: the same packet id and payload again on the connection that already got its PUBACK, with DUP=0 or DUP=1, is a new message', async (t) => {
  const r = await rig(t, 'gw-eo-new');
  const { port, gateway } = await r.start();
  const sensor = await RawSensor.connect(port, r.login, false);
  t.after(() => sensor.destroy());
  sensor.publish(1, TOPIC, 7, reading(2));
  await sensor.ack('puback', 7);
  sensor.publish(1, TOPIC, 7, reading(2));
  await waitUntil(() => gateway.added.length >= 2, 'the second publish taken', [{ emitter: gateway.events, event: 'change' }]);
  // [MQTT-4.3.2-2]: after a PUBACK the same packet id is a new publication, whatever its DUP flag.
  sensor.publish(1, TOPIC, 7, reading(2), { dup: true });
  await waitUntil(() => gateway.added.length >= 3, 'the third publish taken', [{ emitter: gateway.events, event: 'change' }]);
  await settle(r, sensor, 8, 100);
  assert.equal(atHub(r, 2), 3, 'three publishes, three messages at the hub');
  await gateway.stop();
});

for (const point of ['taken', 'pubrec', 'after-pubrec', 'pubcomp'] as const) {
  test(`QoS 2: exactly once at the hub through a gateway SIGKILL ${describePoint(point)}`, async (t) => {
    const r = await rig(t, `gw-eo-q2-${point}`);
    const first = await r.start(point === 'after-pubrec' ? 'none' : point);
    const sensor = await RawSensor.connect(first.port, r.login, false);
    t.after(() => sensor.destroy());
    sensor.publish(2, TOPIC, 9, reading(3));
    if (point === 'after-pubrec') {
      await sensor.ack('pubrec', 9);
      first.gateway.kill('SIGKILL');
    } else if (point === 'pubcomp') {
      await sensor.ack('pubrec', 9);
      sensor.pubrel(9);
    }
    await first.gateway.killed();
    await sensor.hangup();
    assert.equal(sensor.has('pubcomp', 9), false);
    assert.equal(first.gateway.added.length, 1, 'the killed gateway had taken the message into its outbox');

    const second = await r.start();
    const again = await RawSensor.connect(second.port, r.login, false);
    t.after(() => again.destroy());
    // [MQTT-4.4.0-1]: the client resends what was not acknowledged: the PUBLISH if it got no
    // PUBREC, otherwise the PUBREL.
    if (!sensor.has('pubrec', 9)) {
      again.publish(2, TOPIC, 9, reading(3), { dup: true });
      await again.ack('pubrec', 9);
    }
    again.pubrel(9);
    await again.ack('pubcomp', 9);
    await settle(r, again, 10, 100);

    assert.equal(atHub(r, 3), 1, 'the reading reached the hub once');
    assert.equal(second.gateway.added.length, 1, 'the restarted gateway queued only the marker');
    await second.gateway.stop();
  });
}

test('a clean session ends what the persistent one remembered: a DUP=1 publish reusing a packet id afterwards is a new message', async (t) => {
  const r = await rig(t, 'gw-eo-clean');
  const { port, gateway } = await r.start();
  const persistent = await RawSensor.connect(port, r.login, false);
  t.after(() => persistent.destroy());
  persistent.publish(1, TOPIC, 5, reading(4));
  await persistent.ack('puback', 5);
  await persistent.disconnect();

  const clean = await RawSensor.connect(port, r.login, true);
  t.after(() => clean.destroy());
  clean.publish(1, TOPIC, 5, reading(4), { dup: true });
  await clean.ack('puback', 5);
  await clean.disconnect();

  const resumed = await RawSensor.connect(port, r.login, false);
  t.after(() => resumed.destroy());
  resumed.publish(1, TOPIC, 5, reading(4), { dup: true });
  await resumed.ack('puback', 5);
  await settle(r, resumed, 6, 100);
  assert.equal(atHub(r, 4), 3, 'each publish after a clean session is new: three at the hub');
  await gateway.stop();
});

test('the record commits with what the handler writes: a handler that throws leaves no record, so the resend is taken', () => {
  const db = new Database(':memory:');
  try {
    const dedup = new PublishDedup(db, { gatewayId: 'gw1' });
    db.exec('CREATE TABLE rows (msg_id TEXT)');
    const insert = db.prepare<[string]>('INSERT INTO rows VALUES (?)');
    const p: SessionPublish = { clientId: 's1', packetId: 3, dup: false, topic: TOPIC, payload: Buffer.from('21.5'), connection: 'a' };
    assert.throws(() => dedup.take(p, (msgId) => {
      insert.run(msgId);
      throw new Error('refused');
    }), /refused/);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM rows').get() as { n: number }).n, 0, 'the handler\'s row rolled back too');
    const resent = dedup.take({ ...p, dup: true, connection: 'b' }, (msgId) => insert.run(msgId));
    assert.equal(resent.kind, 'taken');
    assert.match(resent.msgId, /^gw1:/);
    const again = dedup.take({ ...p, dup: true, connection: 'c' }, () => assert.fail('a resend is not handed over'));
    assert.deepEqual(again, { kind: 'resend', msgId: resent.msgId });
    const other = dedup.take({ ...p, dup: true, connection: 'd', payload: Buffer.from('22') }, (msgId) => insert.run(msgId));
    assert.equal(other.kind, 'taken', 'another payload under the same packet id is not a resend');
  } finally {
    db.close();
  }
});

test('without DUP, only the opening publishes of a new connection can be resends: after something new, a repeat is new', () => {
  const db = new Database(':memory:');
  try {
    const dedup = new PublishDedup(db, { gatewayId: 'gw1' });
    const p: SessionPublish = { clientId: 's1', packetId: 5, dup: false, topic: TOPIC, payload: Buffer.from('21.5'), connection: 'a' };
    const taken = dedup.take(p, () => undefined);
    assert.equal(taken.kind, 'taken');
    assert.deepEqual(dedup.take({ ...p, connection: 'b' }, () => assert.fail('a resend is not handed over')), { kind: 'resend', msgId: taken.msgId }, 'opening a new connection with it: a resend');
    assert.equal(dedup.take({ ...p, packetId: 6, payload: Buffer.from('22'), connection: 'b' }, () => undefined).kind, 'taken', 'something new ends the resends');
    assert.equal(dedup.take({ ...p, connection: 'b' }, () => undefined).kind, 'taken', 'after that, only DUP marks a resend');
  } finally {
    db.close();
  }
});

test('the records are bounded: one per client and packet id, and at most maxRecords in all, the oldest dropped first', () => {
  const db = new Database(':memory:');
  try {
    const dedup = new PublishDedup(db, { gatewayId: 'gw1', maxRecords: 100 });
    const base = { dup: false, topic: TOPIC, payload: Buffer.from('1'), connection: 'a' };
    for (let i = 0; i < 500; i++) dedup.take({ ...base, clientId: 's1', packetId: 1 }, () => undefined);
    const count = (): number => (db.prepare('SELECT COUNT(*) AS n FROM broker_publish_dedup').get() as { n: number }).n;
    assert.equal(count(), 1, 'reusing a packet id replaces its record');
    for (let i = 1; i <= 300; i++) dedup.take({ ...base, clientId: 's2', packetId: i }, () => undefined);
    assert.equal(count(), 100);
    const resend = (clientId: string, packetId: number) => dedup.take({ ...base, clientId, packetId, dup: true, connection: 'b' }, () => undefined).kind;
    assert.equal(resend('s2', 300), 'resend', 'the newest records are kept');
    assert.equal(resend('s2', 1), 'taken', 'the oldest went');
  } finally {
    db.close();
  }
});

function describePoint(point: 'taken' | 'pubrec' | 'after-pubrec' | 'pubcomp'): string {
  switch (point) {
    case 'taken':
      return 'after the outbox commit, before the broker stored the message';
    case 'pubrec':
      return 'after the broker stored the message, before its PUBREC';
    case 'after-pubrec':
      return 'after the PUBREC, before the PUBREL';
    case 'pubcomp':
      return 'after the PUBREL, before the PUBCOMP';
  }
}
