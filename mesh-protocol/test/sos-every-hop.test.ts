// A text never delays an SOS at any hop: along a line busy with texts, every relay's next
// transmission after it hears the SOS is the SOS itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/core/random.ts';
import { ChannelSet, DEFAULT_CHANNEL } from '../src/crypto/channel-key.ts';
import { BROADCAST, readHeader } from '../src/frame/header.ts';
import { loraParams } from '../src/phy/lora-params.ts';
import { MeshRouter } from '../src/routing/router.ts';
import { SimMedium } from '../src/sim/medium.ts';
import { SimScheduler } from '../src/sim/sim-scheduler.ts';

const IDS = [0x0a01, 0x0a02, 0x0a03, 0x0a04, 0x0a05, 0x0a06];

for (const seed of [1, 2, 3, 4, 5]) {
  test(`seed ${seed}: on a six-node line carrying a burst of texts, no relay starts a text between hearing the SOS and relaying it`, () => {
    const scheduler = new SimScheduler();
    const rng = new SeededRandom(seed);
    const near = (f: number, t: number) => Math.abs(IDS.indexOf(f) - IDS.indexOf(t)) === 1;
    const starts: Array<{ by: number; from: number; id: number; at: number }> = [];
    const medium = new SimMedium({
      params: loraParams('LongFast'),
      scheduler,
      random: rng.fork(),
      link: (f, t) => (near(f, t) ? { rssi: -95, snr: 2 } : null),
      lossProbability: 0,
      onTransmit: (by, bytes) => {
        const h = readHeader(bytes);
        starts.push({ by, from: h.from, id: h.id, at: scheduler.now() });
      },
    });
    const routers = IDS.map((id) => new MeshRouter({ nodeId: id, radio: medium.radio(id), scheduler, random: rng.fork(), channels: new ChannelSet([DEFAULT_CHANNEL]), region: 'NONE', hopLimit: 7 }));
    // Neighbour-info beacons first, one node at a time, so the coverage policy knows the line.
    for (let round = 0; round < 2; round++) routers.forEach((r, i) => scheduler.schedule(round * 60_000 + i * 4_000, () => r.sendNeighborInfo(60)));
    scheduler.runUntilIdle();

    const [a] = routers;
    const heardSos = new Map<number, number>();
    let sosId = 0;
    routers.forEach((r) => r.on('heard', ({ data }) => data.alert && !heardSos.has(r.nodeId) && heardSos.set(r.nodeId, scheduler.now())));
    const arrivals: string[] = [];
    routers.at(-1)!.on('deliver', (d) => arrivals.push(d.kind === 'alert' ? 'SOS' : d.data.text!));
    for (let i = 0; i < 6; i++) a!.send(BROADCAST, { text: `text ${i}` });
    // Raised while the texts are spread over the first relays.
    scheduler.schedule(2_500, () => (sosId = a!.send(BROADCAST, { alert: { level: 'SOS', text: 'help', magnitudeX10: 0 } })));
    scheduler.runUntilIdle();

    assert.ok(arrivals.includes('SOS'), `the SOS reached the far end: ${arrivals.join(', ')}`);
    for (const relay of IDS.slice(1, -1)) {
      const heardAt = heardSos.get(relay);
      assert.ok(heardAt !== undefined, `${relay.toString(16)} heard the SOS`);
      const next = starts.find((s) => s.by === relay && s.at >= heardAt);
      assert.ok(next, `${relay.toString(16)} transmitted after hearing the SOS`);
      assert.deepEqual({ from: next.from, id: next.id }, { from: IDS[0], id: sosId }, `${relay.toString(16)}'s next transmission after hearing the SOS is the SOS`);
    }
  });
}
