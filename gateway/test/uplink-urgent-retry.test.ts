// An urgent dead letter (SOS, alert) never waits in the dead-letter table for a human: the hub can
// end a connection for reasons that are not the row in flight, so hang-ups in quick succession (a hub
// restarting) count as one strike, and a letter goes back at once when the hub is seen storing again,
// then after a growing delay, while everything behind it keeps flowing; a message the hub truly
// refuses costs one lone send per delay. Routine dead letters wait for a requeue, as before. The
// retry delays run on a SimScheduler, so no test waits a minute; the hub is a real aedes broker.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import { SimScheduler } from '@unibos/mesh-protocol';
import { waitUntil } from '@unibos/test-support';
import { HubOutbox, type DeadLetter, type NewHubMessage } from '../src/uplink/hub-outbox.ts';
import { HubUplink, type HubUplinkOptions } from '../src/uplink/hub-uplink.ts';
import { TestHub } from './support/uplink-hub.ts';
import { trafficMessage } from './support/uplink-traffic.ts';
import { teardown, type Cleanup } from './support/teardown.ts';

const logger = pino({ level: process.env.UNIBOS_LOG_LEVEL ?? 'silent' });
const MIN = 60_000;


function openOutbox(onEnd: (fn: Cleanup) => void): HubOutbox {
  return openOutboxDb(onEnd).outbox;
}

