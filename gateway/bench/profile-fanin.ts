// Runs one broker (gateway, aedes-mem or mosquitto) under the bench's 100->1 fan-in load (QoS 1, or PROFILE_QOS=0), to profile the broker process alone:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-fanin.ts [gateway|aedes-mem|mosquitto]
// Same load processes as run.ts; no mosquitto, no table: prints msgs/s per repetition and
// each process's CPU time per message (the machine's cores are what the brokers compete for).

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pino from 'pino';
import { DeviceCredentials, GatewayBroker } from '../src/broker/index.ts';
import { startBareAedes } from './bare-aedes.ts';
import { startMosquitto } from './mosquitto-process.ts';
import { readFileSync } from 'node:fs';
import type { MqttTarget, PublisherCommand, SubscriberCommand } from './worker-protocol.ts';

const which = process.argv[2] ?? 'gateway';
const REPS = Number(process.env.PROFILE_REPS ?? 4);
const TOTAL = Number(process.env.PROFILE_MSGS ?? 40_000);
const QOS = Number(process.env.PROFILE_QOS ?? 1) as 0 | 1;
/** PROFILE_ONE=1: the 1->1 shape instead (one publisher, window 64). */
const ONE = process.env.PROFILE_ONE === '1';
const PROCESSES = ONE ? 1 : 4;
const PUBLISHERS = ONE ? 1 : 100;

function spawn(script: string): { child: ChildProcess; next: (kind: string) => Promise<Record<string, unknown>> } {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue: Array<Record<string, unknown>> = [];
  let waiter: ((m: Record<string, unknown>) => void) | null = null;
  child.on('message', (m) => {
    if (waiter) {
      const w = waiter;
      waiter = null;
      w(m as Record<string, unknown>);
    } else queue.push(m as Record<string, unknown>);
  });
  const next = async (kind: string): Promise<Record<string, unknown>> => {
    const m = queue.length > 0 ? queue.shift()! : await new Promise<Record<string, unknown>>((r) => (waiter = r));
    if (m.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(m)}`);
    return m;
  };
  return { child, next };
}

const dir = mkdtempSync(join(tmpdir(), 'unibos-gateway-profile-'));
const db = new Database(join(dir, 'gateway.db'));
const credentials = new DeviceCredentials(db);
const secret = await credentials.add('bench', 'hub');
const broker = which === 'gateway'
  ? await GatewayBroker.start({
      dataDir: dir, credentials, gatewayId: 'bench', logger: pino({ level: 'silent' }), port: 0, wsPort: null, allowAnonymous: true,
      // PROFILE_QOS0_QUEUE=0: aedes' own QoS 0 delivery (waits for a full socket), to compare.
      ...(process.env.PROFILE_QOS0_QUEUE !== undefined ? { maxQueuedQos0: Number(process.env.PROFILE_QOS0_QUEUE) } : {}),
    })
  : null;
const bare = which === 'aedes-mem' ? await startBareAedes() : null;
const mosquitto = which === 'mosquitto' ? await startMosquitto(dir, { username: 'bench', password: secret }) : null;
const port = broker ? broker.ports.mqtt : bare ? bare.port : mosquitto!.port;
/** user+system CPU seconds of a process so far, from /proc. */
const cpuOf = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const target: MqttTarget = { url: `mqtt://127.0.0.1:${port}`, username: 'bench', password: secret, clientIdPrefix: 'bench:' };

const sub = spawn('./subscriber-worker.ts');
const pubs = Array.from({ length: PROCESSES }, () => spawn('./publisher-worker.ts'));
for (let rep = 0; rep < REPS; rep++) {
  const runId = `p${rep}`;
  sub.child.send({ cmd: 'arm', target, qos: QOS, expected: TOTAL, runId } satisfies SubscriberCommand);
  await sub.next('armed');
  const per = PUBLISHERS / PROCESSES;
  pubs.forEach((p, i) =>
    p.child.send({ cmd: 'prepare', target, qos: QOS, clients: per, firstPublisher: i * per, perClient: TOTAL / PUBLISHERS, window: ONE ? 64 : 4, runId } satisfies PublisherCommand),
  );
  await Promise.all(pubs.map((p) => p.next('ready')));
  const pids = { broker: mosquitto ? mosquitto.child.pid! : process.pid, sub: sub.child.pid!, pubs: pubs.map((p) => p.child.pid!) };
  const cpu = () => ({ broker: cpuOf(pids.broker), sub: cpuOf(pids.sub), pubs: pids.pubs.reduce((a, p) => a + cpuOf(p), 0) });
  const c0 = cpu();
  const t0 = process.hrtime.bigint();
  for (const p of pubs) p.child.send({ cmd: 'go' } satisfies PublisherCommand);
  await Promise.all(pubs.map((p) => p.next('published')));
  sub.child.send({ cmd: 'finish', quietMs: 3000 } satisfies SubscriberCommand);
  const { result } = (await sub.next('result')) as unknown as { result: { received: number; lastNs: string; p99Ms: number } };
  const c1 = cpu();
  const us = (k: 'broker' | 'sub' | 'pubs'): string => ((1e6 * (c1[k] - c0[k])) / result.received).toFixed(1);
  for (const p of pubs) p.child.send({ cmd: 'close' } satisfies PublisherCommand);
  await Promise.all(pubs.map((p) => p.next('closed')));
  const s = Number(BigInt(result.lastNs) - t0) / 1e9;
  console.log(`${which} qos${QOS} ${PUBLISHERS}->1 rep ${rep}: ${result.received}/${TOTAL} msgs${broker ? ` (${broker.stats.qos0Dropped} QoS 0 drops, ${broker.stats.qos0Forwarded + broker.stats.qos1Forwarded} forwarded below aedes so far)` : ''}, ${Math.round(result.received / s)} msgs/s, p99 ${result.p99Ms.toFixed(1)} ms; CPU us/msg broker ${us('broker')} subscriber ${us('sub')} publishers ${us('pubs')}`);
}
for (const w of [sub, ...pubs]) w.child.kill();
await broker?.close();
await bare?.close();
await mosquitto?.stop();
db.close();
rmSync(dir, { recursive: true, force: true });
