// Property tests of the router's receive path, the first code to touch bytes from the air:
// garbage and tampered frames never throw, never deliver, are always counted; genuine frames
// are delivered at most once; memory stays bounded under a flood of frames.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MeshError } from '../src/core/mesh-error.ts';
import { SeededRandom } from '../src/core/random.ts';
import { ChannelSet, DEFAULT_CHANNEL, deriveChannelKey } from '../src/crypto/channel-key.ts';
import { sealFrame } from '../src/crypto/frame-cipher.ts';
import { decodeFrame, encodeFrame } from '../src/frame/frame-codec.ts';
import { BROADCAST, HEADER_SIZE, relayCopy, type FrameHeader } from '../src/frame/header.ts';
import { timeOnAirMs } from '../src/phy/airtime.ts';
import { loraParams } from '../src/phy/lora-params.ts';
import type { Radio, RadioListener } from '../src/phy/radio.ts';
import { NaiveFloodPolicy } from '../src/routing/naive-flood-policy.ts';
import type { DropReason } from '../src/routing/router-stats.ts';
import { MeshRouter, type RouterOptions } from '../src/routing/router.ts';
import { SimScheduler } from '../src/sim/sim-scheduler.ts';

const SELF = 0x5151_5151;
const params = loraParams('LongFast');
const OPS = deriveChannelKey('Ops', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
/** Another key on the Ops name: its frames carry a hash we know (often) but do not authenticate. */
const STRANGER = deriveChannelKey('Stranger', Uint8Array.of(7, 7, 7));
const channels = () => new ChannelSet([DEFAULT_CHANNEL, OPS]);

/** A radio whose listener the test holds: what the test "hears", the router receives. */
class TapRadio implements Radio {
  readonly params = params;
  listener: RadioListener | undefined;
  sent = 0;
  constructor(private readonly scheduler: SimScheduler) {}
  attach(listener: RadioListener): void {
    this.listener = listener;
  }
  transmit(frame: Uint8Array): void {
    this.sent++;
    this.scheduler.schedule(timeOnAirMs(params, frame.length), () => this.listener?.onTransmitDone(true));
  }
  isChannelBusy(): boolean {
    return false;
  }
}

/** Rejections decodeFrame itself reports; the router must count each under the same code. */
const DECODE_CODES = ['E_FRAME_TOO_SHORT', 'E_FRAME_TOO_LARGE', 'E_BAD_HEADER', 'E_UNKNOWN_CHANNEL', 'E_AUTH_FAILED', 'E_BAD_PAYLOAD'] as const;
/** Drops the transmit side counts (not about a received frame). */
const TX_REASONS: DropReason[] = ['duty-cycle', 'channel-busy', 'queue-full', 'radio-error', 'seal-failed'];

interface Harness {
  router: MeshRouter;
  radio: TapRadio;
  scheduler: SimScheduler;
  feed(bytes: Uint8Array): void;
  /** (from:id) of every delivery, in order. */
  delivered: string[];
  heard: number;
  dropEvents: number;
  expected: Map<string, number>;
  authentic: Set<string>;
}

function harness(options: Partial<RouterOptions> = {}): Harness {
  const scheduler = new SimScheduler();
  const radio = new TapRadio(scheduler);
  const router = new MeshRouter({
    nodeId: SELF,
    radio,
    scheduler,
    random: new SeededRandom(7),
    channels: channels(),
    policy: new NaiveFloodPolicy(),
    region: 'NONE',
    ...options,
  });
  const referenceChannels = channels();
  const h: Harness = {
    router,
    radio,
    scheduler,
    delivered: [],
    heard: 0,
    dropEvents: 0,
    expected: new Map(),
    authentic: new Set(),
    feed(bytes) {
      // What an independent decode says about the frame, to hold the router's counters against.
      try {
        const { header, channel } = decodeFrame(bytes, referenceChannels);
        h.authentic.add(`${channel.name}:${header.from}:${header.id}`);
      } catch (err) {
        assert.ok(err instanceof MeshError, `decodeFrame threw a non-MeshError: ${String(err)}`);
        h.expected.set(err.code, (h.expected.get(err.code) ?? 0) + 1);
      }
      radio.listener!.onReceive({ bytes, rssi: -100, snr: -3 });
    },
  };
  // A frame is (channel, from, id): the same sender and id sealed on another channel (by anyone
  // holding that channel's key) is another frame, delivered on its own channel.
  router.on('deliver', (d) => h.delivered.push(`${d.channel}:${d.from}:${d.id}`));
  router.on('heard', () => h.heard++);
  router.on('drop', () => h.dropEvents++);
  return h;
}

function checkAccounting(h: Harness): void {
  const { stats } = h.router;
  for (const code of DECODE_CODES) {
    assert.equal(stats.dropCount(code), h.expected.get(code) ?? 0, `${code} counted for every such frame`);
  }
  const rxDrops = stats.dropCount() - TX_REASONS.reduce((n, r) => n + stats.dropCount(r), 0);
  assert.equal(rxDrops, h.dropEvents, 'every counted receive drop was also reported as an event');
  assert.equal(stats.rxFrames, h.heard + h.dropEvents, 'every frame heard was either accepted once or counted as dropped');
  assert.equal(new Set(h.delivered).size, h.delivered.length, 'no (channel, from, id) delivered twice');
  for (const key of h.delivered) assert.ok(h.authentic.has(key), `delivered ${key} never authenticated`);
  assert.equal(stats.delivered, h.delivered.length);
}

// ---- generators ---------------------------------------------------------------------------

const sender = fc.constantFrom(0x0000_0a0a, 0x0000_0b0b, 0xdead_beef, SELF);
const header: fc.Arbitrary<Omit<FrameHeader, 'channelHash'>> = fc
  .record({
    to: fc.constantFrom(BROADCAST, SELF, 0x0000_0c0c),
    from: sender,
    id: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constantFrom(0x8000_0001, 0xffff_ffff)),
    hopStart: fc.integer({ min: 0, max: 7 }),
    hopDown: fc.integer({ min: 0, max: 7 }),
    wantAck: fc.boolean(),
    viaMqtt: fc.boolean(),
    nextHop: fc.integer({ min: 0, max: 255 }),
    relayNode: fc.integer({ min: 0, max: 255 }),
    // Few counters per sender, so a later frame often reuses or undercuts one already accepted.
    counter: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 60, max: 200 })),
  })
  .map(({ hopDown, ...h }) => ({ ...h, hopLimit: Math.max(0, h.hopStart - hopDown) }));
