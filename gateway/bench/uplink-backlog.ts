// The hub uplink's backlog figures, which the uplink test checks for correctness only: how fast
// 10,000 durable outbox adds go (one fsync'd transaction each, as the gateway accepts them), and
// how fast that backlog drains over QoS 1 into a hub broker (bare aedes here) once it is up.

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
    return { messages, addMs, drainMs, addsPerSecond: (1000 * messages) / addMs, drainPerSecond: (1000 * messages) / drainMs };
  } finally {
    await uplink?.stop({ timeoutMs: 1_000 });
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
