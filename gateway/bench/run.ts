// Gateway broker vs Debian mosquitto, and the frame pipeline vs a LoRa channel, in one run.
//   broker: messages/s and latency at one subscriber for QoS 0 and 1, 1 publisher -> 1 subscriber
//           and 100 publishers (over several processes) -> 1 subscriber; every broker measured with
//           the same clients, in rounds that rotate which goes first; load and subscriber live in
//           child processes, the gateway broker in this one (as in the gateway), mosquitto in its
//           own. Bare aedes (memory persistence, no hooks) is measured too, to locate any gap.
//   generator ceiling: in the same rounds, the publisher processes against a sink that only
//           acknowledges, and the subscriber process fed by that sink as fast as its socket takes
//           it (noop-sink.ts): no broker can deliver faster than the slower of the two.
//   pipeline: frames/s from a fake radio through router dedup/decode and the MeshBridge into the
//           gateway broker, against the most frames one LoRa channel can carry.
//   uplink: a 10,000-message hub outbox backlog, added durably and drained over QoS 1 into a hub
//           broker, against the same channel maximum.
// Prints a table and ends with one line of ratios (gateway / mosquitto, measured in this run).

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pino from 'pino';
import { loraParams, timeOnAirMs } from '@unibos/mesh-protocol';
import { BROKER_DEFAULTS, DeviceCredentials, GatewayBroker } from '../src/broker/index.ts';
import { measurePipeline, type PipelineResult } from './frame-pipeline.ts';
import { measureUplinkBacklog, type BacklogResult } from './uplink-backlog.ts';
import { startBareAedes, type BareAedes } from './bare-aedes.ts';
import { startMosquitto, type MosquittoProcess } from './mosquitto-process.ts';
import { startNoopSink, type NoopSink } from './noop-sink.ts';
import type { MqttTarget, PublisherCommand, PublisherReport, Qos, SubscriberCommand, SubscriberReport, SubscriberResult } from './worker-protocol.ts';

