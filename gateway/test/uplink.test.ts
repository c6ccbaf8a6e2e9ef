// The hub uplink against a real aedes hub broker: nothing accepted into the outbox is lost when
// the hub is down, when the gateway is killed with SIGKILL, or when the connection drops; the hub
// sees each message exactly once after dedup by envelope id, in order per source.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pino from 'pino';
import { HubOutbox, type HubOutboxOptions, type HubReceipt } from '../src/uplink/hub-outbox.ts';
import { HubUplink, type UplinkState } from '../src/uplink/hub-uplink.ts';
import { UplinkError } from '../src/uplink/uplink-error.ts';
import { TestHub } from './support/uplink-hub.ts';
import { outOfOrderSources, trafficMessage, trafficNumber } from './support/uplink-traffic.ts';
import { waitUntil, type Trigger } from '@unibos/test-support';

const logger = pino({ level: process.env.UNIBOS_LOG_LEVEL ?? 'silent' });
const CHILD = fileURLToPath(new URL('./support/uplink-child.ts', import.meta.url));

function openOutbox(t: { after(fn: () => void): void }, options?: HubOutboxOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-uplink-'));
  const path = join(dir, 'gateway.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, path, outbox: new HubOutbox(db, { logger, ...options }) };
}

/** An uplink plus an emitter of its state changes, so tests wait on events rather than time. */
function startUplink(hub: TestHub, outbox: HubOutbox, gatewayId: string) {
  const uplink = new HubUplink({
    url: `mqtt://127.0.0.1:${hub.port}`,
    gatewayId,
    outbox,
    logger,
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
  });
  const events = new EventEmitter();
  const states: UplinkState[] = [];
  uplink.onState((s) => {
    states.push(s);
    events.emit('state', s);
  });
  uplink.start();
  const changed = [
    { emitter: events, event: 'state' },
    { emitter: hub.events, event: 'change' },
  ];
  return { uplink, events, states, changed };
}

/** How long a transfer may stand still before a test gives up on it. */
const STALL_MS = 20_000;

/**
 * Waits for `condition` for as long as `progress` keeps moving, failing only once it has stood
 * still for STALL_MS: a loaded machine drains more slowly but does not fail. How fast the uplink
 * drains is measured by the bench (`npm run bench -w gateway`), not judged here.
 */
async function waitWhileMoving(condition: () => boolean, what: string, triggers: Trigger[], progress: () => number): Promise<void> {
  while (!condition()) {
    const at = progress();
    await waitUntil(() => condition() || progress() !== at, `${what} (no progress for ${STALL_MS / 1000} s at ${at})`, triggers, STALL_MS);
  }
}

function idsOf(receipts: readonly HubReceipt[]): Set<string> {
  return new Set(receipts.map((r) => r.msgId));
}

test('10,000 messages queued while the hub is down all arrive once it is up: exactly once after dedup, in order per source', async (t) => {
  const GW = 'gw-backlog';
  const hub = new TestHub();
  await hub.up(); // only to learn a free port; the hub is down from here on
  await hub.down();
  t.after(() => hub.down());
  const { outbox } = openOutbox(t);

  const receipts: HubReceipt[] = [];
  for (let n = 0; n < 10_000; n++) receipts.push(outbox.add(trafficMessage(n, GW)));
  assert.equal(outbox.size, 10_000);

  const { uplink, states, changed } = startUplink(hub, outbox, GW);
  t.after(() => uplink.stop({ timeoutMs: 100 }));
  await waitUntil(() => states.includes('disconnected'), 'a refused connection attempt while the hub is down', changed);
  assert.equal(uplink.connected, false);

  await hub.up();
  await waitWhileMoving(
    () => hub.accepted.unique.length >= 10_000 && hub.delivered.unique.length >= 10_000,
    'all 10,000 messages at the hub and at its subscriber',
    changed,
    () => hub.accepted.total + hub.delivered.total,
  );
  await uplink.stop();

  const expected = idsOf(receipts);
  const got = hub.accepted.unique;
  assert.equal(got.length, 10_000);
  assert.ok(got.every((a) => expected.has(a.envelope.id)), 'only ids the outbox issued');
  assert.equal(hub.delivered.unique.length, 10_000, 'the subscriber client got each message');
  assert.deepEqual(outOfOrderSources(got.map((a) => a.envelope)), []);
  assert.deepEqual(outOfOrderSources(hub.delivered.unique.map((a) => a.envelope)), []);
  assert.equal(new Set(got.map((a) => trafficNumber(a.envelope))).size, 10_000);
  assert.equal(outbox.size, 0, 'every row deleted after its PUBACK');
  assert.equal(hub.malformed.length, 0);
  t.diagnostic(
    `backlog: 10000 added while the hub was down; ` +
      `hub accepted ${hub.accepted.total} (${hub.accepted.duplicates} duplicates before dedup), subscriber got ${hub.delivered.total} ` +
      `(${hub.delivered.duplicates} duplicates); uplink sent ${uplink.stats.sent}, acked ${uplink.stats.acked}`,
  );
});

interface Child {
  proc: ChildProcess;
  events: EventEmitter;
  lines: string[];
  stderr: () => string;
}

function spawnChild(args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events = new EventEmitter();
  const lines: string[] = [];
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    lines.push(line);
    events.emit('line', line);
  });
  proc.on('exit', () => events.emit('line', ''));
  return { proc, events, lines, stderr: () => err };
}