const data = fc.oneof(
  fc.record({ text: fc.string({ maxLength: 40 }) }),
  fc.record({ text: fc.string({ maxLength: 10 }), wantResponse: fc.boolean(), replyId: fc.integer({ min: 0, max: 0xffff_ffff }) }),
);
const channel = fc.constantFrom(DEFAULT_CHANNEL, OPS, STRANGER);

/** Sealed frames: a proper Data, or authentic bytes that are not a Data (a buggy or hostile key holder). */
const validFrame = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(header, data, channel).map(([h, d, ch]) => encodeFrame(h, d, ch)) },
  { weight: 1, arbitrary: fc.tuple(header, fc.uint8Array({ maxLength: 40 }), channel).map(([h, p, ch]) => sealFrame(h, p, ch)) },
);

type Mutation =
  | { kind: 'none' }
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; to: number }
  | { kind: 'extend'; extra: Uint8Array }
  | { kind: 'relay'; hopDown: number; relayNode: number }
  | { kind: 'set'; at: number; value: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('relay' as const), hopDown: fc.integer({ min: 0, max: 7 }), relayNode: fc.integer({ min: 0, max: 255 }) }) },
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(300), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), to: fc.nat(300) }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(HEADER_SIZE - 1), value: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(frame: Uint8Array, m: Mutation): Uint8Array {
  switch (m.kind) {
    case 'none':
      return frame;
    case 'flip': {
      const out = frame.slice();
      const i = m.at % out.length;
      out[i] = out[i]! ^ (1 << m.bit);
      return out;
    }
    case 'truncate':
      return frame.slice(0, m.to % frame.length);
    case 'extend': {
      const out = new Uint8Array(frame.length + m.extra.length);
      out.set(frame);
      out.set(m.extra, frame.length);
      return out;
    }
    case 'relay': {
      // What an honest relay does: patch the unauthenticated fields, so the copy still authenticates.
      const hopStart = frame[12]! >>> 5;
      const hopLimit = Math.max(0, (frame[12]! & 7) - m.hopDown);
      return relayCopy(frame, { hopLimit: Math.min(hopLimit, hopStart), relayNode: m.relayNode });
    }
    case 'set': {
      const out = frame.slice();
      out[m.at] = m.value;
      return out;
    }
  }
}

/** Random bytes with a plausible header: right size, a known channel hash, sane hop fields. */
const plausibleGarbage = fc
  .tuple(
    fc.uint8Array({ minLength: 28, maxLength: 80 }),
    fc.constantFrom(DEFAULT_CHANNEL.hash, OPS.hash),
    fc.integer({ min: 0, max: 7 }),
  )
  .map(([bytes, hash, hops]) => {
    const out = bytes.slice();
    // hop_limit keeps only bits also set in hop_start, so it never exceeds it; the flag bits stay random.
    out[12] = (hops << 5) | (out[12]! & 0x18) | (out[12]! & 7 & hops);
    out[13] = hash;
    if (out[8] === 0 && out[9] === 0 && out[10] === 0 && out[11] === 0) out[8] = 1;
    return out;
  });

