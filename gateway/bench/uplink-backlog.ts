// The hub uplink's backlog figures, which the uplink test checks for correctness only: how fast
// 10,000 durable outbox adds go (one fsync'd transaction each, as the gateway accepts them), and
// how fast that backlog drains over QoS 1 into a hub broker (bare aedes here) once it is up. Also
// how long a device message of 256 values holds the event loop while it is queued: one commit for
// the message (addMany, as the profiles do) against one commit per reading (the baseline), and what
// one add to a full outbox costs when 100,000 forged mesh addresses each hold a row.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Aedes } from 'aedes';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { HubOutbox, HubUplink } from '../src/uplink/index.ts';

export interface BacklogResult {
  readonly messages: number;
  readonly addMs: number;
  readonly drainMs: number;
  readonly addsPerSecond: number;
  readonly drainPerSecond: number;
  /** Median ms to queue one 256-value message: one transaction for all, and one per reading. */
  readonly message256: { readonly oneCommitMs: number; readonly perReadingMs: number };
  /** Mean ms per add to a full outbox (default bound, 100,000 rows): all rows one mesh node's, and each a different (forged) node's. */
  readonly fullAdd: { readonly oneSourceMs: number; readonly manySourcesMs: number };
}

const READINGS_PER_MESSAGE = 256;
const MESSAGE_ROUNDS = 9;

/** Median time to queue a 256-value message both ways, alternating, on the same outbox. */
function measureMessage256(outbox: HubOutbox): BacklogResult['message256'] {
  const message = (round: number, way: string) =>
    Array.from({ length: READINGS_PER_MESSAGE }, (_, i) => ({ source: 'sensor:plug1', topic: `unibos/v1/sensor/plug1/v${i}`, payload: JSON.stringify({ value: round + i, profile: 'tasmota' }), msgId: `${way}-${round}-${i}` }));
  const one: number[] = [];
  const each: number[] = [];
  for (let round = 0; round < MESSAGE_ROUNDS; round++) {
    const batch = message(round, 'one');
    let t0 = performance.now();
    outbox.addMany(batch);
    one.push(performance.now() - t0);
    const single = message(round, 'each');
    t0 = performance.now();
    for (const m of single) outbox.add(m);
    each.push(performance.now() - t0);
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return { oneCommitMs: median(one), perReadingMs: median(each) };
}

const FULL_ADDS = 500;

/**
 * Mean time of one add to a full outbox at the default bound (in memory: the eviction's own cost,
 * no fsync), the full outbox holding one source's rows (the baseline) or one row each from 100,000
 * forged mesh addresses: the victim choice must not grow with the number of sources.
 */
function measureFullAdd(manySources: boolean): number {
  const db = new Database(':memory:');
  try {
    const outbox = new HubOutbox(db);
    const node = (n: number): string => (manySources ? `!${n.toString(16).padStart(8, '0')}` : '!0000beef');
    const row = (n: number) => ({ source: `mesh:${node(n)}`, topic: `unibos/v1/mesh/${node(n)}/text`, payload: '{"text":"x"}' });
    for (let k = 0; k < outbox.maxMessages; k += 10_000) outbox.addMany(Array.from({ length: 10_000 }, (_, i) => row(k + i)));
    const t0 = performance.now();
    for (let n = 0; n < FULL_ADDS; n++) outbox.add(row(outbox.maxMessages + n));
    return (performance.now() - t0) / FULL_ADDS;
  } finally {
    db.close();
  }
}

export async function measureUplinkBacklog(logger: Logger, messages: number): Promise<BacklogResult> {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-bench-uplink-'));
  const db = new Database(join(dir, 'gateway.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const aedes = await Aedes.createBroker();
  const server: Server = createServer({ noDelay: true }, (socket) => aedes.handle(socket));
  let uplink: HubUplink | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const outbox = new HubOutbox(db, { logger });

    const addStart = performance.now();
    for (let n = 0; n < messages; n++) {
      outbox.add({ source: `sensor:s${n % 3}`, topic: `unibos/v1/sensor/s${n % 3}/temp`, payload: JSON.stringify({ n, c: 20 + (n % 10) }) });
    }
    const addMs = performance.now() - addStart;

    let received = 0;
    const drained = new Promise<void>((resolve) => {
      aedes.on('publish', (_packet, client) => {
        if (client && ++received >= messages) resolve();
      });
    });
    const drainStart = performance.now();
    uplink = new HubUplink({ url: `mqtt://127.0.0.1:${port}`, gatewayId: 'bench-uplink', outbox, logger, reconnectMinMs: 20, reconnectMaxMs: 200 });
    uplink.start();
    await drained;
    const drainMs = performance.now() - drainStart;
    await uplink.stop({ timeoutMs: 1_000 });
    uplink = undefined;
    const message256 = measureMessage256(outbox);
    const fullAdd = { oneSourceMs: measureFullAdd(false), manySourcesMs: measureFullAdd(true) };
    return { messages, addMs, drainMs, addsPerSecond: (1000 * messages) / addMs, drainPerSecond: (1000 * messages) / drainMs, message256, fullAdd };
  } finally {
    await uplink?.stop({ timeoutMs: 1_000 });
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
