// Frames carry every kind of Data intact, within 28 bytes of overhead, and refuse what does not fit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshError } from '../src/core/mesh-error.ts';
import type { MeshErrorCode } from '../src/core/mesh-error.ts';
import type { Random } from '../src/core/random.ts';
import { SeededRandom } from '../src/core/random.ts';
import { ChannelSet, DEFAULT_CHANNEL, deriveChannelKey } from '../src/crypto/channel-key.ts';
import { decodeFrame, encodeFrame } from '../src/frame/frame-codec.ts';
import {
  BROADCAST,
  FRAME_OVERHEAD,
  HEADER_SIZE,
  MAX_DATA_BYTES,
  TAG_SIZE,
  associatedData,
  lastByte,
  readHeader,
  relayCopy,
  writeHeader,
} from '../src/frame/header.ts';
import type { FrameHeader } from '../src/frame/header.ts';
import { PacketIdGenerator } from '../src/frame/packet-id.ts';
import { decodeData, decodeEnvelope, encodeData, encodeEnvelope, protoRoot } from '../src/frame/schema.ts';
import type { Data, DataKind, Envelope, Position } from '../src/frame/schema.ts';
import { dataKind } from '../src/frame/schema.ts';

const HEADER: Omit<FrameHeader, 'channelHash'> = {
  to: BROADCAST,
  from: 0x1234_5678,
  id: 0x0abc_d123,
  hopLimit: 3,
  hopStart: 3,
  wantAck: false,
  viaMqtt: false,
  nextHop: 0,
  relayNode: 0x78,
  counter: 41,
};

const channels = new ChannelSet([DEFAULT_CHANNEL]);

function throwsCode(fn: () => unknown, code: MeshErrorCode): void {
  assert.throws(fn, (err: unknown) => err instanceof MeshError && err.code === code);
}

const position: Position = {
  latitudeI: 410_082_000,
  longitudeI: 289_784_000,
  altitudeM: -12,
  time: 1_700_000_000,
  precisionBits: 32,
  satsInView: 9,
  fixQuality: 1,
  groundSpeed: 4,
  groundTrack: 270,
};

const samples: Record<DataKind, Data> = {
  text: { text: 'Deprem! Herkes toplanma alanına 🚨', wantResponse: true },
  position: { position },
  telemetry: {
    telemetry: {
      batteryLevel: 101,
      voltage: Math.fround(4.15),
      cpuTemperature: Math.fround(51.5),
      uptimeS: 86_400,
      channelUtilization: Math.fround(12.25),
      airUtilTx: Math.fround(0.75),
    },
  },
  alert: { alert: { level: 'EARTHQUAKE', text: 'M6.2 near Izmit', position, magnitudeX10: 62 } },
  nodeInfo: {
    nodeInfo: { longName: 'Kadikoy Router 1', shortName: 'KDK1', hwModel: 'RPI4_SX1262', role: 'ROUTER', publicKey: new Uint8Array(32).fill(7) },
  },
  routing: { routing: { error: 'NONE' }, requestId: 0xdead_beef },
  traceroute: { traceroute: { route: [0x1111_1111, 0xffff_fffe], snrTowards: [-40, 28], routeBack: [0x2222_2222], snrBack: [-80], requester: 0x0a0a_0a0a, destination: 0x0d0d_0d0d }, replyId: 9 },
  neighborInfo: {
    neighborInfo: {
      nodeId: 0x1234_5678,
      beaconSeq: 17,
      intervalS: 900,
      neighbors: [
        { nodeId: 0xaabb_ccdd, snrX4: -33, quality: 255 },
        { nodeId: 1, snrX4: 40, quality: 0 },
      ],
    },
  },  // The largest private message (MESH_DIRECT_MAX_BYTES) with a reply id still fits one frame.
  direct: { direct: { sender: 0xffff_fffe, sealed: new Uint8Array(200).fill(0xa5) }, replyId: 0xffff_ffff },
};

/** What decoding gives back: meta fields are always present. */
function normalized(data: Data): Data {
  return { ...data, requestId: data.requestId ?? 0, wantResponse: data.wantResponse ?? false, replyId: data.replyId ?? 0 };
}

test('every Data kind survives a frame round trip unchanged', () => {
  for (const [kind, data] of Object.entries(samples)) {
    const frame = encodeFrame(HEADER, data, DEFAULT_CHANNEL);
    const decoded = decodeFrame(frame, channels);
    assert.equal(dataKind(decoded.data), kind);
    assert.deepEqual(decoded.data, normalized(data), kind);
    assert.deepEqual(decoded.header, { ...HEADER, channelHash: DEFAULT_CHANNEL.hash }, kind);
    assert.equal(decoded.channel, DEFAULT_CHANNEL);
  }
});