test('kill -9 mid-stream and a restart on the same database: every accepted message reaches the hub, exactly once after dedup', async (t) => {
  const GW = 'gw-kill';
  const hub = new TestHub();
  await hub.up();
  t.after(() => hub.down());
  const { path } = openOutbox(t); // creates the schema; the children reopen the same file
  const url = `mqtt://127.0.0.1:${hub.port}`;

  const accepted = new Set<number>();
  const first = spawnChild([path, url, GW, 'produce', '50000', '200']);
  t.after(() => first.proc.kill('SIGKILL'));
  first.events.on('line', (line: string) => {
    if (line.startsWith('accepted ')) accepted.add(Number(line.slice(9)));
  });
  const childChanged = [
    { emitter: first.events, event: 'line' },
    { emitter: hub.events, event: 'change' },
  ];
  await waitWhileMoving(
    () => {
      if (first.proc.exitCode !== null) throw new Error(`child exited early: ${first.stderr()}`);
      return accepted.size >= 4000 && hub.accepted.from(GW).length >= 1500;
    },
    'the child to accept 4,000 messages while the hub receives them',
    childChanged,
    () => accepted.size + hub.accepted.total,
  );
  first.proc.kill('SIGKILL');
  // 'close', not 'exit': every line it printed before the kill is read by then.
  const [, signal] = (await once(first.proc, 'close')) as [number | null, string | null];
  assert.equal(signal, 'SIGKILL');
  assert.ok(!first.lines.includes('produced'), 'killed while still producing');
  const acceptedAtKill = accepted.size;
  const hubAtKill = hub.accepted.from(GW).length;

  const second = spawnChild([path, url, GW, 'drain']);
  t.after(() => second.proc.kill('SIGKILL'));
  const restartChanged = [
    { emitter: second.events, event: 'line' },
    { emitter: hub.events, event: 'change' },
  ];
  const hubNumbers = (): Set<number> => new Set(hub.accepted.from(GW).map((a) => trafficNumber(a.envelope)));
  await waitWhileMoving(
    () => {
      if (second.proc.exitCode !== null) throw new Error(`restarted child exited early: ${second.stderr()}`);
      if (!second.lines.includes('state connected')) return false;
      if (hub.accepted.from(GW).length < acceptedAtKill) return false;
      const have = hubNumbers();
      return [...accepted].every((n) => have.has(n));
    },
    'the restarted child connected and every accepted message at the hub',
    restartChanged,
    () => second.lines.length + hub.accepted.total,
  );
  const backlog = Number(second.lines.find((l) => l.startsWith('ready depth='))?.slice(12));
  second.proc.kill('SIGTERM');
  // 'close', not 'exit': the exit can be heard before its last line ("stopped ...") is read.
  const [code] = (await once(second.proc, 'close')) as [number | null];
  assert.equal(code, 0, `clean exit on SIGTERM: ${second.stderr()}`);
  assert.match(second.lines.at(-1) ?? '', /^stopped depth=0 /, 'the restarted gateway drained its outbox');

  const arrivals = hub.accepted.from(GW);
  const numbers = arrivals.map((a) => trafficNumber(a.envelope));
  assert.equal(new Set(numbers).size, numbers.length, 'no message arrived under two different ids');
  for (const n of accepted) assert.ok(numbers.includes(n), `accepted message ${n} reached the hub`);
  assert.deepEqual(outOfOrderSources(arrivals.map((a) => a.envelope)), []);
  assert.deepEqual(outOfOrderSources(hub.delivered.from('observer').map((a) => a.envelope)), []);
  t.diagnostic(
    `kill -9: child had accepted ${acceptedAtKill} (hub had ${hubAtKill}) when killed; ${backlog} rows left in the outbox; ` +
      `after the restart the hub holds ${arrivals.length} unique (${arrivals.length - accepted.size} accepted-but-unprinted), ` +
      `${hub.accepted.duplicates} duplicates before dedup (subscriber: ${hub.delivered.duplicates})`,
  );
});