const env = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer`);
  return v;
};
const MSGS_ONE = env('BENCH_MSGS_1TO1', 40_000);
const MSGS_FANIN = env('BENCH_MSGS_FANIN', 40_000);
const ROUNDS = env('BENCH_ROUNDS', 3);
const FANIN_PUBLISHERS = 100;
const PUBLISHER_PROCESSES = env('BENCH_PUB_PROCESSES', 4);
/** Unacknowledged messages a publisher may have: 64 for the lone publisher, 4 each (400 in all) in the fan-in. */
const WINDOW_ONE = env('BENCH_WINDOW_1TO1', 64);
const WINDOW_FANIN = env('BENCH_WINDOW_FANIN', 4);
const PIPELINE_FRAMES = env('BENCH_FRAMES', 20_000);
const UPLINK_BACKLOG = env('BENCH_UPLINK_BACKLOG', 10_000);
const LORA_PAYLOAD_BYTES = 60;
const STALL_MS = 30_000;
const QUIET_MS = 3_000;

const BROKERS = ['mosquitto', 'gateway', 'aedes-mem'] as const;
type BrokerName = (typeof BROKERS)[number];
type Shape = '1->1' | '100->1';

interface Measurement {
  readonly broker: BrokerName;
  readonly qos: Qos;
  readonly shape: Shape;
  readonly sent: number;
  readonly stalled: boolean;
  readonly result: SubscriberResult;
  readonly msgsPerSecond: number;
  /** QoS 0 deliveries the gateway broker dropped and counted in this measurement (0 for the others). */
  readonly dropped: number;
  /** Publishes the gateway broker forwarded below aedes (publish-fast-path.ts) in this measurement (0 for the others). */
  readonly forwarded: number;
}

/** A forked load process and the reports it sends back, taken in order. */
class Worker {
  private readonly queue: unknown[] = [];
  private waiter: ((m: unknown) => void) | null = null;
  private exitError: Error | null = null;
  constructor(readonly name: string, readonly child: ChildProcess) {
    child.on('message', (m) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(m);
      } else this.queue.push(m);
    });
    child.once('exit', (code, signal) => {
      this.exitError = new Error(`${name} exited (${code ?? signal})`);
      this.waiter?.({ kind: 'error', message: this.exitError.message });
    });
  }

  send(m: PublisherCommand | SubscriberCommand): void {
    this.child.send(m);
  }

  /** The next report of `kind`; an 'error' report, an exit or the timeout throws. */
  async next<R extends { kind: string }>(kind: R['kind'], timeoutMs: number): Promise<R> {
    const m = await new Promise<unknown>((resolve, reject) => {
      if (this.queue.length > 0) return resolve(this.queue.shift());
      if (this.exitError) return reject(this.exitError);
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(Object.assign(new Error(`${this.name}: no '${kind}' within ${timeoutMs} ms`), { code: 'E_TIMEOUT' }));
      }, timeoutMs);
      this.waiter = (msg) => {
        clearTimeout(timer);
        resolve(msg);
      };
    });
    const r = m as { kind: string; message?: string };
    if (r.kind === 'error') throw new Error(`${this.name}: ${r.message}`);
    if (r.kind !== kind) throw new Error(`${this.name}: expected '${kind}', got '${r.kind}'`);
    return m as R;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

function spawnWorker(name: string, script: string): Worker {
  const path = fileURLToPath(new URL(script, import.meta.url));
  return new Worker(name, fork(path, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
}

const silent = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'unibos-gateway-bench-'));
const workers: Worker[] = [];
let mosquitto: MosquittoProcess | null = null;
let broker: GatewayBroker | null = null;
let bare: BareAedes | null = null;
let sink: NoopSink | null = null;
let db: Database.Database | null = null;
let cleaned: Promise<void> | null = null;

function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    for (const w of workers) w.kill();
    await mosquitto?.stop().catch(() => undefined);
    await broker?.close().catch(() => undefined);
    await bare?.close().catch(() => undefined);
    await sink?.close().catch(() => undefined);
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  })();
  return cleaned;
}
// Last resort if we die some other way: no orphaned mosquitto or load processes.
process.once('exit', () => {
  for (const w of workers) w.kill();
  mosquitto?.child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

let runCounter = 0;

async function measure(
  targets: Record<BrokerName, MqttTarget>,
  subscriber: Worker,
  publishers: Worker[],
  brokerName: BrokerName,
  qos: Qos,
  shape: Shape,
  total: number,
): Promise<Measurement> {
  const runId = `${++runCounter}`;
  const target = targets[brokerName];
  subscriber.send({ cmd: 'arm', target, qos, expected: total, runId });
  await subscriber.next<SubscriberReport>('armed', 30_000);
  const { plans, perClient, window } = planLoad(publishers, shape, total);
  for (const p of plans) p.worker.send({ cmd: 'prepare', target, qos, clients: p.clients, firstPublisher: p.first, perClient, window, runId });
  await Promise.all(plans.map((p) => p.worker.next<PublisherReport>('ready', 60_000)));

  const dropsBefore = broker?.stats.qos0Dropped ?? 0;
  const forwardedOf = (b: GatewayBroker | null): number => (b ? b.stats.qos0Forwarded + b.stats.qos1Forwarded : 0);
  const forwardedBefore = forwardedOf(broker);
  const t0 = process.hrtime.bigint();
  for (const p of plans) p.worker.send({ cmd: 'go' });
  let stalled = false;
  let sent = 0;
  try {
    const done = await Promise.all(plans.map((p) => p.worker.next<Extract<PublisherReport, { kind: 'published' }>>('published', STALL_MS)));
    sent = done.reduce((a, d) => a + d.sent, 0);
  } catch (err) {
    if ((err as { code?: string }).code !== 'E_TIMEOUT') throw err;
    stalled = true;
  }
  subscriber.send({ cmd: 'finish', quietMs: QUIET_MS });
  const { result } = await subscriber.next<Extract<SubscriberReport, { kind: 'result' }>>('result', STALL_MS + QUIET_MS);
  if (stalled) {
    // The publishers are still waiting for acknowledgements; start them afresh for the next run.
    throw new Error(`${brokerName} qos${qos} ${shape} stalled: ${result.received}/${total} delivered after ${STALL_MS / 1000} s`);
  }
  for (const p of plans) p.worker.send({ cmd: 'close' });
  await Promise.all(plans.map((p) => p.worker.next<PublisherReport>('closed', 30_000)));
  const seconds = Number(BigInt(result.lastNs) - t0) / 1e9;
  const dropped = brokerName === 'gateway' ? (broker?.stats.qos0Dropped ?? 0) - dropsBefore : 0;
  const forwarded = brokerName === 'gateway' ? forwardedOf(broker) - forwardedBefore : 0;
  return { broker: brokerName, qos, shape, sent, stalled, result, msgsPerSecond: result.received / seconds, dropped, forwarded };
}

interface LoadPlan {
  plans: Array<{ worker: Worker; clients: number; first: number }>;
  perClient: number;
  window: number;
}

/** Which publisher process runs which publishers, and how many messages each sends. */
function planLoad(publishers: Worker[], shape: Shape, total: number): LoadPlan {
  const plans: LoadPlan['plans'] = [];
  if (shape === '1->1') plans.push({ worker: publishers[0]!, clients: 1, first: 0 });
  else {
    const per = Math.ceil(FANIN_PUBLISHERS / publishers.length);
    publishers.forEach((worker, i) => {
      const first = i * per;
      const clients = Math.min(per, FANIN_PUBLISHERS - first);
      if (clients > 0) plans.push({ worker, clients, first });
    });
  }
  const clientsInAll = plans.reduce((a, p) => a + p.clients, 0);
  const perClient = Math.floor(total / clientsInAll);
  if (perClient * clientsInAll !== total) throw new Error(`${total} messages do not split over ${clientsInAll} publishers`);
  return { plans, perClient, window: shape === '1->1' ? WINDOW_ONE : WINDOW_FANIN };
}

interface Ceiling {
  readonly qos: Qos;
  readonly shape: Shape;
  /** msgs/s the publisher processes sent (QoS 1: acknowledged) into a sink that does nothing else. */
  readonly publishers: number;
  /** msgs/s the subscriber process took from a sink writing as fast as its socket allows. */
  readonly subscriber: number;
}

/** The load generator's ceiling for one scenario: each side against the no-op sink. */
async function measureCeiling(target: MqttTarget, noop: NoopSink, subscriber: Worker, publishers: Worker[], qos: Qos, shape: Shape, total: number): Promise<Ceiling> {
  const runId = `${++runCounter}`;
  const { plans, perClient, window } = planLoad(publishers, shape, total);
  for (const p of plans) p.worker.send({ cmd: 'prepare', target, qos, clients: p.clients, firstPublisher: p.first, perClient, window, runId });
  await Promise.all(plans.map((p) => p.worker.next<PublisherReport>('ready', 60_000)));
  const t0 = process.hrtime.bigint();
  for (const p of plans) p.worker.send({ cmd: 'go' });
  const done = await Promise.all(plans.map((p) => p.worker.next<Extract<PublisherReport, { kind: 'published' }>>('published', STALL_MS)));
  const pubSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const sent = done.reduce((a, d) => a + d.sent, 0);
  for (const p of plans) p.worker.send({ cmd: 'close' });
  await Promise.all(plans.map((p) => p.worker.next<PublisherReport>('closed', 30_000)));

  subscriber.send({ cmd: 'arm', target, qos, expected: total, runId });
  await subscriber.next<SubscriberReport>('armed', 30_000);
  const t1 = process.hrtime.bigint();
  await noop.blast(total, qos);
  subscriber.send({ cmd: 'finish', quietMs: QUIET_MS });
  const { result } = await subscriber.next<Extract<SubscriberReport, { kind: 'result' }>>('result', STALL_MS + QUIET_MS);
  const subSeconds = Number(BigInt(result.lastNs) - t1) / 1e9;
  return { qos, shape, publishers: sent / pubSeconds, subscriber: result.received / subSeconds };
}

try {
  const benchStarted = performance.now();
  db = new Database(join(dir, 'gateway.db'));
  const credentials = new DeviceCredentials(db);
  // A hub-role device may use all of unibos/v1/#; mosquitto gets the same login and an ACL file granting the same.
  const secret = await credentials.add('bench', 'hub');
  broker = await GatewayBroker.start({ dataDir: dir, credentials, gatewayId: 'bench', logger: silent, port: 0, wsPort: null, allowAnonymous: true });
  mosquitto = await startMosquitto(dir, { username: 'bench', password: secret });
  bare = await startBareAedes();
  sink = await startNoopSink();
  const login = { username: 'bench', password: secret, clientIdPrefix: 'bench:' };
  const targets: Record<BrokerName, MqttTarget> = {
    mosquitto: { url: `mqtt://127.0.0.1:${mosquitto.port}`, ...login },
    gateway: { url: `mqtt://127.0.0.1:${broker.ports.mqtt}`, ...login },
    'aedes-mem': { url: `mqtt://127.0.0.1:${bare.port}`, ...login },
  };

  const subscriber = spawnWorker('subscriber', './subscriber-worker.ts');
  workers.push(subscriber);
  const publishers = Array.from({ length: PUBLISHER_PROCESSES }, (_, i) => spawnWorker(`publisher ${i}`, './publisher-worker.ts'));
  workers.push(...publishers);

  // Warm-up (not reported): JIT in every process, and aedes' and the database's first allocations.
  for (const b of BROKERS) await measure(targets, subscriber, publishers, b, 1, '100->1', 2_000);

  const scenarios: Array<{ qos: Qos; shape: Shape; total: number }> = [
    { qos: 0, shape: '1->1', total: MSGS_ONE },
    { qos: 1, shape: '1->1', total: MSGS_ONE },
    { qos: 0, shape: '100->1', total: MSGS_FANIN },
    { qos: 1, shape: '100->1', total: MSGS_FANIN },
  ];
  const results: Measurement[] = [];
  const ceilings: Ceiling[] = [];
  const sinkTarget: MqttTarget = { url: `mqtt://127.0.0.1:${sink.port}`, ...login };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, s] of scenarios.entries()) {
      ceilings.push(await measureCeiling(sinkTarget, sink, subscriber, publishers, s.qos, s.shape, s.total));
      // Rotate which broker goes first, so drift (heat, page cache, other load) favours none.
      const k = (i + round) % BROKERS.length;
      const order = [...BROKERS.slice(k), ...BROKERS.slice(0, k)];
      for (const b of order) results.push(await measure(targets, subscriber, publishers, b, s.qos, s.shape, s.total));
    }
  }

  const pipeline: PipelineResult = await measurePipeline(broker, silent, PIPELINE_FRAMES);
  const backlog: BacklogResult = await measureUplinkBacklog(silent, UPLINK_BACKLOG);
  const channelMax = (preset: 'LongFast' | 'ShortFast'): number => 1000 / timeOnAirMs(loraParams(preset), LORA_PAYLOAD_BYTES);
  const longFastMax = channelMax('LongFast');
  const shortFastMax = channelMax('ShortFast');
  const elapsed = (performance.now() - benchStarted) / 1000;

  const pad = (s: string, n: number): string => s.padEnd(n);
  const num = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  interface Row { qos: Qos; shape: Shape; broker: BrokerName; rates: number[]; msgsPerSecond: number; p50Ms: number; p99Ms: number; maxMs: number; received: number; sent: number; duplicates: number; dropped: number; forwarded: number }
  const rows: Row[] = [];
  for (const s of scenarios) {
    for (const b of BROKERS) {
      const ms = results.filter((m) => m.qos === s.qos && m.shape === s.shape && m.broker === b);
      rows.push({
        qos: s.qos,
        shape: s.shape,
        broker: b,
        rates: ms.map((m) => m.msgsPerSecond),
        msgsPerSecond: median(ms.map((m) => m.msgsPerSecond)),
        p50Ms: median(ms.map((m) => m.result.p50Ms)),
        p99Ms: median(ms.map((m) => m.result.p99Ms)),
        maxMs: Math.max(...ms.map((m) => m.result.maxMs)),
        received: ms.reduce((a, m) => a + m.result.received, 0),
        sent: ms.reduce((a, m) => a + m.sent, 0),
        duplicates: ms.reduce((a, m) => a + m.result.duplicates, 0),
        dropped: ms.reduce((a, m) => a + m.dropped, 0),
        forwarded: ms.reduce((a, m) => a + m.forwarded, 0),
      });
    }
  }
  console.log(
    `gateway bench: ${ROUNDS} rounds; ${MSGS_ONE} msgs 1->1 (window ${WINDOW_ONE}), ${MSGS_FANIN} msgs ${FANIN_PUBLISHERS}->1 ` +
      `(${FANIN_PUBLISHERS} mqtt.js clients over ${PUBLISHER_PROCESSES} processes, window ${WINDOW_FANIN} each); 64-byte payloads; subscriber in its own process.`,
  );
  console.log(
    '  mosquitto = Debian 2.0 with password_file, acl_file and persistence, max_queued_messages 0, max_inflight_messages 0; ' +
      `gateway = GatewayBroker (aedes 1.2 + LevelDB persistence + auth/ACL; QoS 0 and QoS 1 without persistent subscribers forwarded below aedes, QoS 0 queue bound ${BROKER_DEFAULTS.maxQueuedQos0} per subscriber); aedes-mem = bare aedes 1.2, memory persistence (diagnostic); ` +
      'load generator ceiling measured against a no-op sink in the same rounds',
  );
  console.log('  msgs/s and latencies are medians over the rounds (each round\'s msgs/s in brackets); latency = send -> subscriber, one clock');
  console.log('');
  console.log(`${pad('qos', 4)}${pad('shape', 8)}${pad('broker', 11)}${pad('received', 18)}${pad('msgs/s', 8)}${pad('(rounds)', 18)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}max ms`);
  for (const r of rows) {
    const got = `${r.received}/${r.sent}${r.duplicates ? ` +${r.duplicates}dup` : ''}`;
    console.log(
      `${pad(String(r.qos), 4)}${pad(r.shape, 8)}${pad(r.broker, 11)}${pad(got, 18)}${pad(Math.round(r.msgsPerSecond).toString(), 8)}` +
        `${pad(`(${r.rates.map((v) => Math.round(v)).join(' ')})`, 18)}${pad(num(r.p50Ms, 2), 9)}${pad(num(r.p99Ms, 2), 9)}${num(r.maxMs, 1)}`,
    );
  }
  console.log('');
  console.log('load generator ceiling (each side against the no-op sink; medians, rounds in brackets): msgs/s');
  const ceilingOf = (qos: Qos, shape: Shape): { publishers: number; subscriber: number; both: number } => {
    const cs = ceilings.filter((c) => c.qos === qos && c.shape === shape);
    const publishersRate = median(cs.map((c) => c.publishers));
    const subscriberRate = median(cs.map((c) => c.subscriber));
    return { publishers: publishersRate, subscriber: subscriberRate, both: Math.min(publishersRate, subscriberRate) };
  };
  for (const s of scenarios) {
    const cs = ceilings.filter((c) => c.qos === s.qos && c.shape === s.shape);
    const c = ceilingOf(s.qos, s.shape);
    console.log(
      `  qos${s.qos} ${pad(s.shape, 7)} publishers ${pad(Math.round(c.publishers).toString(), 7)}${pad(`(${cs.map((x) => Math.round(x.publishers)).join(' ')})`, 22)}` +
        `subscriber ${pad(Math.round(c.subscriber).toString(), 7)}(${cs.map((x) => Math.round(x.subscriber)).join(' ')})`,
    );
  }
  console.log('');
  console.log('frame pipeline (fake radio -> router dedup/decode -> MeshBridge -> gateway broker, no subscriber)');
  console.log(
    `  ${pipeline.framesIn} frames in (${pipeline.duplicatesIn} duplicates), ${pipeline.bridged} bridged, ${pipeline.published} publishes, ` +
      `${pipeline.publishErrors} errors, ${num(pipeline.seconds, 2)} s: ${Math.round(pipeline.framesPerSecond)} frames/s`,
  );
  console.log(`  LoRa channel maximum for ${LORA_PAYLOAD_BYTES}-byte frames: LongFast ${num(longFastMax, 2)} frames/s, ShortFast ${num(shortFastMax, 2)} frames/s`);
  console.log(`  pipeline / LongFast max ${Math.round(pipeline.framesPerSecond / longFastMax)}x, / ShortFast max ${Math.round(pipeline.framesPerSecond / shortFastMax)}x`);
  console.log('');
  console.log('hub uplink backlog (durable outbox -> HubUplink, QoS 1, window 64 -> bare aedes as the hub)');
  console.log(
    `  ${backlog.messages} added in ${num(backlog.addMs, 0)} ms (${Math.round(backlog.addsPerSecond)}/s, one fsync'd transaction each); ` +
      `drained in ${num(backlog.drainMs, 0)} ms (${Math.round(backlog.drainPerSecond)} msgs/s)`,
  );
  console.log(
    `  a 256-value device message queued in ${num(backlog.message256.oneCommitMs, 1)} ms in one transaction (as the profiles do), ` +
      `${num(backlog.message256.perReadingMs, 1)} ms at one transaction per reading (median of 9 each); the event loop is held that long`,
  );
  console.log(
    `  one add to a full outbox (100,000 rows, in memory): ${num(backlog.fullAdd.oneSourceMs, 3)} ms when one mesh node holds them all, ` +
      `${num(backlog.fullAdd.manySourcesMs, 3)} ms when 100,000 forged mesh addresses hold one each`,
  );
  const lost = rows.filter((r) => r.received < r.sent);
  if (lost.length > 0) {
    console.log(`  LOSS: ${lost.map((r) => `${r.broker} qos${r.qos} ${r.shape} ${r.sent - r.received}${r.broker === 'gateway' ? ` (${r.dropped} counted QoS 0 queue drops)` : ''}`).join(', ')}`);
  }
  console.log(`  (whole run ${num(elapsed, 1)} s)`);
  console.log('');

  const find = (qos: Qos, shape: Shape, b: BrokerName): Row => rows.find((r) => r.qos === qos && r.shape === shape && r.broker === b)!;
  const rate = (qos: Qos, shape: Shape): string => (find(qos, shape, 'gateway').msgsPerSecond / find(qos, shape, 'mosquitto').msgsPerSecond).toFixed(2);
  const p99 = (find(1, '100->1', 'gateway').p99Ms / find(1, '100->1', 'mosquitto').p99Ms).toFixed(2);
  const ceiling = (qos: Qos, shape: Shape): string => `${Math.round(ceilingOf(qos, shape).both / 1000)}k`;
  const fanin0 = find(0, '100->1', 'gateway');
  const fanin1 = find(1, '100->1', 'gateway');
  console.log(
    `ratios: qos1 100->1 gw/mosquitto ${rate(1, '100->1')}x; qos1 1->1 ${rate(1, '1->1')}x; ` +
      `qos0 1->1 ${rate(0, '1->1')}x; qos0 100->1 ${rate(0, '100->1')}x; qos1 100->1 p99 ${p99}x; pipeline/ShortFast-channel-max ${Math.round(pipeline.framesPerSecond / shortFastMax)}x; ` +
      `uplink drain/ShortFast-channel-max ${Math.round(backlog.drainPerSecond / shortFastMax)}x; ` +
      `256-value message per-reading/one-commit ${(backlog.message256.perReadingMs / backlog.message256.oneCommitMs).toFixed(1)}x; ` +
      `full-outbox add 100k-sources/one-source ${(backlog.fullAdd.manySourcesMs / backlog.fullAdd.oneSourceMs).toFixed(1)}x; ` +
      `qos0 100->1 gw delivered ${fanin0.received}/${fanin0.sent} (${fanin0.dropped} counted drops, ${fanin0.forwarded} forwarded below aedes); ` +
      `qos1 100->1 gw delivered ${fanin1.received}/${fanin1.sent} (${fanin1.forwarded} forwarded below aedes); ` +
      `generator ceiling msgs/s (min of publishers, subscriber vs a no-op sink): qos1 100->1 ${ceiling(1, '100->1')}; qos1 1->1 ${ceiling(1, '1->1')}; qos0 1->1 ${ceiling(0, '1->1')}; qos0 100->1 ${ceiling(0, '100->1')}`,
  );
} catch (err) {
  console.error(`gateway bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