test('an alert without a position decodes without one', () => {
  const data: Data = { alert: { level: 'SOS', text: 'trapped, 2 people', magnitudeX10: 0 } };
  const decoded = decodeFrame(encodeFrame(HEADER, data, DEFAULT_CHANNEL), channels).data;
  assert.equal(decoded.alert?.position, undefined);
  assert.equal('position' in (decoded.alert ?? {}), false);
});

test('on-air overhead is at most 28 bytes (reported)', (t) => {
  const data: Data = { text: 'ok' };
  const payload = encodeData(data).length;
  const frame = encodeFrame(HEADER, data, DEFAULT_CHANNEL);
  const overhead = frame.length - payload;
  // The same header as a protobuf message, to show what the fixed struct saves.
  const FrameType = protoRoot.lookupType('unibos.v1.Frame');
  const asProto = FrameType.encode({
    to: HEADER.to,
    from: HEADER.from,
    id: HEADER.id,
    hopLimit: 3,
    hopStart: 3,
    wantAck: true,
    channelHash: DEFAULT_CHANNEL.hash,
    nextHop: 0x9a,
    relayNode: 0x78,
    counter: 123_456,
  }).finish().length;
  t.diagnostic(
    `on-air overhead: ${overhead} bytes (header ${HEADER_SIZE} + tag ${TAG_SIZE}); ` +
      `max Data ${MAX_DATA_BYTES} bytes; same header as protobuf: ${asProto} bytes`,
  );
  assert.ok(overhead <= 28, `overhead ${overhead} > 28`);
  assert.equal(overhead, FRAME_OVERHEAD);
  assert.ok(asProto > HEADER_SIZE);
});

test('a 222-byte Data fits in a 250-byte frame (the most a RAK3172 sends); 223 bytes is refused, never truncated', () => {
  // Field tag (1) + 2-byte length + text.
  const fits: Data = { text: 'x'.repeat(219) };
  assert.equal(encodeData(fits).length, 222);
  const frame = encodeFrame(HEADER, fits, DEFAULT_CHANNEL);
  assert.equal(frame.length, 250);
  assert.deepEqual(decodeFrame(frame, channels).data, normalized(fits));

  const tooBig: Data = { text: 'x'.repeat(220) };
  assert.equal(encodeData(tooBig).length, 223);
  throwsCode(() => encodeFrame(HEADER, tooBig, DEFAULT_CHANNEL), 'E_PAYLOAD_TOO_LARGE');
});

test('header fields land at their documented offsets', () => {
  const h: FrameHeader = {
    to: 0x0403_0201,
    from: 0x0807_0605,
    id: 0x0c0b_0a09,
    hopLimit: 2,
    hopStart: 5,
    wantAck: true,
    viaMqtt: true,
    channelHash: 0xd0,
    nextHop: 0xe0,
    relayNode: 0xf0,
    counter: 0x1413_1211,
  };
  const out = new Uint8Array(FRAME_OVERHEAD);
  writeHeader(h, out);
  assert.deepEqual(
    [...out.subarray(0, HEADER_SIZE)],
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0b101_1_1_010, 0xd0, 0xe0, 0xf0, 0x11, 0x12, 0x13, 0x14],
  );
  assert.deepEqual(readHeader(out), h);
  // AAD keeps want_ack and hop_start, drops hop_limit and via_mqtt, and skips next_hop/relay_node/counter.
  assert.deepEqual([...associatedData(out)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0b101_0_1_000, 0xd0]);
});

test('extreme but valid header values round-trip', () => {
  for (const h of [
    { ...HEADER, to: 0, from: 1, id: 1, hopLimit: 0, hopStart: 0, counter: 0, relayNode: 0 },
    { ...HEADER, to: BROADCAST, from: 0xffff_fffe, id: 0xffff_ffff, hopLimit: 7, hopStart: 7, counter: 0xffff_ffff, nextHop: 255, relayNode: 255, wantAck: true, viaMqtt: true },
  ]) {
    const decoded = decodeFrame(encodeFrame(h, { text: 'edge' }, DEFAULT_CHANNEL), channels);
    assert.deepEqual(decoded.header, { ...h, channelHash: DEFAULT_CHANNEL.hash });
  }
});

test('invalid headers are refused when sending', () => {
  const bad: Array<Partial<FrameHeader>> = [
    { hopStart: 8, hopLimit: 3 },
    { hopStart: 2, hopLimit: 3 },
    { hopLimit: -1 },
    { from: 0 },
    { from: BROADCAST },
    { id: 0 },
    { id: 2 ** 32 },
    { to: -1 },
    { counter: 1.5 },
    { relayNode: 256 },
  ];
  for (const patch of bad) {
    throwsCode(() => encodeFrame({ ...HEADER, ...patch }, { text: 'x' }, DEFAULT_CHANNEL), 'E_BAD_HEADER');
  }
});

