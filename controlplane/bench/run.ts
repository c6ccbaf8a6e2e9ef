// `npm run bench -w controlplane`: the hub's HTTP routes against a bare Fastify route measured in
// the same run (load from a child process running autocannon), and /ws fan-out latency to 1,000
// clients (also in a child process). Prints a table and one `ratios:` line.

import { fork, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import pino from 'pino';
import { nodeIdFromPublicKey, proveClaim, rawPublicKey, type ClaimChallenge } from '@unibos/mesh-protocol';
import { hubConfigDefaults, runHub, type RunningHub } from '../src/index.ts';
import type { HttpLoadRequest, HttpLoadResult } from './http-load.ts';
import type { FanoutClientsMessage, FanoutClientsRequest } from './ws-fanout-clients.ts';

const HTTP_DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const HTTP_CONNECTIONS = 32;
const WS_CLIENTS = Number(process.env.BENCH_WS_CLIENTS ?? 1000);
const WS_EVENTS_PER_S = 20;
const WS_DURATION_S = Number(process.env.BENCH_WS_DURATION_S ?? 10);
const NODES = 10;

const here = new URL('.', import.meta.url).pathname;

interface Row {
  name: string;
  rate: string;
  p50: string;
  p99: string;
  note: string;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-hub-bench-'));
  const hub = await runHub({ ...hubConfigDefaults(dataDir), httpPort: 0, mqttPort: 0, maxStreamsPerUser: WS_CLIENTS }, { logger: pino({ level: 'silent' }) });
  const bare = Fastify({ logger: false });
  bare.post('/ingest', async (_req, reply) => reply.status(204).send());
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
  const rows: Row[] = [];
  try {
    const fixture = await seed(hub);

    const baseline = await httpLoad({ url: `${bareUrl}/ingest`, method: 'POST', headers: { 'content-type': 'application/json' }, body: HEARTBEAT_BODY });
    rows.push(httpRow('bare fastify POST -> 204 (baseline)', baseline));
    const heartbeat = await httpLoad({ url: `${hub.url}/api/v1/devices/heartbeat`, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${fixture.deviceToken}` }, body: HEARTBEAT_BODY });
    rows.push(httpRow('POST /api/v1/devices/heartbeat (device token)', heartbeat));
    const list = await httpLoad({ url: `${hub.url}/api/v1/nodes?limit=50`, method: 'GET', headers: { authorization: `Bearer ${fixture.apiKey}` } });
    rows.push(httpRow(`GET /api/v1/nodes, ${NODES} nodes (API key)`, list));

    const fanout = await wsFanout(hub, fixture.orgId, fixture.accessToken);
    rows.push({
      name: `/ws fan-out, ${fanout.clients} clients, ${WS_EVENTS_PER_S} events/s`,
      rate: `${Math.round(fanout.deliveredPerS)} msg/s`,
      p50: fanout.p50.toFixed(1),
      p99: fanout.p99.toFixed(1),
      note: `${fanout.received}/${fanout.expected} delivered, max ${fanout.max.toFixed(1)} ms, ${fanout.gaps} gaps, ${fanout.cutOff} cut off, connect ${Math.round(fanout.connectMs)} ms`,
    });

    printTable(rows);
    const ratio = (r: HttpLoadResult): string => (r.reqPerS / baseline.reqPerS).toFixed(2);
    console.log(
      `ratios: heartbeat/bare ${ratio(heartbeat)}x req/s; nodes-list/bare ${ratio(list)}x; ws fan-out ${fanout.clients} clients p50 ${fanout.p50.toFixed(1)} ms p99 ${fanout.p99.toFixed(1)} ms (target p99 < 50 ms)`,
    );
  } finally {
    await bare.close();
    await hub.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const HEARTBEAT_BODY = JSON.stringify({ battery: 87, voltage: 3.9, uptimeS: 3600 });

/** An owner, an API key with read, NODES claimed nodes (one of whose device token the heartbeat uses). */
async function seed(hub: RunningHub): Promise<{ orgId: string; accessToken: string; apiKey: string; deviceToken: string }> {
  const { userId, orgId } = await hub.app.auth.createOwner({ email: 'bench@example.test', password: 'correct horse battery staple', orgName: 'Bench' });
  const { accessToken } = hub.app.auth.issueSession(userId, orgId);
  const api = async <T>(method: string, path: string, body: unknown, token?: string): Promise<T> => {
    const res = await fetch(`${hub.url}${path}`, { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const { key: apiKey } = await api<{ key: string }>('POST', '/api/v1/api-keys', { name: 'bench', scopes: ['read'] }, accessToken);
  let deviceToken = '';
  for (let i = 0; i < NODES; i++) {
    const { token } = await api<{ token: string }>('POST', '/api/v1/claim-tokens', { kind: 'node', name: `bench-${i}` }, accessToken);
    // A device claims with its identity keys: a fresh pair per bench node.
    const keys = { x25519PrivateKey: generateKeyPairSync('x25519').privateKey, ed25519PrivateKey: generateKeyPairSync('ed25519').privateKey };
    const deviceId = nodeIdFromPublicKey(rawPublicKey(keys.x25519PrivateKey)).toString(16).padStart(8, '0');
    const proof = proveClaim(await api<ClaimChallenge>('POST', '/api/v1/devices/claim/challenge', {}), token, keys);
    const claimed = await api<{ deviceToken: string }>('POST', '/api/v1/devices/claim', { token, deviceId, proof });
    deviceToken ||= claimed.deviceToken;
  }
  return { orgId, accessToken, apiKey, deviceToken };
}

function httpLoad(target: Omit<HttpLoadRequest, 'connections' | 'durationS'>): Promise<HttpLoadResult> {
  const child = fork(join(here, 'http-load.ts'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const request: HttpLoadRequest = { ...target, connections: HTTP_CONNECTIONS, durationS: HTTP_DURATION_S };
  child.send(request);
  return reply<{ result?: HttpLoadResult; error?: string }>(child).then((m) => {
    if (!m.result) throw new Error(`load on ${target.url} failed: ${m.error}`);
    if (m.result.failed > 0 || m.result.ok === 0) throw new Error(`${target.method} ${target.url}: ${m.result.failed} failed, ${m.result.ok} ok`);
    return m.result;
  });
}

function httpRow(name: string, r: HttpLoadResult): Row {
  return { name, rate: `${Math.round(r.reqPerS)} req/s`, p50: r.p50Ms.toFixed(1), p99: r.p99Ms.toFixed(1), note: `${HTTP_CONNECTIONS} connections, ${HTTP_DURATION_S} s` };
}

interface FanoutFigures {
  clients: number;
  expected: number;
  received: number;
  deliveredPerS: number;
  p50: number;
  p99: number;
  max: number;
  gaps: number;
  cutOff: number;
  connectMs: number;
}

/** Appends WS_EVENTS_PER_S events for WS_DURATION_S while WS_CLIENTS clients of the org listen. */
async function wsFanout(hub: RunningHub, orgId: string, token: string): Promise<FanoutFigures> {
  const child = fork(join(here, 'ws-fanout-clients.ts'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = `${hub.url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`;
  const start: FanoutClientsRequest = { url, clients: WS_CLIENTS, batch: 100 };
  child.send({ start });
  const ready = await reply<FanoutClientsMessage>(child);
  if (!('ready' in ready)) throw new Error(`ws clients: ${'error' in ready ? ready.error : 'unexpected reply'}`);

  const total = WS_EVENTS_PER_S * WS_DURATION_S;
  const periodMs = 1000 / WS_EVENTS_PER_S;
  const began = performance.now();
  for (let i = 0; i < total; i++) {
    // A steady schedule (not "sleep after each"), so a slow append does not lower the rate.
    const due = began + i * periodMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    // A real reading plus the send time the clients measure latency from.
    const sentAt = performance.timeOrigin + performance.now();
    const data = { sensorId: 'bench', metric: 'temperature', value: 20 + (i % 10) / 10, gatewayId: '!0000be9c', time: new Date(sentAt).toISOString(), sentAt };
    hub.app.events.append({ orgId, type: 'sensor.reading', data });
  }
  const elapsedS = (performance.now() - began) / 1000;
  child.send({ finish: { perClient: total } });
  const done = await reply<FanoutClientsMessage>(child);
  if (!('result' in done)) throw new Error(`ws clients: ${'error' in done ? done.error : 'unexpected reply'}`);
  const sorted = Float64Array.from(done.result.latenciesMs).sort();
  const pick = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return {
    clients: ready.ready.clients,
    expected: total * ready.ready.clients,
    received: done.result.received,
    deliveredPerS: done.result.received / elapsedS,
    p50: pick(0.5),
    p99: pick(0.99),
    max: sorted[sorted.length - 1] ?? NaN,
    gaps: done.result.gaps,
    cutOff: done.result.cutOff,
    connectMs: ready.ready.connectMs,
  };
}

function reply<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`bench child exited with ${code} before answering`)));
  });
}

function printTable(rows: Row[]): void {
  const head: Row = { name: 'scenario', rate: 'throughput', p50: 'p50 ms', p99: 'p99 ms', note: '' };
  const w = (k: keyof Row): number => Math.max(...[head, ...rows].map((r) => r[k].length));
  for (const r of [head, ...rows]) console.log(`${r.name.padEnd(w('name'))}  ${r.rate.padStart(w('rate'))}  ${r.p50.padStart(w('p50'))}  ${r.p99.padStart(w('p99'))}  ${r.note}`);
}

await main();