function openOutboxDb(onEnd: (fn: Cleanup) => void): { outbox: HubOutbox; db: Database.Database } {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-urgent-retry-'));
  const db = new Database(join(dir, 'gateway.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  onEnd(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { outbox: new HubOutbox(db, { logger }), db };
}

async function startHub(onEnd: (fn: Cleanup) => void): Promise<TestHub> {
  const hub = new TestHub();
  await hub.up();
  onEnd(() => hub.down());
  return hub;
}

/** strikeSpacingMs 0: every hang-up is a strike, so these tests make letters in a few hang-ups (the default spaces them 10 s apart). */
function startUplink(onEnd: (fn: Cleanup) => void, hub: TestHub, outbox: HubOutbox, gatewayId: string, scheduler: SimScheduler, options: Partial<HubUplinkOptions> = { strikeSpacingMs: 0 }) {
  const uplink = new HubUplink({ url: `mqtt://127.0.0.1:${hub.port}`, gatewayId, outbox, logger, reconnectMinMs: 20, reconnectMaxMs: 200, scheduler, ...options });
  const events = new EventEmitter();
  uplink.onState(() => events.emit('state'));
  outbox.onDeadLetter(() => events.emit('state'));
  uplink.start();
  onEnd(() => uplink.stop({ timeoutMs: 500 }));
  return { uplink, changed: [{ emitter: events, event: 'state' }, { emitter: hub.events, event: 'change' }] };
}

const sosMessage = (note = ''): NewHubMessage => ({
  source: 'mesh:!0000beef',
  topic: 'unibos/v1/mesh/!0000beef/alert',
  payload: JSON.stringify({ level: 'SOS', note }),
  lane: 'urgent',
});

/**
 * An SOS queued behind 200 routine messages, and a hub that ends the connection the first three
 * times the SOS is in flight, then is well again: to the gateway this is the same as a hub that
 * restarts or crash-loops (MQTT 3.1.1 has no negative PUBACK, so a hang-up is all it sees).
 */
function sosBehindTraffic(onEnd: (fn: Cleanup) => void, hub: TestHub, gatewayId: string) {
  let hangUps = 0;
  hub.refuse = (_topic, payload) => payload.includes('"SOS"') && hangUps++ < 3;
  const outbox = openOutbox(onEnd);
  const before = outbox.addMany(traffic(0, 200, gatewayId));
  return { outbox, before, sos: outbox.add(sosMessage()) };
}

const traffic = (from: number, count: number, gatewayId: string) => Array.from({ length: count }, (_, n) => trafficMessage(from + n, gatewayId));

test('an SOS a restarting hub hangs up on three times in a row is not dead-lettered: it arrives once the hub takes it, with the routine traffic', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  // Hang-ups less than 10 s apart (the default) are one strike, not three.
  const { outbox, before, sos } = sosBehindTraffic(onEnd, hub, 'gwsosrestart');
  const gatewayId = 'gwsosrestart';
  const scheduler = new SimScheduler();
  const { uplink, changed } = startUplink(onEnd, hub, outbox, gatewayId, scheduler, {});
  const meanwhile = outbox.addMany(traffic(200, 50, gatewayId));
  await waitUntil(() => hub.accepted.has(sos.msgId) && [...before, ...meanwhile].every((r) => hub.accepted.has(r.msgId)), 'the SOS and everything else at the hub', changed, 30_000);
  assert.equal(hub.refused, 3, 'three hang-ups with the SOS in flight');
  assert.equal(outbox.deadLetterCount, 0, 'never dead-lettered');
  assert.equal(uplink.stats.deadLettered, 0);
  assert.equal(scheduler.pending(), 0, 'no retry waited for');
  await uplink.stop({ timeoutMs: 2000 });
  assert.equal(outbox.size, 0, 'nothing left behind');
});

test('an SOS dead-lettered by hub hang-ups goes back at once when the hub stores anything again, without waiting its minute; everything behind it arrives', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  const gatewayId = 'gwsosretry';
  const { outbox, before, sos } = sosBehindTraffic(onEnd, hub, gatewayId);
  const letters: DeadLetter[] = [];
  outbox.onDeadLetter((l) => letters.push(l));
  const scheduler = new SimScheduler();
  // Every hang-up a strike (as when they come 10 s apart or more): the SOS is dead-lettered.
  const { uplink, changed } = startUplink(onEnd, hub, outbox, gatewayId, scheduler);
  await waitUntil(() => hub.accepted.has(sos.msgId) && before.every((r) => hub.accepted.has(r.msgId)), 'the SOS and the rest at the hub', changed, 30_000);
  assert.equal(hub.refused, 3, 'three hang-ups with the SOS in flight');
  assert.equal(letters.length, 1, 'dead-lettered once');
  assert.equal(letters[0]!.msgId, sos.msgId);
  assert.equal(letters[0]!.retries, 0);
  assert.match(letters[0]!.reason, /ended the connection each time.*urgent: retried automatically as soon as the hub stores anything, at the latest in 1 min/);
  assert.equal(scheduler.now(), 0, 'no minute went by');
  assert.equal(outbox.deadLetterCount, 0);
  assert.equal(uplink.stats.deadLetterRetries, 1);
  assert.equal(uplink.stats.nextDeadLetterRetryMs, undefined);
  // The hub hears that the table is empty again, and the letter is still the last one named.
  await hub.waitFor(() => hub.statusesOf(gatewayId).at(-1)?.body.deadLetters === 0 && hub.statusesOf(gatewayId).some((s) => s.body.urgentDeadLetters === 1), 'a status with the letter, then one without');
  const named = new Set(hub.statusesOf(gatewayId).flatMap((s) => (s.body.lastDeadLetter ? [(s.body.lastDeadLetter as { seq: number }).seq] : [])));
  assert.deepEqual([...named], [letters[0]!.seq]);
  await uplink.stop({ timeoutMs: 2000 });
  assert.equal(outbox.size, 0, 'nothing left behind');
});