test('invalid headers and sizes are refused when receiving', () => {
  const frame = encodeFrame(HEADER, { text: 'hello' }, DEFAULT_CHANNEL);
  throwsCode(() => readHeader(frame.subarray(0, FRAME_OVERHEAD - 1)), 'E_FRAME_TOO_SHORT');
  throwsCode(() => readHeader(new Uint8Array(251)), 'E_FRAME_TOO_LARGE');
  throwsCode(() => decodeFrame(new Uint8Array(251), channels), 'E_FRAME_TOO_LARGE');

  const hopLimitAboveStart = frame.slice();
  hopLimitAboveStart[12] = (3 << 5) | 4;
  throwsCode(() => decodeFrame(hopLimitAboveStart, channels), 'E_BAD_HEADER');
  const fromZero = frame.slice();
  fromZero.fill(0, 4, 8);
  throwsCode(() => decodeFrame(fromZero, channels), 'E_BAD_HEADER');
  const fromBroadcast = frame.slice();
  fromBroadcast.fill(0xff, 4, 8);
  throwsCode(() => decodeFrame(fromBroadcast, channels), 'E_BAD_HEADER');
  const idZero = frame.slice();
  idZero.fill(0, 8, 12);
  throwsCode(() => decodeFrame(idZero, channels), 'E_BAD_HEADER');
});

test('relayCopy patches only the mutable fields and refuses impossible hop counts', () => {
  const frame = encodeFrame({ ...HEADER, hopLimit: 3, hopStart: 3, wantAck: true }, { text: 'relay me' }, DEFAULT_CHANNEL);
  const copy = relayCopy(frame, { hopLimit: 2, relayNode: lastByte(0xcafe_f00d), nextHop: 0x42, viaMqtt: true });
  assert.notEqual(copy, frame);
  assert.deepEqual(readHeader(copy), {
    ...readHeader(frame),
    hopLimit: 2,
    relayNode: 0x0d,
    nextHop: 0x42,
    viaMqtt: true,
  });
  assert.deepEqual(copy.subarray(HEADER_SIZE), frame.subarray(HEADER_SIZE));
  assert.equal(readHeader(relayCopy(copy, { hopLimit: 1, relayNode: 1 })).nextHop, 0x42, 'nextHop kept when not given');
  throwsCode(() => relayCopy(frame, { hopLimit: 4, relayNode: 1 }), 'E_BAD_ARGUMENT');
  throwsCode(() => relayCopy(frame, { hopLimit: 1, relayNode: 300 }), 'E_BAD_ARGUMENT');
});

test('Data that does not fit the schema is refused when encoding', () => {
  const bad: unknown[] = [
    {},
    { text: 'a', position },
    { text: 3 },
    { position: { ...position, latitudeI: 2 ** 31 } },
    { position: { ...position, satsInView: -1 } },
    { position: { ...position, time: 1.5 } },
    { telemetry: { ...samples.telemetry.telemetry, voltage: Number.NaN } },
    { alert: { level: 'TSUNAMI', text: '', magnitudeX10: 0 } },
    { nodeInfo: { ...samples.nodeInfo.nodeInfo, publicKey: new Uint8Array(31) } },
    { text: 'a', requestId: -1 },
    { text: 'a', surprise: 1 },
  ];
  for (const data of bad) throwsCode(() => encodeData(data as Data), 'E_BAD_ARGUMENT');
});

test('malformed Data payloads are refused with E_BAD_PAYLOAD', () => {
  const bad = [
    new Uint8Array(0), // no body
    Uint8Array.of(0x4d, 0x05, 0x00, 0x00, 0x00), // request_id but no body
    Uint8Array.of(0x0a, 0x05, 0x61), // text longer than the buffer
    Uint8Array.of(0x32, 0x02, 0x08, 0x63), // routing error 99: unknown, and 0 would mean ACK
    Uint8Array.of(0x2a, 0x04, 0x2a, 0x02, 0x01, 0x02), // 2-byte public key
    Uint8Array.of(0x1a, 0x05, 0x15, 0x00, 0x00, 0xc0, 0x7f), // NaN voltage
  ];
  for (const bytes of bad) throwsCode(() => decodeData(bytes), 'E_BAD_PAYLOAD');
});

test('an alert level from a newer sender decodes as UNSPECIFIED instead of dropping the alert', () => {
  const bytes = Uint8Array.of(0x22, 0x05, 0x08, 0x63, 0x12, 0x01, 0x21);
  assert.deepEqual(decodeData(bytes).alert, { level: 'UNSPECIFIED', text: '!', magnitudeX10: 0 });
});

