// Each router layer adds exactly its one concern: the core delivers but neither relays nor answers
// acks, flooding adds relaying, reliable adds acks and retries. A concern that moves to the wrong
// layer (say, relaying done by the core) fails here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/core/random.ts';
import { ChannelSet, DEFAULT_CHANNEL } from '../src/crypto/channel-key.ts';
import { BROADCAST } from '../src/frame/header.ts';
import { loraParams } from '../src/phy/lora-params.ts';
import { FloodingRouter } from '../src/routing/flooding-router.ts';
import { NaiveFloodPolicy } from '../src/routing/naive-flood-policy.ts';
import { ReliableRouter } from '../src/routing/reliable-router.ts';
import { RouterCore, type RouterOptions } from '../src/routing/router-core.ts';
import { SimMedium } from '../src/sim/medium.ts';
import { SimScheduler } from '../src/sim/sim-scheduler.ts';

const A = 0x0a0a;
const B = 0x0b0b;
const C = 0x0c0c;

type Layer = new (options: RouterOptions) => RouterCore;

/** A - B - C in a line (A and C do not hear each other), every node running `Layer`. */
function line(Layer: Layer) {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(3);
  const linked = new Set([`${A}-${B}`, `${B}-${A}`, `${B}-${C}`, `${C}-${B}`]);
  const medium = new SimMedium({ params: loraParams('LongFast'), scheduler, random: rng.fork(), link: (f, t) => (linked.has(`${f}-${t}`) ? { rssi: -95, snr: 2 } : null), lossProbability: 0 });
  const [a, b, c] = [A, B, C].map(
    (id) => new Layer({ nodeId: id, radio: medium.radio(id), scheduler, random: rng.fork(), channels: new ChannelSet([DEFAULT_CHANNEL]), policy: new NaiveFloodPolicy(), region: 'NONE', maxTransmissions: 3 }),
  );
  const log: string[] = [];
  for (const [name, r] of [['A', a!], ['B', b!], ['C', c!]] as const) {
    r.on('deliver', (d) => log.push(`${name} got ${d.data.text ?? d.kind}`));
    r.on('sent', () => log.push(`${name} sent`));
    r.on('ack', ({ implicit }) => log.push(`${name} acked${implicit ? ' implicitly' : ''}`));
    r.on('nak', ({ reason }) => log.push(`${name} nak ${reason}`));
  }
  return { scheduler, a: a!, b: b!, c: c!, log };
}

for (const [Layer, relays, answers] of [
  [RouterCore, false, false],
  [FloodingRouter, true, false],
  [ReliableRouter, true, true],
] as const) {
  test(`${Layer.name}: ${relays ? 'relays' : 'does not relay'} a broadcast, ${answers ? 'answers' : 'does not answer'} a want_ack`, () => {
    const net = line(Layer);
    net.a.send(BROADCAST, { text: 'flood' });
    net.scheduler.runUntilIdle();
    assert.equal(net.log.includes('C got flood'), relays, `C two hops away: ${net.log.join(', ')}`);
    assert.equal(net.log.includes('B got flood'), true);

    net.log.length = 0;
    net.a.send(B, { text: 'ping' }, { wantAck: true });
    net.scheduler.runUntilIdle();
    assert.equal(net.log.filter((l) => l === 'B got ping').length, 1, 'delivered once, whatever the retries');
    const sends = net.log.filter((l) => l === 'A sent').length;
    if (answers) {
      assert.ok(net.log.includes('A acked'), net.log.join(', '));
      assert.equal(sends, 1, 'an answered frame is not sent again');
    } else {
      // Below the reliable layer nobody waits for an ack: one transmission, no ack and no nak.
      assert.equal(sends, 1);
      assert.ok(!net.log.some((l) => l.startsWith('A acked') || l.startsWith('A nak')), net.log.join(', '));
    }
  });
}

test('ReliableRouter: a want_ack nobody answers is sent maxTransmissions times, then ends in one nak', () => {
  const net = line(ReliableRouter);
  net.a.send(0x0f0f, { text: 'to nobody' }, { wantAck: true });
  net.scheduler.runUntilIdle();
  assert.equal(net.log.filter((l) => l === 'A sent').length, 3);
  assert.deepEqual(net.log.filter((l) => l.startsWith('A nak') || l.startsWith('A acked')), ['A nak MAX_RETRANSMIT']);
});