test('bounded outbox: when full each source\u2019s oldest are dropped (the largest source first) and counted, and the rest arrive', async (t) => {
  const GW = 'gw-bound';
  const hub = new TestHub();
  await hub.up();
  t.after(() => hub.down());
  const { outbox } = openOutbox(t, { maxMessages: 50 });
  const drops: number[] = [];
  outbox.onDrop((d) => drops.push(d.count));

  const receipts: HubReceipt[] = [];
  for (let n = 0; n < 200; n++) receipts.push(outbox.add(trafficMessage(n, GW)));
  assert.equal(outbox.size, 50);
  assert.equal(outbox.stats.droppedFull, 150);
  assert.equal(
    drops.reduce((a, b) => a + b, 0),
    150,
    'every drop reported',
  );
  // What remains of each source is its newest run, in order.
  const remaining = outbox.peek(100);
  for (const source of new Set(remaining.map((m) => m.source))) {
    const mine = remaining.filter((m) => m.source === source).map((m) => m.msgId);
    const sent = receipts.filter((_, n) => trafficMessage(n, GW).source === source).map((r) => r.msgId);
    assert.deepEqual(mine, sent.slice(sent.length - mine.length), `${source} keeps its newest`);
  }

  const { uplink } = startUplink(hub, outbox, GW);
  await hub.waitFor(() => hub.accepted.unique.length >= 50, 'the 50 kept messages at the hub');
  await uplink.stop();
  assert.equal(outbox.size, 0);
  const kept = new Set(remaining.map((m) => m.msgId));
  assert.equal(hub.accepted.unique.length, 50);
  assert.ok(hub.accepted.unique.every((a) => kept.has(a.envelope.id)), 'no dropped message was sent');
  assert.deepEqual(outOfOrderSources(hub.accepted.unique.map((a) => a.envelope)), []);
});

test('the hub cuts the connection mid-stream twice: unacked messages are resent after reconnect, nothing lost', async (t) => {
  const GW = 'gw-flaky';
  const TOTAL = 6000;
  const hub = new TestHub();
  await hub.up();
  t.after(() => hub.down());
  const { outbox } = openOutbox(t);
  const { uplink, changed } = startUplink(hub, outbox, GW);
  t.after(() => uplink.stop({ timeoutMs: 100 }));
  await waitUntil(() => uplink.connected, 'the first connection', changed);

  const cuts = [1500, 3500];
  let cutsDone = 0;
  hub.events.on('change', () => {
    const next = cuts[cutsDone];
    if (next !== undefined && hub.accepted.total >= next && hub.dropClient(GW)) cutsDone++;
  });

  // Keep adding while messages flow, as a live gateway would.
  const receipts: HubReceipt[] = [];
  await new Promise<void>((resolve) => {
    let n = 0;
    const produce = (): void => {
      for (let k = 0; k < 50 && n < TOTAL; k++, n++) receipts.push(outbox.add(trafficMessage(n, GW)));
      if (n < TOTAL) setImmediate(produce);
      else resolve();
    };
    produce();
  });
  await waitWhileMoving(() => hub.accepted.unique.length >= TOTAL, `all ${TOTAL} messages at the hub`, changed, () => hub.accepted.total);
  await uplink.stop();

  assert.equal(cutsDone, 2, 'the connection was cut twice mid-stream');
  assert.ok(uplink.stats.reconnects >= 2, `reconnected (${uplink.stats.reconnects})`);
  assert.ok(uplink.stats.resent >= 1, 'unacked messages were sent again');
  assert.ok(hub.accepted.duplicates >= 1, 'the hub saw (and dedup dropped) the repeats');
  const expected = idsOf(receipts);
  assert.equal(hub.accepted.unique.length, TOTAL);
  assert.ok(hub.accepted.unique.every((a) => expected.has(a.envelope.id)));
  assert.equal(hub.delivered.unique.length, TOTAL, 'the subscriber client got each message');
  assert.deepEqual(outOfOrderSources(hub.accepted.unique.map((a) => a.envelope)), []);
  assert.deepEqual(outOfOrderSources(hub.delivered.unique.map((a) => a.envelope)), []);
  assert.equal(outbox.size, 0);
  t.diagnostic(
    `socket cuts: ${uplink.stats.reconnects} reconnects, ${uplink.stats.resent} resent by the uplink, ` +
      `${hub.accepted.duplicates} duplicates at the hub before dedup (subscriber: ${hub.delivered.duplicates})`,
  );
});

