// The gateway's frame pipeline in one process, with no radio and no firmware Device: sealed frames
// go into a MeshRouter through a fake radio (frame in -> dedup -> decrypt/decode), its 'heard'
// event drives the MeshBridge, and the bridge publishes into the GatewayBroker (envelope, JSON,
// retained link document, discovery). The clock stops when every publish has settled.

import type { Logger } from 'pino';
import {
  ChannelSet,
  DEFAULT_CHANNEL,
  MeshRouter,
  SeededRandom,
  SimScheduler,
  loraParams,
} from '@unibos/mesh-protocol';
import { MeshBridge, type GatewayBroker, type MqttPublisher } from '../src/index.ts';
import { FeedRadio, sampleFrames } from '../../firmware/bench/bench-traffic.ts';

const params = loraParams('ShortFast');

export interface PipelineResult {
  readonly framesIn: number;
  readonly duplicatesIn: number;
  readonly bridged: number;
  readonly published: number;
  readonly publishErrors: number;
  readonly seconds: number;
  /** Unique frames bridged per second, publishes settled. */
  readonly framesPerSecond: number;
}

export async function measurePipeline(broker: GatewayBroker, logger: Logger, frames: number): Promise<PipelineResult> {
  const rng = new SeededRandom(42);
  const radio = new FeedRadio(params);
  const router = new MeshRouter({ nodeId: 0x99, radio, scheduler: new SimScheduler(), random: rng.fork(), channels: new ChannelSet([DEFAULT_CHANNEL]), region: 'NONE' });
  let pending = 0;
  let onIdle: (() => void) | null = null;
  const local: MqttPublisher = {
    publish(topic, payload, options) {
      pending++;
      const p = broker.publish(topic, payload, options);
      void p
        .catch(() => undefined)
        .then(() => {
          if (--pending === 0) onIdle?.();
        });
      return p;
    },
  };
  const unused = (): never => {
    throw new Error('the pipeline bench sends nothing into the mesh');
  };
  const bridge = new MeshBridge({ gatewayId: 'bench', device: { router, sendText: unused, sendAlert: unused, answerSos: unused, requestNodeInfo: unused }, params, local, logger });
  const idle = (): Promise<void> => (pending === 0 ? Promise.resolve() : new Promise((resolve) => (onIdle = resolve)));
  const feed = (all: readonly Uint8Array[]): void => {
    for (const bytes of all) radio.listener!.onReceive({ bytes, rssi: -100, snr: 5 });
  };

  // Warm the JIT and the broker's retained store on other senders, outside the clock.
  feed(sampleFrames(Math.min(2_000, frames), 0x2000, 50, rng.fork()));
  await idle();
  const warm = { heard: bridge.stats.framesHeard, published: bridge.stats.published };

  // Every fifth frame arrives twice, as when two relays repeat it: dedup must drop the copy.
  const unique = sampleFrames(frames, 0x1000, 50, rng.fork());
  const input: Uint8Array[] = [];
  unique.forEach((f, i) => {
    input.push(f);
    if (i % 5 === 4) input.push(f);
  });
  const t0 = performance.now();
  feed(input);
  await idle();
  const seconds = (performance.now() - t0) / 1000;
  const bridged = bridge.stats.framesHeard - warm.heard;
  return {
    framesIn: input.length,
    duplicatesIn: input.length - unique.length,
    bridged,
    published: bridge.stats.published - warm.published,
    publishErrors: bridge.stats.publishErrors,
    seconds,
    framesPerSecond: bridged / seconds,
  };
}
