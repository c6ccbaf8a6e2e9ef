// Property tests for every parser of untrusted bytes: frames, Data payloads and MQTT envelopes.
// Anything the radio or broker delivers either decodes to something the sender really sent, or
// is refused with a MeshError; nothing else escapes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MeshError } from '../src/core/mesh-error.ts';
import { ChannelSet, DEFAULT_CHANNEL, deriveChannelKey } from '../src/crypto/channel-key.ts';
import { decodeFrame, encodeFrame } from '../src/frame/frame-codec.ts';
import { MAX_DATA_BYTES, MAX_HOP_LIMIT } from '../src/frame/header.ts';
import type { FrameHeader } from '../src/frame/header.ts';
import { ALERT_LEVELS, NODE_ROLES, ROUTING_ERRORS, SOS_PROGRESS_STAGES, decodeData, decodeEnvelope, encodeData } from '../src/frame/schema.ts';
import type { Alert, Data, DataBody, DataMeta, Neighbor, Position } from '../src/frame/schema.ts';

const RUNS = 1000;

// A second channel sharing nothing with the default, so random frames can hit either hash.
const channels = new ChannelSet([DEFAULT_CHANNEL, deriveChannelKey('Ops', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8))]);

function onlyMeshErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof MeshError)) throw err;
  }
}

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const i32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const f32 = fc.float({ noNaN: true, noDefaultInfinity: true });
// fast-check builds null-prototype records by default; decoded messages are ordinary objects.
const NP = { noNullPrototype: true } as const;
const str = (maxLength: number) => fc.string({ unit: 'binary', maxLength });

const position: fc.Arbitrary<Position> = fc.record({
  latitudeI: i32,
  longitudeI: i32,
  altitudeM: i32,
  time: u32,
  precisionBits: fc.integer({ min: 0, max: 32 }),
  satsInView: u32,
  fixQuality: u32,
  groundSpeed: u32,
  groundTrack: u32,
}, NP);

const alert: fc.Arbitrary<Alert> = fc.record(
  { level: fc.constantFrom(...ALERT_LEVELS), text: str(60), position, magnitudeX10: u32, automatic: fc.boolean() },
  { requiredKeys: ['level', 'text', 'magnitudeX10'], noNullPrototype: true },
);

const neighbor: fc.Arbitrary<Neighbor> = fc.record({ nodeId: u32, snrX4: i32, quality: fc.integer({ min: 0, max: 255 }) }, NP);

const body: fc.Arbitrary<DataBody> = fc.oneof(
  str(120).map((text): DataBody => ({ text })),
  position.map((p): DataBody => ({ position: p })),
  fc
    .record({
      batteryLevel: fc.integer({ min: 0, max: 101 }),
      voltage: f32,
      cpuTemperature: f32,
      uptimeS: u32,
      channelUtilization: f32,
      airUtilTx: f32,
    }, NP)
    .map((telemetry): DataBody => ({ telemetry })),
  alert.map((a): DataBody => ({ alert: a })),
  fc
    .record({
      longName: str(30),
      shortName: str(4),
      hwModel: str(16),
      role: fc.constantFrom(...NODE_ROLES),
      publicKey: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 32, maxLength: 32 })),
    }, NP)
    .map((nodeInfo): DataBody => ({ nodeInfo })),
  fc.constantFrom(...ROUTING_ERRORS).map((error): DataBody => ({ routing: { error } })),
  fc
    .record({ stage: fc.constantFrom(...SOS_PROGRESS_STAGES), time: u32, by: str(24) }, NP)
    .map((sos): DataBody => ({ routing: { error: 'NONE', sos } })),
  fc
    .record({
      route: fc.array(u32, { maxLength: 8 }),
      snrTowards: fc.array(i32, { maxLength: 8 }),
      routeBack: fc.array(u32, { maxLength: 8 }),
      snrBack: fc.array(i32, { maxLength: 8 }),
      requester: u32,
      destination: u32,
    }, NP)
    .map((traceroute): DataBody => ({ traceroute })),
  fc
    .record({ nodeId: u32, beaconSeq: u32, intervalS: u32, neighbors: fc.array(neighbor, { maxLength: 12 }) }, NP)
    .map((neighborInfo): DataBody => ({ neighborInfo })),
);

const meta: fc.Arbitrary<Partial<DataMeta>> = fc.record(
  { requestId: u32, wantResponse: fc.boolean(), replyId: u32 },
  { requiredKeys: [], noNullPrototype: true },
);

const data: fc.Arbitrary<Data> = fc.tuple(body, meta).map(([b, m]): Data => ({ ...b, ...m }));

/** A Data small enough for one frame (most generated values are). */
const frameData = data.filter((d) => encodeData(d).length <= MAX_DATA_BYTES);

