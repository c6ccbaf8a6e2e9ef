// The receiving end of the broker bench, in its own process so it competes with neither broker:
// counts messages (and duplicates) and takes each one's latency from the send time in its payload.

import mqtt, { type MqttClient } from 'mqtt';
import { BENCH_TOPIC_PREFIX, decodePayload, type SubscriberCommand, type SubscriberReport } from './worker-protocol.ts';

interface Run {
  client: MqttClient;
  expected: number;
  received: number;
  duplicates: number;
  seen: Set<number>;
  latencyMs: Float64Array;
  lastNs: bigint;
  lastArrival: number;
  onProgress: (() => void) | null;
}

let run: Run | null = null;

function report(r: SubscriberReport): void {
  process.send?.(r);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function arm(m: Extract<SubscriberCommand, { cmd: 'arm' }>): Promise<void> {
  const client = await new Promise<MqttClient>((resolve, reject) => {
    const c = mqtt.connect(m.target.url, {
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      keepalive: 60,
      connectTimeout: 20_000,
      username: m.target.username,
      password: m.target.password,
      clientId: `${m.target.clientIdPrefix}sub-${m.runId}`,
    });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
  const r: Run = {
    client,
    expected: m.expected,
    received: 0,
    duplicates: 0,
    seen: new Set(),
    latencyMs: new Float64Array(m.expected),
    lastNs: 0n,
    lastArrival: Date.now(),
    onProgress: null,
  };
  client.on('message', (_topic, payload) => {
    const now = process.hrtime.bigint();
    const p = decodePayload(payload);
    if (!p) return;
    const key = p.publisher * 0x1_0000_0000 + p.seq;
    if (r.seen.has(key)) {
      r.duplicates++;
      return;
    }
    r.seen.add(key);
    if (r.received < r.latencyMs.length) r.latencyMs[r.received] = Number(now - p.sentNs) / 1e6;
    r.received++;
    r.lastNs = now;
    r.lastArrival = Date.now();
    if (r.received >= r.expected) r.onProgress?.();
  });
  await new Promise<void>((resolve, reject) =>
    client.subscribe(`${BENCH_TOPIC_PREFIX}/#`, { qos: m.qos }, (err, granted) => {
      if (err) return reject(err);
      if (granted?.[0]?.qos !== m.qos) return reject(new Error(`subscription granted ${JSON.stringify(granted)}`));
      resolve();
    }),
  );
  run = r;
  report({ kind: 'armed' });
}

async function finish(quietMs: number): Promise<void> {
  const r = run;
  if (!r) throw new Error('finish before arm');
  await new Promise<void>((resolve) => {
    if (r.received >= r.expected) return resolve();
    const timer = setInterval(() => {
      if (Date.now() - r.lastArrival >= quietMs) done();
    }, 50);
    const done = (): void => {
      clearInterval(timer);
      r.onProgress = null;
      resolve();
    };
    r.onProgress = done;
  });
  const sorted = r.latencyMs.slice(0, Math.min(r.received, r.latencyMs.length)).sort();
  report({
    kind: 'result',
    result: {
      received: r.received,
      duplicates: r.duplicates,
      lastNs: r.lastNs.toString(),
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.length ? sorted[sorted.length - 1]! : NaN,
    },
  });
  run = null;
  r.client.end(false);
}

process.on('message', (m: SubscriberCommand) => {
  const work = m.cmd === 'arm' ? arm(m) : finish(m.quietMs);
  work.catch((err: unknown) => report({ kind: 'error', message: err instanceof Error ? err.message : String(err) }));
});

process.on('disconnect', () => process.exit(0));