test('an urgent message the hub always refuses is retried alone once the hub stores again, then after 5, 15, 60, 60 minutes, one hang-up each, while the rows behind it keep flowing; a requeue still works', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  hub.refuse = (_topic, payload) => payload.includes('POISON');
  const outbox = openOutbox(onEnd);
  const gatewayId = 'gwpoisonretry';
  const first = outbox.addMany(traffic(0, 100, gatewayId));
  const poison = outbox.add(sosMessage('POISON'));
  const behind = outbox.addMany(traffic(100, 100, gatewayId));
  const scheduler = new SimScheduler();
  const { uplink, changed } = startUplink(onEnd, hub, outbox, gatewayId, scheduler);
  await waitUntil(
    () => outbox.deadLetterCount === 1 && [...first, ...behind].every((r) => hub.accepted.has(r.msgId)),
    'the poison dead-lettered, everything else at the hub',
    changed,
    30_000,
  );
  // Its first retry went at once, when the hub stored our status on the next connection: refused again.
  await waitUntil(() => hub.refused === 4 && outbox.deadLetters()[0]?.retries === 1, 'the at-once retry refused and dead-lettered again', changed);
  assert.equal(scheduler.now(), 0);

  let next = 200;
  const delays = [5 * MIN, 15 * MIN, 60 * MIN, 60 * MIN];
  for (const [i, delay] of delays.entries()) {
    assert.equal(uplink.stats.nextDeadLetterRetryMs, delay, `retry ${i + 1} waits ${delay / MIN} min`);
    const start = scheduler.now();
    // No tight loop: nothing happens before the delay is up, however many times the queue runs dry.
    assert.equal(scheduler.runUntil(start + delay - 1), 0, `nothing retried before ${delay / MIN} min`);
    const batch = outbox.addMany(traffic(next, 50, gatewayId));
    next += 50;
    await waitUntil(() => batch.every((r) => hub.accepted.has(r.msgId)), 'the rows behind the poison flowing while it waits', changed);
    assert.equal(hub.refused, 4 + i, 'no retry while it waits');

    scheduler.runUntil(start + delay);
    // Queued with it: the retry goes alone, after the window drained, and these follow it.
    const withRetry = outbox.addMany(traffic(next, 50, gatewayId));
    next += 50;
    await waitUntil(
      () => hub.refused === 5 + i && outbox.deadLetterCount === 1 && withRetry.every((r) => hub.accepted.has(r.msgId)),
      `retry ${i + 1} refused and dead-lettered again, the rows queued with it at the hub`,
      changed,
    );
    const [letter] = outbox.deadLetters();
    assert.equal(letter!.msgId, poison.msgId, 'the same message, same id');
    assert.equal(letter!.retries, i + 2);
    assert.match(letter!.reason, new RegExp(`again on automatic retry ${i + 2}; urgent: retried automatically in ${delays[Math.min(i + 1, delays.length - 1)]! / MIN} min`));
  }
  // Each retry cost the queue one connection, no more; the hub never took the poison.
  assert.equal(hub.refused, 4 + delays.length);
  assert.equal(uplink.stats.reconnects, hub.refused);
  assert.equal(uplink.stats.deadLetterRetries, 1 + delays.length);
  assert.equal(uplink.stats.deadLettered, 2 + delays.length);
  assert.ok(!hub.accepted.has(poison.msgId));

  // Once the hub is fixed, a requeue by hand still puts it back at once; the pending automatic retry finds nothing to do.
  hub.refuse = undefined;
  assert.equal(outbox.requeueDeadLetters('all'), 1);
  await waitUntil(() => hub.accepted.has(poison.msgId), 'the requeued message at the hub', changed);
  scheduler.runUntilIdle();
  assert.equal(uplink.stats.deadLetterRetries, 1 + delays.length);
  assert.equal(scheduler.pending(), 0);
  await uplink.stop({ timeoutMs: 2000 });
  assert.equal(outbox.size, 0);
  assert.equal(outbox.deadLetterCount, 0);
});

