// The hub broker before a client has authenticated: a CONNECT that declares hundreds of MiB is cut
// from its fixed header (the hub's memory does not grow with what is streamed at it), any later
// packet larger than the hub takes is cut the same way, and idle sockets cannot lock a gateway out.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import pino from 'pino';
import { HubBroker } from '../src/broker/hub-broker.ts';
import type { HubProcessReady, HubProcessRss } from './support/hub-process.ts';
import type { DeviceCredentials } from '../src/fleet/device-credentials.ts';

const MiB = 1024 * 1024;

/** Resolves on the event; unlike once(), an 'error' on a socket the hub cut does not reject it. */
function on(emitter: Socket, event: string): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

/** The fixed header of a CONNECT whose remaining length is `length`. */
function connectHeader(length: number): Buffer {
  const bytes = [0x10];
  do {
    let b = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) b |= 0x80;
    bytes.push(b);
  } while (length > 0);
  return Buffer.from(bytes);
}

/**
 * Sends `header` and then zeros, up to `total` bytes, for as long as the peer keeps the socket
 * open. Resolves with how much was handed to the socket and whether the peer closed it first.
 */
async function stream(port: number, header: Buffer, total: number): Promise<{ written: number; closedByPeer: boolean }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  let closed = false;
  const closedP = on(socket, 'close').then(() => {
    closed = true;
  });
  await Promise.race([on(socket, 'connect'), closedP]);
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  if (!closed) {
    socket.write(header);
    written += header.length;
  }
  while (!closed && written < total) {
    const ok = socket.write(chunk);
    written += chunk.length;
    if (!ok) await Promise.race([on(socket, 'drain'), closedP]);
  }
  const closedByPeer = closed;
  socket.end();
  await closedP;
  return { written, closedByPeer };
}

/** A broker of its own with small limits, that knows one gateway (the credential store is not under test here). */
async function gatewayBroker(limits: { maxConnections?: number; maxPendingConnections?: number } = {}): Promise<{ broker: HubBroker; gateway: { orgId: string; id: string; secret: string } }> {
  const gateway = { orgId: 'org-1', id: 'abcd0042', secret: 'a-gateway-secret-of-forty-three-characters!' };
  const credentials = {
    verify: (id: string, secret: string) => (id === gateway.id && secret === gateway.secret ? { orgId: gateway.orgId, id, kind: 'gateway' as const } : null),
  } as unknown as DeviceCredentials;
  const broker = await HubBroker.start({ host: '127.0.0.1', port: 0, credentials, logger: pino({ level: 'silent' }), ingest: () => undefined, ...limits });
  after(() => broker.close());
  return { broker, gateway };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} is on /metrics`);
  return Number(line.split(' ')[1]);
}

describe('hub broker before authentication', () => {
  it('cuts a CONNECT declared at 200 MiB from its header, counts it, and does not grow', async () => {
    const child: ChildProcess = fork(fileURLToPath(new URL('./support/hub-process.ts', import.meta.url)), {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    after(() => {
      if (child.exitCode === null && child.connected) child.send({ cmd: 'stop' });
    });
    const [ready] = (await once(child, 'message')) as [HubProcessReady];
    const rss = async (): Promise<number> => {
      child.send({ cmd: 'rss' });
      const [m] = (await once(child, 'message')) as [HubProcessRss];
      return m.rss;
    };
    const before = await rss();

    // Eight sockets each stream 32 MiB into a CONNECT that says 200 MiB: 256 MiB if it were buffered.
    const perSocket = 32 * MiB;
    const results = await Promise.all(Array.from({ length: 8 }, () => stream(ready.mqttPort, connectHeader(200 * MiB), perSocket)));
    for (const r of results) {
      assert.equal(r.closedByPeer, true, 'the hub closed the socket');
      assert.ok(r.written < perSocket, `closed after ${r.written} bytes, before the client was done`);
    }
    assert.ok((await metric(ready.url, 'unibos_hub_broker_oversized_total')) >= 8, 'each cut socket is counted');

    const grown = (await rss()) - before;
    assert.ok(grown < 48 * MiB, `hub RSS grew by ${(grown / MiB).toFixed(1)} MiB for 8 x 200 MiB declared`);

    child.send({ cmd: 'stop' });
    await once(child, 'exit');
  });

  it('lets a gateway in while idle unauthenticated sockets flood the broker', async () => {
    const { broker, gateway } = await gatewayBroker({ maxConnections: 100, maxPendingConnections: 16 });
    const flood: Socket[] = [];
    after(() => {
      for (const s of flood) s.destroy();
    });

    // More idle sockets than the broker takes at all: each opens and never says a word.
    await Promise.all(Array.from({ length: 150 }, async () => {
      const s = connect({ host: '127.0.0.1', port: broker.port });
      s.on('error', () => undefined);
      flood.push(s);
      await Promise.race([on(s, 'connect'), on(s, 'close')]);
    }));

    const client = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, {
      clientId: gateway.id,
      username: gateway.id,
      password: gateway.secret,
      reconnectPeriod: 200,
      connectTimeout: 5000,
    });
    after(() => client.end(true));
    // A refused attempt surfaces as an error and a retry; counted, so the test can say it had none.
    let retries = 0;
    client.on('error', () => undefined);
    client.on('reconnect', () => retries++);
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    // In at the first attempt, through the pending cap, not later once the flood had timed out and gone.
    assert.equal(retries, 0, 'the gateway got in at its first attempt');
    assert.ok(broker.isConnected(gateway.orgId, gateway.id));
    assert.ok(broker.stats.shed >= 150 - 16, `the oldest idle sockets were shed (${broker.stats.shed})`);
  });

  it('cuts an authenticated gateway whose PUBLISH declares more than the hub takes', async () => {
    const { broker, gateway } = await gatewayBroker();
    const socket = connect({ host: '127.0.0.1', port: broker.port });
    socket.on('error', () => undefined);
    after(() => socket.destroy());
    await on(socket, 'connect');
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: gateway.id, username: gateway.id, password: Buffer.from(gateway.secret) }));
    const [connack] = (await once(socket, 'data')) as [Buffer];
    assert.equal(connack[0], 0x20, 'CONNACK');
    assert.equal(connack[3], 0, 'accepted');
    // A PUBLISH header that says 10 MiB, then the start of its body.
    const header = connectHeader(10 * MiB);
    header[0] = 0x32;
    socket.write(Buffer.concat([header, Buffer.alloc(64 * 1024)]));
    await on(socket, 'close');
    assert.equal(broker.stats.oversized, 1, 'counted');
  });
});