test('an automatic answer says so on the wire; a person\'s carries no flag, and a receiver that predates the flag still reads the alert', async () => {
  const automatic: Data = { alert: { level: 'SAFE', text: 'Answered automatically: no person confirmed', magnitudeX10: 0, automatic: true } };
  const person: Data = { alert: { level: 'SAFE', text: 'I am safe', magnitudeX10: 0 } };
  const heard = decodeFrame(encodeFrame(HEADER, automatic, DEFAULT_CHANNEL), channels).data;
  assert.equal(heard.alert?.automatic, true);
  // A person's "I am safe" has no flag at all (absent, not false): the bytes are those it always had.
  const personHeard = decodeData(encodeData(person));
  assert.equal('automatic' in (personHeard.alert ?? {}), false);
  assert.deepEqual([...encodeData(person)], [0x22, 0x0d, 0x08, 0x02, 0x12, 0x09, ...new TextEncoder().encode('I am safe')]);
  // Stated false, it stays false (a sender saying "a person sent this").
  assert.equal(decodeData(encodeData({ alert: { ...person.alert, automatic: false } })).alert?.automatic, false);
  throwsCode(() => encodeData({ alert: { ...person.alert, automatic: 1 } } as unknown as Data), 'E_BAD_ARGUMENT');
  // The schema as it was before the field: it decodes the automatic answer as the alert it is, field skipped.
  const { createRequire } = await import('node:module');
  const { readFileSync } = await import('node:fs');
  const full = createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs');
  const before = readFileSync(new URL('../proto/data.proto', import.meta.url), 'utf8').replace(/^\s*optional bool automatic = 5;$/m, '');
  assert.notEqual(before, readFileSync(new URL('../proto/data.proto', import.meta.url), 'utf8'));
  const old = full.parse(before).root.lookupType('unibos.v1.Data');
  const oldView = old.toObject(old.decode(encodeData(automatic)), { enums: String, defaults: true }) as { alert: Record<string, unknown> };
  assert.deepEqual({ level: oldView.alert.level, text: oldView.alert.text }, { level: 'SAFE', text: 'Answered automatically: no person confirmed' });
  assert.equal('automatic' in oldView.alert, false);
});

test('a frame whose authenticated plaintext is not a Data is E_BAD_PAYLOAD', async () => {
  const { sealFrame } = await import('../src/crypto/frame-cipher.ts');
  const frame = sealFrame(HEADER, new Uint8Array(0), DEFAULT_CHANNEL);
  throwsCode(() => decodeFrame(frame, channels), 'E_BAD_PAYLOAD');
});

test('envelopes round-trip, including 64-bit receive times', () => {
  const envelope: Envelope = {
    frame: encodeFrame(HEADER, { text: 'via gateway' }, DEFAULT_CHANNEL),
    gatewayId: 'gw-kadikoy-01',
    rssi: -118,
    snr: -7.25,
    rxTimeMs: 1_754_000_000_123,
    frequencyHz: 869_525_000,
    sf: 11,
    bandwidthHz: 250_000,
  };
  assert.deepEqual(decodeEnvelope(encodeEnvelope(envelope)), envelope);
  throwsCode(() => encodeEnvelope({ ...envelope, frame: new Uint8Array(251) }), 'E_BAD_ARGUMENT');
  throwsCode(() => encodeEnvelope({ ...envelope, rxTimeMs: 2 ** 53 }), 'E_BAD_ARGUMENT');
  throwsCode(() => decodeEnvelope(Uint8Array.of(0x12, 0x01, 0x67)), 'E_BAD_PAYLOAD'); // no frame
});

test('packet ids: never 0, rolling low 10 bits, random high bits', () => {
  const gen = new PacketIdGenerator(new SeededRandom(7));
  const ids = Array.from({ length: 3000 }, () => gen.next());
  assert.ok(ids.every((id) => id !== 0 && id >>> 0 === id));
  for (let i = 1; i < ids.length; i++) assert.equal(ids[i]! & 0x3ff, (ids[i - 1]! + 1) & 0x3ff);
  assert.ok(new Set(ids.map((id) => id >>> 10)).size > 2900);

  // Random bits of 0 just as the counter wraps to 0 must be redrawn, not sent as id 0.
  const values = [0x3ff, 0, 0x400];
  const unlucky: Random = { u32: () => values.shift() ?? 0xffff_ffff, next: () => 0, int: () => 0 };
  const g = new PacketIdGenerator(unlucky); // counter starts at 0x3ff
  assert.equal(g.next(), 0x400);
});

test('a non-default channel works end to end', () => {
  const ops = deriveChannelKey('Ops', new TextEncoder().encode('correct horse battery staple'));
  const frame = encodeFrame(HEADER, { text: 'ops only' }, ops);
  assert.equal(frame[13], ops.hash);
  assert.equal(decodeFrame(frame, new ChannelSet([DEFAULT_CHANNEL, ops])).channel, ops);
});
