// The demo's scripted story must not contradict itself: a node whose SOS is open (the script's
// own SOS, or one raised by its check-in answer "needs help") sends no "all well" check-in text
// until it has said "I am safe". Timers are Node's mocked ones: the script's minutes pass at once.

import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import type { SosStatus } from '@unibos/firmware';
import { startTraffic, type TrafficDevice } from '../demo-traffic.ts';

const IDLE: SosStatus = { stage: 'none', cancelled: false, resending: false, requestId: 0, startedMs: 0, copiesSent: 0, stageTimes: {}, safe: 'none', safeCopiesSent: 0, safeGiveUps: 0 };

/** A simulated node as the script sees it: its texts are recorded, its SOS follows raise and "I am safe". */
function device(name: string, sent: Array<[string, string]>): TrafficDevice & { sos: SosStatus } {
  return {
    name,
    sos: IDLE,
    sendText(text: string) {
      sent.push([name, text]);
    },
    raiseSos() {
      this.sos = { ...IDLE, stage: 'sent', requestId: 1, copiesSent: 1 };
    },
    imSafe() {
      if (this.sos.stage !== 'none') this.sos = { ...this.sos, cancelled: true, safe: 'waiting' };
    },
    get sosStatus() {
      return this.sos;
    },
  };
}

test('a node with an open SOS sends no "all well" check-in until its "I am safe"; the others go on', (t) => {
  mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
  t.after(() => mock.timers.reset());
  const sent: Array<[string, string]> = [];
  const names = ['Harbour', 'School', 'Clinic', 'Farm'];
  const nodes = names.map((n) => device(n, sent));
  const traffic = startTraffic(nodes, { checkinEveryMs: 25_000, sosAfterMs: 40_000, safeAfterMs: 280_000 }, Date.now, 'en');
  t.after(() => traffic.stop());

  // Farm answered the check-in round "needs help" (its answerer raised an SOS) and never says it is safe.
  nodes[3]!.raiseSos();
  mock.timers.tick(25_000 * 11); // 4 min 35 s: Clinic's SOS (40 s .. 280 s) is open all along
  const duringSos = sent.map(([from]) => from);
  assert.equal(duringSos.length, 11, 'a check-in every 25 s still goes, from a node that is well');
  assert.ok(!duringSos.includes('Clinic'), `Clinic, asking for help, says nothing is wrong: ${duringSos.join(', ')}`);
  assert.ok(!duringSos.includes('Farm'), `Farm, needing help, says all is well: ${duringSos.join(', ')}`);
  assert.match(sent[0]![1], /^check-in \d\d:\d\d: all well at Harbour$/);

  mock.timers.tick(25_000 * 4); // after Clinic's "I am safe" at 280 s
  const after = sent.slice(11).map(([from]) => from);
  assert.ok(after.includes('Clinic'), `safe again, Clinic checks in: ${after.join(', ')}`);
  assert.ok(!after.includes('Farm'), 'Farm still needs help');
});

test("the check-in texts are in the language of the person running the demo", (t) => {
  mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
  t.after(() => mock.timers.reset());
  const sent: Array<[string, string]> = [];
  const traffic = startTraffic([device('Harbour', sent)], { checkinEveryMs: 25_000, sosAfterMs: 40_000, safeAfterMs: 280_000 }, () => new Date(2030, 0, 1, 14, 5).getTime(), 'tr');
  t.after(() => traffic.stop());
  mock.timers.tick(25_000);
  assert.deepEqual(sent, [['Harbour', 'yoklama 14:05: Harbour, her şey yolunda']], 'at the local time, as the admin UI shows it');
});

test('when every node asks for help, no one says all is well', (t) => {
  mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
  t.after(() => mock.timers.reset());
  const sent: Array<[string, string]> = [];
  const nodes = [device('Harbour', sent), device('School', sent)];
  for (const n of nodes) n.raiseSos();
  const traffic = startTraffic(nodes, { checkinEveryMs: 25_000, sosAfterMs: 40_000, safeAfterMs: 10_000_000 });
  t.after(() => traffic.stop());
  mock.timers.tick(25_000 * 6);
  assert.deepEqual(sent, []);
});
