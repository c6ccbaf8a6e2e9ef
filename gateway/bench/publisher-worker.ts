// A load process for the broker bench: on 'prepare' it connects its share of the publishers, on
// 'go' each publishes its messages keeping at most `window` unacknowledged (PUBACK for QoS 1, the
// socket taking the bytes for QoS 0), so latency measures the broker rather than a client-side queue.

import mqtt, { type MqttClient } from 'mqtt';
import { BENCH_TOPIC_PREFIX, encodePayload, type PublisherCommand, type PublisherReport, type Qos } from './worker-protocol.ts';

let clients: MqttClient[] = [];
let plan: Extract<PublisherCommand, { cmd: 'prepare' }> | null = null;

function report(r: PublisherReport): void {
  process.send?.(r);
}

function fail(err: unknown): void {
  report({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
}

function connectOnce(url: string, options: mqtt.IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, options);
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/**
 * Connects, trying again while the broker answers "server unavailable": it verifies at most 10
 * logins of one user name from one address at a time (auth-throttle.ts), and the bench's publishers
 * all share one login, so some of a burst are told to come back, as a device's client would.
 */
async function connect(url: string, options: mqtt.IClientOptions): Promise<MqttClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(url, options);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 3 || attempt >= 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
    }
  }
}

/** Publishes `count` messages from one client with at most `window` outstanding; resolves when all completed. */
function publishAll(client: MqttClient, publisher: number, count: number, qos: Qos, window: number): Promise<number> {
  const topic = `${BENCH_TOPIC_PREFIX}/${publisher}`;
  return new Promise((resolve, reject) => {
    let next = 0;
    let outstanding = 0;
    let completed = 0;
    let failed = false;
    const pump = (): void => {
      while (!failed && outstanding < window && next < count) {
        const seq = next++;
        outstanding++;
        client.publish(topic, encodePayload(publisher, seq), { qos }, (err) => {
          outstanding--;
          if (err) {
            failed = true;
            return reject(err);
          }
          if (++completed === count) return resolve(completed);
          // mqtt.js may call back synchronously (QoS 0 without backpressure): refill from a microtask, not by recursion.
          queueMicrotask(pump);
        });
      }
    };
    if (count === 0) resolve(0);
    else pump();
  });
}

async function closeAll(): Promise<void> {
  const closing = clients.map((c) => new Promise<void>((resolve) => c.end(true, {}, () => resolve())));
  clients = [];
  await Promise.all(closing);
}

process.on('message', (m: PublisherCommand) => {
  void (async () => {
    try {
      if (m.cmd === 'prepare') {
        await closeAll();
        plan = m;
        const { target } = m;
        clients = await Promise.all(
          Array.from({ length: m.clients }, (_, i) =>
            connect(target.url, {
              protocolVersion: 4,
              clean: true,
              reconnectPeriod: 0,
              keepalive: 60,
              connectTimeout: 20_000,
              username: target.username,
              password: target.password,
              clientId: `${target.clientIdPrefix}pub-${m.runId}-${m.firstPublisher + i}`,
            }),
          ),
        );
        report({ kind: 'ready' });
      } else if (m.cmd === 'go') {
        const p = plan;
        if (!p) throw new Error('go before prepare');
        const counts = await Promise.all(clients.map((c, i) => publishAll(c, p.firstPublisher + i, p.perClient, p.qos, p.window)));
        report({ kind: 'published', sent: counts.reduce((a, b) => a + b, 0) });
      } else if (m.cmd === 'close') {
        await closeAll();
        report({ kind: 'closed' });
      }
    } catch (err) {
      fail(err);
    }
  })();
});

// The bench owns this process: when it goes away (or fails), so do we.
process.on('disconnect', () => process.exit(0));