test('the hub broker restarts mid-stream (sessions lost): everything unacked is resent, nothing lost', async (t) => {
  const GW = 'gw-restart';
  const TOTAL = 5000;
  const hub = new TestHub();
  await hub.up();
  t.after(() => hub.down());
  const { outbox } = openOutbox(t);
  const { uplink, changed } = startUplink(hub, outbox, GW);
  t.after(() => uplink.stop({ timeoutMs: 100 }));
  await waitUntil(() => uplink.connected, 'the first connection', changed);

  let restart: Promise<void> | undefined;
  hub.events.on('change', () => {
    if (!restart && hub.accepted.total >= 2000) restart = hub.down().then(() => hub.up());
  });
  const receipts = outbox.addMany(Array.from({ length: TOTAL }, (_, n) => trafficMessage(n, GW)));
  await waitWhileMoving(() => restart !== undefined, 'the restart to begin', changed, () => hub.accepted.total);
  await restart;
  await waitWhileMoving(() => hub.accepted.unique.length >= TOTAL, `all ${TOTAL} messages at the hub`, changed, () => hub.accepted.total);
  await uplink.stop();

  assert.ok(uplink.stats.reconnects >= 1);
  const expected = idsOf(receipts);
  assert.ok(hub.accepted.unique.every((a) => expected.has(a.envelope.id)));
  assert.deepEqual(outOfOrderSources(hub.accepted.unique.map((a) => a.envelope)), []);
  assert.equal(outbox.size, 0);
  t.diagnostic(
    `broker restart: ${uplink.stats.reconnects} reconnects, ${uplink.stats.resent} resent, ` +
      `${hub.accepted.duplicates} duplicates at the hub before dedup`,
  );
});

test('status and downlinks: retained online, last will offline, downlinks (also those queued while away), offline on stop', async (t) => {
  const GW = 'gw-status';
  const hub = new TestHub();
  await hub.up();
  t.after(() => hub.down());
  const { outbox } = openOutbox(t);
  const { uplink, changed } = startUplink(hub, outbox, GW);
  t.after(() => uplink.stop({ timeoutMs: 100 }));
  const downlinks: Array<{ topic: string; payload: string }> = [];
  const got = new EventEmitter();
  uplink.onDownlink((topic, payload) => {
    downlinks.push({ topic, payload: payload.toString('utf8') });
    got.emit('downlink');
  });
  uplink.onDownlink((_topic, payload) => {
    if (payload.toString('utf8') === 'poison') throw new Error('handler rejects this one');
  });
  const all = [...changed, { emitter: got, event: 'downlink' }];
  const latestStatus = () => hub.statusesOf(GW).at(-1);

  await waitUntil(() => uplink.connected && latestStatus()?.body.status === 'online', 'online status', all);
  assert.equal((await hub.retainedStatus(GW)).status, 'online', 'online is retained');

  const tx = `unibos/v1/gw/${GW}/tx`;
  await hub.publish(tx, JSON.stringify({ to: '!0000beef', text: 'hello' }));
  await hub.publish(tx, 'poison');
  await hub.publish(tx, Buffer.from([0x00, 0x01, 0x02]));
  // The gateway acknowledges a downlink only after its handlers settled; wait for the hub to have
  // all three PUBACKs, or cutting the connection now would (rightly) get the last one redelivered.
  await waitUntil(() => downlinks.length === 3 && hub.acks.get(GW) === 3, 'three downlinks, acknowledged', all);
  assert.deepEqual(downlinks[0], { topic: tx, payload: '{"to":"!0000beef","text":"hello"}' });
  assert.equal(uplink.stats.downlinkErrors, 1, 'a failing handler is counted and does not block later downlinks');

  // Cut the gateway off: the broker publishes its will.
  await hub.closePublic();
  await waitUntil(() => !uplink.connected && latestStatus()?.body.status === 'offline', 'the last will', all);
  assert.deepEqual(
    { ...latestStatus(), clientId: undefined },
    { topic: `unibos/v1/gw/${GW}/status`, body: { status: 'offline', gatewayId: GW, reason: 'connection-lost' }, retain: true, clientId: undefined },
  );
  assert.equal((await hub.retainedStatus(GW)).status, 'offline', 'the will is retained');

  // A downlink sent while the gateway is away waits in its session at the hub (clean: false).
  await hub.publish(tx, 'queued while away');
  await hub.openPublic();
  await waitUntil(() => downlinks.length === 4, 'the queued downlink after reconnecting', all);
  assert.equal(downlinks[3]!.payload, 'queued while away');
  await waitUntil(() => latestStatus()?.body.status === 'online', 'online again', all);
  assert.equal((await hub.retainedStatus(GW)).status, 'online');

  await uplink.stop();
  assert.equal(uplink.state, 'stopped');
  const final = await hub.retainedStatus(GW);
  assert.deepEqual({ status: final.status, reason: final.reason }, { status: 'offline', reason: 'shutdown' });
});

