// Hand-built topologies over the simulated medium for the router tests: exactly the listed pairs
// hear each other, with no random loss, and Eve, a radio that runs no router, records what she
// hears and puts whatever she likes on air.

import { SeededRandom } from '../../src/core/random.ts';
import { ChannelSet, DEFAULT_CHANNEL } from '../../src/crypto/channel-key.ts';
import { loraParams } from '../../src/phy/lora-params.ts';
import { NaiveFloodPolicy } from '../../src/routing/naive-flood-policy.ts';
import { MeshRouter, type Delivery, type RouterOptions } from '../../src/routing/router.ts';
import { SimMedium, type Link } from '../../src/sim/medium.ts';
import { SimScheduler } from '../../src/sim/sim-scheduler.ts';

export const params = loraParams('LongFast');
export const LINK: Link = { rssi: -95, snr: 2 };
/** A listening/transmitting radio that runs no router: the eavesdropper and replay attacker. */
export const EVE = 0x0e0e;

export interface Net {
  scheduler: SimScheduler;
  medium: SimMedium;
  routers: Map<number, MeshRouter>;
  deliveries: Map<number, Delivery[]>;
  add(id: number, options?: Partial<RouterOptions>): MeshRouter;
  /** Frames Eve heard, as heard. */
  captured: Uint8Array[];
  /** Eve puts `bytes` on air. */
  inject(bytes: Uint8Array): void;
}

/** A medium where exactly the listed pairs hear each other (both ways) while `up` says so, with no random loss. */
export function network(edges: Array<[number, number]>, seed = 1, up: (from: number, to: number) => boolean = () => true): Net {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(seed);
  const linked = new Set(edges.flatMap(([a, b]) => [`${a}-${b}`, `${b}-${a}`]));
  const medium = new SimMedium({
    params,
    scheduler,
    random: rng.fork(),
    link: (from, to) => (linked.has(`${from}-${to}`) && up(from, to) ? LINK : null),
    lossProbability: 0,
  });
  const routers = new Map<number, MeshRouter>();
  const deliveries = new Map<number, Delivery[]>();
  const captured: Uint8Array[] = [];
  const eve = medium.radio(EVE);
  eve.attach({ onReceive: (p) => captured.push(p.bytes), onTransmitDone: () => {} });
  return {
    scheduler,
    medium,
    routers,
    deliveries,
    captured,
    inject: (bytes) => eve.transmit(bytes),
    add(id, options = {}) {
      const router = new MeshRouter({
        nodeId: id,
        radio: medium.radio(id),
        scheduler,
        random: rng.fork(),
        channels: new ChannelSet([DEFAULT_CHANNEL]),
        policy: new NaiveFloodPolicy(),
        region: 'NONE',
        ...options,
      });
      const got: Delivery[] = [];
      deliveries.set(id, got);
      router.on('deliver', (d) => got.push(d));
      routers.set(id, router);
      return router;
    },
  };
}