const garbage = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 256, maxLength: 300 }) },
  { weight: 4, arbitrary: plausibleGarbage },
);

/** One thing heard: garbage, or a (possibly tampered or relayed) copy of a frame from a small pool. */
type Step = { garbage: Uint8Array; gapMs: number } | { pick: number; mutation: Mutation; gapMs: number };
const gapMs = fc.integer({ min: 0, max: 20_000 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ garbage, gapMs }) },
  { weight: 3, arbitrary: fc.record({ pick: fc.nat(), mutation, gapMs }) },
);

// ---- properties ----------------------------------------------------------------------------

test('router survives random and tampered frames: nothing throws, nothing is delivered twice, every rejection is counted', () => {
  fc.assert(
    fc.property(fc.array(validFrame, { minLength: 1, maxLength: 6 }), fc.array(step, { minLength: 1, maxLength: 40 }), (pool, steps) => {
      const h = harness();
      for (const s of steps) {
        h.feed('garbage' in s ? s.garbage : mutate(pool[s.pick % pool.length]!, s.mutation));
        // Let relays, acks and timers run between frames, as they would on air.
        h.scheduler.runUntil(h.scheduler.now() + s.gapMs);
      }
      h.scheduler.runUntilIdle();
      checkAccounting(h);
    }),
    { numRuns: 300, seed: 0x5eed },
  );
});

test('an authentic frame heard many times, in every relayed form, is delivered exactly once', () => {
  fc.assert(
    fc.property(header, data, fc.array(mutation, { minLength: 1, maxLength: 30 }), (h0, d, mutations) => {
      const h = harness();
      const frame = encodeFrame({ ...h0, from: 0x0a0a }, d, DEFAULT_CHANNEL);
      h.feed(frame);
      for (const m of mutations) {
        h.feed(mutate(frame, m));
        h.scheduler.runUntil(h.scheduler.now() + 1_000);
      }
      h.scheduler.runUntilIdle();
      checkAccounting(h);
      const forUs = h0.to === SELF || h0.to === BROADCAST;
      assert.deepEqual(h.delivered, forUs ? [`${DEFAULT_CHANNEL.name}:${0x0a0a}:${h0.id}`] : []);
    }),
    { numRuns: 200, seed: 0xf00d },
  );
});

test('after 20 000 frames of garbage and fresh traffic the router has not grown past its bounds', () => {
  const h = harness();
  const seen = h.router['seen'];
  // The Public channel's replay window (each channel has its own).
  const replaySenders = () => h.router['replayByChannel'].get(DEFAULT_CHANNEL)?.size ?? 0;
  const counters = new Map<number, number>();
  const rng = new SeededRandom(99);
  const garbage = fc.sample(fc.oneof(fc.uint8Array({ maxLength: 300 }), plausibleGarbage), { numRuns: 10_000, seed: 42 });
  let g = 0;
  const early: Uint8Array[] = [];
  for (let i = 0; i < 20_000; i++) {
    if (i % 2 === 0) {
      h.feed(garbage[g++]!);
    } else {
      // Fresh traffic from 3 000 different senders (fewer than the replay window tracks), each with its own rising counter, none to relay.
      const from = 0x1_0000 + rng.int(3_000);
      const counter = (counters.get(from) ?? 0) + 1;
      counters.set(from, counter);
      const to = rng.next() < 0.5 ? SELF : BROADCAST;
      const frame = encodeFrame(
        { to, from, id: 1 + rng.int(0xffff_fffe), hopLimit: 0, hopStart: 0, wantAck: false, viaMqtt: false, nextHop: 0, relayNode: from & 0xff, counter },
        { text: `m${i}` },
        DEFAULT_CHANNEL,
      );
      if (early.length < 200) early.push(frame);
      h.feed(frame);
    }
    h.scheduler.runUntil(h.scheduler.now() + 10);
    if (i % 1000 === 999) {
      assert.ok(seen.size <= seen.capacity, `dedup cache holds ${seen.size} > ${seen.capacity}`);
      assert.ok(replaySenders() <= 4096, `replay window tracks ${replaySenders()} senders`);
    }
  }
  h.scheduler.runUntilIdle();
  assert.equal(seen.size, seen.capacity, 'the cache filled up and then stayed at its capacity');
  // The first frames have long left the full cache; heard again, the replay window still refuses them.
  const replays = h.router.stats.dropCount('E_REPLAY');
  for (const frame of early) h.feed(frame);
  assert.equal(h.router.stats.dropCount('E_REPLAY'), replays + early.length);
  assert.ok(h.router.neighbors.all().length <= 1024);
  assert.equal(h.delivered.length, 10_000, 'every fresh frame was delivered');
  checkAccounting(h);
  assert.equal(h.radio.sent, 0, 'nothing here called for a transmission');
});