test('bad configuration is refused up front; stop() with the hub unreachable returns at once and keeps the queue', { timeout: 15_000 }, async (t) => {
  const { outbox } = openOutbox(t);
  const base = { url: 'mqtt://127.0.0.1:1', gatewayId: 'gw-cfg', outbox, logger };
  const refused = (o: Partial<typeof base> & { windowSize?: number }) =>
    assert.throws(() => new HubUplink({ ...base, ...o }), (e: unknown) => e instanceof UplinkError && e.code === 'E_UPLINK_CONFIG');
  refused({ gatewayId: 'gw/1' });
  refused({ gatewayId: '' });
  refused({ url: 'http://hub:1884' });
  refused({ url: 'not a url' });
  refused({ windowSize: 0 });

  const hub = new TestHub();
  await hub.up();
  await hub.down();
  outbox.addMany([trafficMessage(0, 'gw-cfg'), trafficMessage(1, 'gw-cfg')]);
  const { uplink, states, changed } = startUplink(hub, outbox, 'gw-cfg');
  await waitUntil(() => states.includes('disconnected'), 'a refused attempt', changed);
  // With no connection there is nothing to flush: stop() must not sit out its (here huge) drain timeout.
  await uplink.stop({ timeoutMs: 600_000 });
  assert.equal(uplink.state, 'stopped');
  assert.equal(outbox.size, 2, 'the queue waits for the next start');
});

test('PUBACKs the outbox could not record at once (database locked, disk full) are recorded once it can: those rows do not linger to be sent again', async (t) => {
  const GW = 'gw-busy';
  const hub = new TestHub();
  await hub.up();
  t.after(() => hub.down());
  const { db, path, outbox } = openOutbox(t);
  db.pragma('busy_timeout = 20');
  const receipts = outbox.addMany(Array.from({ length: 50 }, (_, n) => trafficMessage(n, GW)));
  // Another process (the CLI requeueing dead letters, say) holds the write lock while the hub acknowledges.
  const other = new Database(path);
  other.exec('BEGIN IMMEDIATE');
  const failures = new EventEmitter();
  let failedAcks = 0;
  const ackMany = outbox.ackMany.bind(outbox);
  outbox.ackMany = (seqs) => {
    try {
      return ackMany(seqs);
    } catch (err) {
      failedAcks += seqs.length;
      failures.emit('failed');
      throw err;
    }
  };
  const { uplink, changed } = startUplink(hub, outbox, GW);
  t.after(() => uplink.stop({ timeoutMs: 100 }));
  await waitUntil(() => failedAcks === 50, 'every PUBACK failing to be recorded', [...changed, { emitter: failures, event: 'failed' }]);
  other.exec('COMMIT');
  other.close();
  // The lock is gone: the next message's PUBACK is recorded, and so must the earlier ones be.
  const next = outbox.add(trafficMessage(50, GW));
  await waitUntil(() => hub.accepted.has(next.msgId), 'the next message at the hub', changed);
  await uplink.stop({ timeoutMs: 2000 });
  assert.ok(receipts.every((r) => hub.accepted.has(r.msgId)));
  assert.equal(outbox.size, 0, 'rows the hub acknowledged are gone once the database takes writes again');
  assert.equal(uplink.stats.reconnects, 0);
});
