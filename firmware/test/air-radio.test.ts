// The simulated air and its radios: the Radio contract, range from positions, refusals, bad input
// and rejoining after the air restarts — all over real loopback sockets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { loraParams } from '@unibos/mesh-protocol';
import { SimAir } from '../src/radio/sim-air.ts';
import { AirRadio } from '../src/radio/air-radio.ts';
import { radioContract, RadioProbe } from './contract/radio-contract.ts';

const params = loraParams('ShortFast');
const HOME = { latitude: 41.0, longitude: 29.0 };
/** About `km` kilometres east of HOME. */
const east = (km: number) => ({ latitude: HOME.latitude, longitude: HOME.longitude + km / 84 });

async function air(): Promise<{ air: SimAir; port: number }> {
  const a = new SimAir({ params, port: 0 });
  return { air: a, port: await a.listen() };
}

/** Resolves once the radio reaches `state` (reported through its state callback, not polled). */
function reaches(r: AirRadio, state: AirRadio['state']): Promise<void> {
  if (r.state === state) return Promise.resolve();
  return new Promise((resolve) => r.onStateChange((s) => s === state && resolve()));
}

async function radio(port: number, nodeId: number, position = HOME, p = params): Promise<AirRadio> {
  const r = new AirRadio({ nodeId, params: p, position, port, reconnectMs: 20 });
  await r.open();
  return r;
}

radioContract('simulated air radio', async () => {
  const { air: a, port } = await air();
  const r1 = await radio(port, 1);
  const r2 = await radio(port, 2, east(0.5));
  return {
    a: r1,
    b: r2,
    close: async () => {
      await r1.close();
      await r2.close();
      await a.close();
    },
  };
});

test('who hears whom follows distance: a node beyond range hears nothing', async () => {
  const { air: a, port } = await air();
  const near = await radio(port, 1);
  const mid = await radio(port, 2, east(1));
  const far = await radio(port, 3, east(60));
  const [pNear, pMid, pFar] = [near, mid, far].map((r) => new RadioProbe(r));
  near.transmit(Uint8Array.of(1, 2, 3));
  await pMid!.until(() => pMid!.received.length === 1, 'the 1 km neighbour to hear it');
  await pNear!.until(() => pNear!.done.length === 1, 'transmit done');
  assert.equal(pFar!.received.length, 0);
  assert.ok(pMid!.received[0]!.rssi > -130 && pMid!.received[0]!.snr > -10);
  // Moving the far node close makes it audible.
  far.moveTo(east(0.2));
  near.transmit(Uint8Array.of(4));
  await pFar!.until(() => pFar!.received.length === 1, 'the moved node to hear it');
  for (const r of [near, mid, far]) await r.close();
  await a.close();
});

test('the air refuses a second radio with the same node id, and different radio settings', async () => {
  const { air: a, port } = await air();
  const first = await radio(port, 7);
  await assert.rejects(radio(port, 7), (e: Error & { code?: string }) => e.code === 'E_AIR_UNAVAILABLE' && /already on the air/.test(e.message));
  await assert.rejects(radio(port, 8, HOME, loraParams('LongFast')), /SF7.*SF11/);
  await first.close();
  await a.close();
});

test('a node with no air running gets a clear error naming the fix', async () => {
  const { air: a, port } = await air();
  await a.close();
  await assert.rejects(radio(port, 1), (e: Error & { code?: string }) => e.code === 'E_AIR_UNAVAILABLE' && /no simulated air.*unibos air/.test(e.message));
});

test('garbage from a client is counted and the air keeps serving others', async () => {
  const { air: a, port } = await air();
  const r1 = await radio(port, 1);
  const r2 = await radio(port, 2, east(0.3));
  const p2 = new RadioProbe(r2);
  const s = connect({ port, host: '127.0.0.1' });
  await once(s, 'connect');
  s.write('not json\n{"type":"tx","frame":"AAAA"}\n{"type":"hello","nodeId":-1}\n' + 'x'.repeat(10_000) + '\n');
  s.end();
  await once(s, 'close');
  r1.transmit(Uint8Array.of(9));
  await p2.until(() => p2.received.length === 1, 'a frame after the garbage');
  assert.ok(a.stats.badLines >= 4, `bad lines counted: ${a.stats.badLines}`);
  await r1.close();
  await r2.close();
  await a.close();
});

test('a radio rejoins when the air comes back, failing the frame that was on air', async () => {
  const first = new SimAir({ params, port: 0 });
  const port = await first.listen();
  const r1 = await radio(port, 1);
  const r2 = await radio(port, 2, east(0.3));
  const p1 = new RadioProbe(r1);
  const p2 = new RadioProbe(r2);
  const states: string[] = [];
  r1.onStateChange((s) => states.push(s));
  await first.close();
  await Promise.all([reaches(r1, 'recovering'), reaches(r2, 'recovering')]);
  r1.transmit(Uint8Array.of(1));
  await p1.until(() => p1.done.length === 1, 'the refused transmit');
  assert.equal(p1.done[0]!.ok, false);

  const second = new SimAir({ params, port });
  await second.listen();
  await Promise.all([reaches(r1, 'ready'), reaches(r2, 'ready')]);
  assert.deepEqual(states, ['recovering', 'ready']);
  r1.transmit(Uint8Array.of(2));
  await p2.until(() => p2.received.length === 1, 'a frame over the new air');
  assert.equal(r1.stats.reconnects, 1);
  await r1.close();
  await r2.close();
  await second.close();
});
