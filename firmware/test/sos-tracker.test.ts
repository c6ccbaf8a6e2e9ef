// "I am safe" as the node's SOS tracker keeps it, on simulated time: resent until the hub's
// `resolved`, carried on after a reboot (the node database), and given up, with the reason, after
// a day or a bounded number of copies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimScheduler } from '@unibos/mesh-protocol';
import { openNodeDb } from '../src/node/node-db.ts';
import { MAX_HUB_WAIT_COPIES, MAX_SAFE_COPIES, SosTracker, type SosStatus } from '../src/node/sos.ts';
import { sosSummary } from '../src/node/sos-summary.ts';

function setup(t: { after: (fn: () => void) => void }, intervals = { retryIntervalS: 10, maxRetryIntervalS: 600 }) {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-sos-tracker-'));
  const db = openNodeDb(join(dir, 'node.db'));
  const scheduler = new SimScheduler();
  const sent: Array<{ kind: 'sos' | 'safe'; requestId: number }> = [];
  const changes: SosStatus[] = [];
  const trackers: SosTracker[] = [];
  // The wall clock, which can jump where the scheduler's time never does.
  const wall = { offsetMs: 0 };
  const tracker = () => {
    // A working radio: every copy queued goes on air at once.
    const tr: SosTracker = new SosTracker(db, scheduler, {
      ...intervals,
      clock: () => scheduler.now() + wall.offsetMs,
      sendCopy: (requestId) => {
        sent.push({ kind: 'sos', requestId });
        tr.copyOnAir(requestId, 'sos');
      },
      sendSafe: (requestId) => {
        sent.push({ kind: 'safe', requestId });
        tr.copyOnAir(requestId, 'safe');
      },
      onChange: (s) => changes.push(s),
    });
    trackers.push(tr);
    return tr;
  };
  t.after(() => {
    for (const tr of trackers) tr.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { scheduler, sent, changes, tracker, wall, safes: () => sent.filter((x) => x.kind === 'safe').length };
}

test('"I am safe" carries on after a reboot until `resolved` arrives', (t) => {
  const s = setup(t);
  const before = s.tracker();
  const { requestId } = before.raise();
  before.advance(requestId, 7, { stage: 'gateway', timeMs: 0, by: '' });
  assert.equal(before.cancel(), requestId);
  assert.equal(s.safes(), 1, 'the first copy goes at once');
  before.stop();

  const after = s.tracker();
  assert.equal(after.status.safe, 'waiting', 'the database remembers');
  after.resume();
  assert.equal(s.safes(), 2, 'a copy at start-up');
  s.scheduler.runUntil(s.scheduler.now() + 60_000);
  assert.ok(s.safes() >= 4);
  assert.ok(s.sent.filter((x) => x.kind === 'safe').every((x) => x.requestId === requestId));
  assert.equal(s.sent.filter((x) => x.kind === 'sos').length, 1, 'the SOS itself is not resent');

  assert.equal(after.advance(requestId, 7, { stage: 'resolved', timeMs: 0, by: '' }), true);
  assert.equal(after.status.safe, 'confirmed');
  const copies = s.safes();
  s.scheduler.runUntil(s.scheduler.now() + 3600_000);
  assert.equal(s.safes(), copies);
});

test('"I am safe" gives up after a day without an answer, and says why', (t) => {
  const s = setup(t);
  const tr = s.tracker();
  tr.raise();
  tr.cancel();
  s.scheduler.runUntil(25 * 3600_000);
  const st = tr.status;
  assert.equal(st.safe, 'gave-up');
  assert.match(st.safeGaveUpReason ?? '', /no answer from the hub in 24 h/);
  assert.equal(st.safeGiveUps, 1, 'counted');
  assert.ok(st.safeCopiesSent < MAX_SAFE_COPIES);
  assert.match(sosSummary(st), /safe sent at \d\d:\d\d, gave up: no answer from the hub in 24 h/);
  const copies = s.safes();
  s.scheduler.runUntil(48 * 3600_000);
  assert.equal(s.safes(), copies, 'no copies after giving up');
  // The count survives the next SOS.
  tr.raise();
  assert.equal(tr.status.safeGiveUps, 1);
  assert.equal(tr.status.safe, 'none');
});

test('"I am safe" gives up after a bounded number of copies when the waits are short', (t) => {
  const s = setup(t, { retryIntervalS: 5, maxRetryIntervalS: 5 });
  const tr = s.tracker();
  tr.raise();
  tr.cancel();
  s.scheduler.runUntil(24 * 3600_000);
  assert.equal(tr.status.safe, 'gave-up');
  assert.equal(s.safes(), MAX_SAFE_COPIES);
  assert.match(tr.status.safeGaveUpReason ?? '', new RegExp(`${MAX_SAFE_COPIES} copies`));
});

test('a stage of the SOS never stops "I am safe"; a new SOS does', (t) => {
  const s = setup(t);
  const tr = s.tracker();
  const { requestId } = tr.raise();
  s.scheduler.runUntil(5_000);
  tr.cancel();
  for (const stage of ['gateway', 'hub', 'acknowledged'] as const) tr.advance(requestId, 7, { stage, timeMs: 0, by: '' });
  s.scheduler.runUntil(6 * 3600_000);
  assert.equal(tr.status.safe, 'waiting');
  assert.ok(s.safes() >= 30, `${s.safes()} copies of "I am safe" in six hours`);

  const second = tr.raise();
  const safes = s.safes();
  s.scheduler.runUntil(12 * 3600_000);
  assert.equal(s.safes(), safes, 'the new SOS replaced the old "I am safe"');
  assert.ok(s.sent.filter((x) => x.kind === 'sos' && x.requestId === second.requestId).length > 5, 'and its own copies go out');
});

test('"I am safe" is not given up because the wall clock jumped (a Pi without a real-time clock getting the time)', (t) => {
  // Off the grid a Pi starts with the time it saved at shutdown, days behind, until GPS or a
  // network sets it. The person said they are safe; the hub must still hear it.
  const s = setup(t);
  const tr = s.tracker();
  tr.raise();
  tr.cancel();
  s.scheduler.runUntil(s.scheduler.now() + 60_000);
  s.wall.offsetMs = 5 * 24 * 3600_000; // the clock is set: five days later than the Pi thought
  s.scheduler.runUntil(s.scheduler.now() + 3600_000);
  assert.equal(tr.status.safe, 'waiting', `given up after an hour: ${tr.status.safeGaveUpReason}`);
  const copies = s.safes();
  s.scheduler.runUntil(s.scheduler.now() + 3600_000);
  assert.ok(s.safes() > copies, 'copies keep going');

  // A day of trying still ends it, whatever the clock did; so does a day counted across a restart.
  tr.stop();
  const after = s.tracker();
  after.resume();
  s.scheduler.runUntil(s.scheduler.now() + 20 * 3600_000);
  assert.equal(after.status.safe, 'waiting', 'twenty-two hours of trying in all');
  s.scheduler.runUntil(s.scheduler.now() + 3 * 3600_000);
  assert.equal(after.status.safe, 'gave-up');
  assert.match(after.status.safeGaveUpReason ?? '', /no answer from the hub in 24 h/);
});

test('an SOS a gateway took but the hub never confirmed goes again, slowly and to any other gateway heard, until the hub has it; and after a reboot', (t) => {
  const s = setup(t);
  const G1 = 0x6a7e0001;
  const G2 = 0x6a7e0002;
  const sosCopies = () => s.sent.filter((x) => x.kind === 'sos').length;
  const tr = s.tracker();
  const { requestId } = tr.raise();
  s.scheduler.runUntil(s.scheduler.now() + 15_000);
  tr.advance(requestId, G1, { stage: 'gateway', timeMs: 0, by: '' });
  const taken = sosCopies();
  // G1's hub link is down (or G1 lost power with the only copy): nothing comes back.
  s.scheduler.runUntil(s.scheduler.now() + 599_000);
  assert.equal(sosCopies(), taken, 'no quick copies once a gateway took it');
  s.scheduler.runUntil(s.scheduler.now() + 1_000);
  assert.equal(sosCopies(), taken + 1, 'a slow copy after maxRetryIntervalS');
  assert.equal(tr.gatewayHeard(G1), false, 'the gateway that took it announcing itself again sends nothing');
  s.scheduler.runUntil(s.scheduler.now() + 10_000);
  assert.equal(tr.gatewayHeard(G2), true, 'another gateway: a copy at once, for it to take');
  assert.equal(sosCopies(), taken + 2);
  tr.stop();
  // A reboot while still waiting: the slow copies go on, the wait doubled for each sent (2 so far).
  const after = s.tracker();
  after.resume();
  s.scheduler.runUntil(s.scheduler.now() + 2_399_000);
  assert.equal(sosCopies(), taken + 2);
  s.scheduler.runUntil(s.scheduler.now() + 1_000);
  assert.equal(sosCopies(), taken + 3, 'resumed after the reboot, 40 minutes on');
  // G2 got it to the hub: the copies stop for good.
  assert.equal(after.advance(requestId, G2, { stage: 'hub', timeMs: 0, by: '' }), true);
  s.scheduler.runUntil(s.scheduler.now() + 6 * 3600_000);
  assert.equal(after.gatewayHeard(0x6a7e0003), false);
  assert.equal(sosCopies(), taken + 3, 'nothing more once the hub has it');
  assert.equal(after.status.resending, false, 'never "no gateway has it" again');
});

test('slow copies while the hub does not answer end after a handful, even with the hub away for days; an SOS stored by older firmware is not sent again', (t) => {
  const s = setup(t);
  const sosCopies = () => s.sent.filter((x) => x.kind === 'sos').length;
  const tr = s.tracker();
  const { requestId } = tr.raise();
  tr.advance(requestId, 0x6a7e0001, { stage: 'gateway', timeMs: 0, by: '' });
  const taken = sosCopies();
  s.scheduler.runUntil(s.scheduler.now() + 7 * 86_400_000);
  assert.equal(sosCopies(), taken + MAX_HUB_WAIT_COPIES, 'a handful in a week, not one every 10 minutes');
  assert.equal(tr.status.hubWaitCopies, MAX_HUB_WAIT_COPIES);
  assert.equal(tr.gatewayHeard(0x6a7e0002), false, 'none left for another gateway either');
  tr.stop();

  // What older firmware stored for an SOS a gateway had heard ("acknowledged"): no stage times.
  const old = setup(t);
  const db = openNodeDb(join(mkdtempSync(join(tmpdir(), 'unibos-sos-old-')), 'node.db'));
  t.after(() => db.close());
  db.prepare('INSERT INTO kv (key, value) VALUES (?, ?)').run('sos', JSON.stringify({ phase: 'acknowledged', requestId: 12345, startedMs: Date.UTC(2026, 10, 1), copiesSent: 3 }));
  const sent: number[] = [];
  const legacy = new SosTracker(db, old.scheduler, { retryIntervalS: 10, maxRetryIntervalS: 600, sendCopy: (id) => void sent.push(id), sendSafe: () => {}, onChange: () => {} });
  t.after(() => legacy.stop());
  legacy.resume();
  old.scheduler.runUntil(old.scheduler.now() + 86_400_000);
  assert.deepEqual(sent, [], 'a month-old SOS is not broadcast again');
});