test('a routine message the hub refuses stays dead-lettered: no automatic retry, however long the gateway runs', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  hub.refuse = (_topic, payload) => payload.includes('POISON');
  const outbox = openOutbox(onEnd);
  const gatewayId = 'gwroutineletter';
  const poison = outbox.add({ source: 'sensor:k1', topic: 'unibos/v1/sensor/k1/temp', payload: JSON.stringify({ note: 'POISON' }) });
  const behind = outbox.addMany(traffic(0, 100, gatewayId));
  const scheduler = new SimScheduler();
  const { uplink, changed } = startUplink(onEnd, hub, outbox, gatewayId, scheduler);
  await waitUntil(() => outbox.deadLetterCount === 1 && behind.every((r) => hub.accepted.has(r.msgId)), 'the routine poison dead-lettered', changed, 30_000);
  const [letter] = outbox.deadLetters();
  assert.equal(letter!.msgId, poison.msgId);
  assert.doesNotMatch(letter!.reason, /automatically/);
  assert.equal(uplink.stats.urgentDeadLetters, 0);
  assert.equal(uplink.stats.nextDeadLetterRetryMs, undefined);
  assert.equal(scheduler.pending(), 0, 'no retry scheduled');
  scheduler.runUntil(24 * 60 * MIN);
  const later = outbox.addMany(traffic(100, 50, gatewayId));
  await waitUntil(() => later.every((r) => hub.accepted.has(r.msgId)), 'later traffic at the hub', changed);
  assert.equal(outbox.deadLetterCount, 1, 'still dead-lettered a day later');
  assert.equal(hub.refused, 3);
  assert.equal(uplink.stats.deadLetterRetries, 0);
});

test('an urgent dead letter left by an earlier run is retried after start, once the hub stores our status, not a minute later', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  const outbox = openOutbox(onEnd);
  const gatewayId = 'gwletterrestart';
  // An earlier run dead-lettered it and stopped before its retry was due.
  const sos = outbox.add(sosMessage());
  assert.ok(outbox.deadLetter(sos.seq, 'the hub ended the connection each time it was sent (3 times, the last 2 alone)'));
  const scheduler = new SimScheduler();
  const { uplink, changed } = startUplink(onEnd, hub, outbox, gatewayId, scheduler);
  assert.equal(uplink.stats.nextDeadLetterRetryMs, MIN, 'due in a minute at the latest');
  await waitUntil(() => hub.accepted.has(sos.msgId), 'the SOS at the hub', changed);
  assert.equal(scheduler.now(), 0);
  assert.equal(outbox.deadLetterCount, 0);
});

test('an urgent row that breaks a limit the door now enforces (queued by an older gateway) is dead-lettered with that limit and not retried: no retry could change it', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  const { outbox, db } = openOutboxDb(onEnd);
  const gatewayId = 'gwdoorletter';
  const sos = outbox.add(sosMessage());
  // As an older gateway let it in: a topic deeper than the hub takes, already struck once.
  db.prepare('UPDATE hub_outbox SET topic = ?, attempts = 1 WHERE seq = ?').run('unibos/v1/mesh/!0000beef/alert/a/b/c/d/e/f', sos.seq);
  const behind = outbox.addMany(traffic(0, 20, gatewayId));
  const scheduler = new SimScheduler();
  const { uplink, changed } = startUplink(onEnd, hub, outbox, gatewayId, scheduler);
  await waitUntil(() => outbox.deadLetterCount === 1 && behind.every((r) => hub.accepted.has(r.msgId)), 'the row dead-lettered at the door, the rest at the hub', changed, 30_000);
  const [letter] = outbox.deadLetters();
  assert.match(letter!.reason, /^topic_depth: /);
  assert.doesNotMatch(letter!.reason, /automatically/);
  assert.equal(uplink.stats.nextDeadLetterRetryMs, undefined);
  assert.equal(scheduler.pending(), 0, 'no retry scheduled');
  assert.equal(hub.refused, 0, 'never sent');
  // Nor after a restart, which takes up the urgent letters left in the table.
  await uplink.stop({ timeoutMs: 500 });
  const again = new SimScheduler();
  const restarted = startUplink(onEnd, hub, outbox, gatewayId, again);
  again.runUntil(2 * MIN);
  assert.equal(outbox.deadLetterCount, 1);
  assert.equal(outbox.deadLetters()[0]!.seq, letter!.seq, 'the same letter, not made again under a new seq');
  assert.equal(restarted.uplink.stats.deadLetterRetries, 0);
});