const header: fc.Arbitrary<Omit<FrameHeader, 'channelHash'>> = fc
  .integer({ min: 0, max: MAX_HOP_LIMIT })
  .chain((hopStart) =>
    fc.record({
      to: u32,
      from: fc.integer({ min: 1, max: 0xffff_fffe }),
      id: fc.integer({ min: 1, max: 0xffff_ffff }),
      hopLimit: fc.integer({ min: 0, max: hopStart }),
      hopStart: fc.constant(hopStart),
      wantAck: fc.boolean(),
      viaMqtt: fc.boolean(),
      nextHop: fc.integer({ min: 0, max: 255 }),
      relayNode: fc.integer({ min: 0, max: 255 }),
      counter: u32,
    }),
  );

function normalized(d: Data): Data {
  return { ...d, requestId: d.requestId ?? 0, wantResponse: d.wantResponse ?? false, replyId: d.replyId ?? 0 };
}

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'truncate'; at: number }
  | { op: 'extend'; bytes: Uint8Array }
  | { op: 'splice'; at: number; remove: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ op: fc.constant('splice' as const), at: fc.nat(), remove: fc.nat({ max: 8 }), bytes: fc.uint8Array({ maxLength: 8 }) }),
);

function mutate(frame: Uint8Array, m: Mutation): Uint8Array {
  const at = frame.length === 0 ? 0 : ('at' in m ? m.at % frame.length : 0);
  switch (m.op) {
    case 'flip': {
      const out = frame.slice();
      if (out.length > 0) out[at]! ^= 1 << m.bit;
      return out;
    }
    case 'truncate':
      return frame.slice(0, at);
    case 'extend':
      return Uint8Array.from([...frame, ...m.bytes]);
    case 'splice':
      return Uint8Array.from([...frame.subarray(0, at), ...m.bytes, ...frame.subarray(at + m.remove)]);
  }
}

test('random bytes never make the decoders throw anything but MeshError', () => {
  const bytes = fc.uint8Array({ minLength: 0, maxLength: 300 });
  // Half the time, stamp a known channel hash in, so random frames reach the cipher.
  const frameLike = fc.tuple(bytes, fc.boolean()).map(([b, known]) => {
    const out = b.slice();
    if (known && out.length > 13) out[13] = DEFAULT_CHANNEL.hash;
    return out;
  });
  fc.assert(
    fc.property(frameLike, (b) => {
      onlyMeshErrors(() => decodeFrame(b, channels));
      onlyMeshErrors(() => decodeData(b));
      onlyMeshErrors(() => decodeEnvelope(b));
    }),
    { numRuns: RUNS * 5 },
  );
});

test('valid-looking protobuf fragments never make the decoders throw anything but MeshError', () => {
  // Encodings of real messages with some bytes changed: deep inside the schema, not just at the top.
  fc.assert(
    fc.property(data, fc.array(mutation, { minLength: 1, maxLength: 3 }), (d, ms) => {
      const b = ms.reduce(mutate, encodeData(d));
      onlyMeshErrors(() => decodeData(b));
      onlyMeshErrors(() => decodeEnvelope(b));
    }),
    { numRuns: RUNS * 2 },
  );
});

test('a mutated frame decodes to exactly what was sent (mutable header fields aside) or is refused', () => {
  fc.assert(
    fc.property(header, frameData, fc.array(mutation, { minLength: 1, maxLength: 3 }), (h, d, ms) => {
      const frame = ms.reduce(mutate, encodeFrame(h, d, DEFAULT_CHANNEL));
      let decoded;
      try {
        decoded = decodeFrame(frame, channels);
      } catch (err) {
        if (err instanceof MeshError) return;
        throw err;
      }
      assert.deepEqual(decoded.data, normalized(d));
      const { to, from, id, hopStart, wantAck, channelHash, counter } = decoded.header;
      assert.deepEqual({ to, from, id, hopStart, wantAck, channelHash, counter }, {
        to: h.to,
        from: h.from,
        id: h.id,
        hopStart: h.hopStart,
        wantAck: h.wantAck,
        channelHash: DEFAULT_CHANNEL.hash,
        counter: h.counter,
      });
      assert.equal(decoded.channel, DEFAULT_CHANNEL);
    }),
    { numRuns: RUNS * 2 },
  );
});

test('any valid Data round-trips through encodeData/decodeData', () => {
  fc.assert(
    fc.property(data, (d) => {
      assert.deepEqual(decodeData(encodeData(d)), normalized(d));
    }),
    { numRuns: RUNS * 2 },
  );
});

test('any valid Data and header round-trip through a frame, or are refused as too large', () => {
  fc.assert(
    fc.property(header, data, (h, d) => {
      const size = encodeData(d).length;
      if (size > MAX_DATA_BYTES) {
        assert.throws(() => encodeFrame(h, d, DEFAULT_CHANNEL), (e: unknown) => e instanceof MeshError && e.code === 'E_PAYLOAD_TOO_LARGE');
        return;
      }
      const frame = encodeFrame(h, d, DEFAULT_CHANNEL);
      assert.equal(frame.length, size + 28);
      const decoded = decodeFrame(frame, channels);
      assert.deepEqual(decoded.data, normalized(d));
      assert.deepEqual(decoded.header, { ...h, channelHash: DEFAULT_CHANNEL.hash });
    }),
    { numRuns: RUNS },
  );
});
