// The hub's requests for unnamed nodes' NodeInfo: at once through the gateway that heard the node,
// again after 35 s and then less and less often (also when the node stays silent), never for a
// named node or a gateway, at most 6 a minute per org, and nothing more once the name is known.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeNameRequests } from '../src/fleet/node-name-requests.ts';

function setup(names: Record<string, string | null> = {}) {
  let now = 1_000_000;
  const sent: Array<{ gw: string; to: string }> = [];
  const timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  const requests = new NodeNameRequests({
    store: { get: (_org, id) => (id in names ? ({ id, name: names[id], kind: id.startsWith('!gw') ? 'gateway' : 'node' } as never) : null) },
    link: { isConnected: () => true, publishTx: (_org, gw, payload) => void sent.push({ gw, to: (JSON.parse(payload.toString()) as { to: string }).to }) },
    now: () => now,
    schedule: (fn, ms) => {
      const timer = { at: now + ms, fn, cancelled: false };
      timers.push(timer);
      return { cancel: () => void (timer.cancelled = true) };
    },
  });
  const advance = (ms: number): void => {
    now += ms;
    for (const t of timers.filter((x) => !x.cancelled && x.at <= now)) {
      t.cancelled = true;
      t.fn();
    }
  };
  return { requests, sent, advance, names };
}

test('asks an unnamed node at once, again after 35 s and then doubling, also while it is silent', () => {
  const s = setup({ '!aaaa0001': null });
  s.requests.heard('org', '!aaaa0001', 'gw1');
  assert.deepEqual(s.sent, [{ gw: 'gw1', to: '!aaaa0001' }]);
  s.requests.heard('org', '!aaaa0001', 'gw1');
  assert.equal(s.sent.length, 1, 'not again at once');
  s.advance(35_000);
  assert.equal(s.sent.length, 2, 'again after 35 s without hearing it');
  s.advance(35_000);
  assert.equal(s.sent.length, 2, 'then it waits longer');
  s.advance(35_000);
  assert.equal(s.sent.length, 3, 'after 70 s more');
});

test('stops once named, never asks a named node or a gateway, and spends at most 6 requests a minute per org', () => {
  const s = setup({ '!aaaa0001': null, '!bbbb0002': 'Harbour', '!gw000003': null });
  s.requests.heard('org', '!aaaa0001', 'gw1');
  s.names['!aaaa0001'] = 'Clinic';
  s.requests.named('org', '!aaaa0001');
  s.advance(10 * 60_000);
  assert.equal(s.sent.length, 1, 'nothing more once named');
  s.requests.heard('org', '!bbbb0002', 'gw1');
  s.requests.heard('org', '!gw000003', 'gw1');
  assert.equal(s.sent.length, 1, 'named nodes and gateways are not asked');
  for (let i = 0; i < 10; i++) s.names[`!cccc000${i}`] = null;
  for (let i = 0; i < 10; i++) s.requests.heard('org', `!cccc000${i}`, 'gw1');
  assert.equal(s.sent.length, 1 + 6, 'six a minute');
  s.requests.close();
});
