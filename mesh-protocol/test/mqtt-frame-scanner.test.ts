// The MQTT frame scanner that guards the broker's parser: it follows packet boundaries however the
// bytes are chunked, flags an oversized length header as soon as it is complete, and never throws.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_REMAINING_LENGTH, MqttFrameScanner } from '../src/mqtt/mqtt-frame-scanner.ts';

const LIMIT = 1000;

function header(type: number, flags: number, length: number): Buffer {
  const bytes = [(type << 4) | flags];
  do {
    let b = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) b |= 0x80;
    bytes.push(b);
  } while (length > 0);
  return Buffer.from(bytes);
}

const packet = fc
  .record({ type: fc.integer({ min: 1, max: 15 }), flags: fc.integer({ min: 0, max: 15 }), length: fc.integer({ min: 0, max: LIMIT }) })
  .map(({ type, flags, length }) => Buffer.concat([header(type, flags, length), Buffer.alloc(length, 0xa5)]));

/** Splits `bytes` at the given (sorted, deduplicated) cut points. */
function chunk(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  return out;
}

describe('MQTT frame scanner', () => {
  it('follows any sequence of packets within the limit, however it is chunked', () => {
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (packets, cuts) => {
        const scanner = new MqttFrameScanner(LIMIT);
        for (const c of chunk(Buffer.concat(packets), cuts)) assert.equal(scanner.feed(c).kind, 'ok');
        assert.equal(scanner.completePackets, packets.length);
      }),
    );
  });

  it('flags the first packet announcing more than the limit, from its header alone', () => {
    fc.assert(
      fc.property(
        fc.array(packet, { maxLength: 5 }),
        fc.integer({ min: LIMIT + 1, max: MAX_REMAINING_LENGTH }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (before, declared, cuts) => {
          const scanner = new MqttFrameScanner(LIMIT);
          // Only the header: the scanner must not need the body to decide.
          const bytes = Buffer.concat([...before, header(3, 0, declared)]);
          const verdicts = chunk(bytes, cuts).map((c) => scanner.feed(c));
          assert.deepEqual(verdicts.at(-1), { kind: 'oversized', declaredBytes: declared });
          assert.equal(scanner.completePackets, before.length);
          assert.deepEqual(scanner.feed(Buffer.from([0x30, 0])), { kind: 'oversized', declaredBytes: declared }, 'the verdict sticks');
        },
      ),
    );
  });

  it('calls a five-byte length and a reserved packet type malformed', () => {
    assert.equal(new MqttFrameScanner(LIMIT).feed(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01])).kind, 'malformed');
    assert.equal(new MqttFrameScanner(LIMIT).feed(Buffer.from([0x00, 0x00])).kind, 'malformed');
  });

  it('holds the first packet (the CONNECT) to its own, smaller limit, and later packets to the general one', () => {
    const connectLimit = 100;
    assert.deepEqual(new MqttFrameScanner(LIMIT, connectLimit).feed(header(1, 0, connectLimit + 1)), { kind: 'oversized', declaredBytes: connectLimit + 1 });
    const scanner = new MqttFrameScanner(LIMIT, connectLimit);
    assert.equal(scanner.feed(Buffer.concat([header(1, 0, connectLimit), Buffer.alloc(connectLimit)])).kind, 'ok');
    assert.equal(scanner.feed(Buffer.concat([header(3, 0, LIMIT), Buffer.alloc(LIMIT)])).kind, 'ok');
    assert.equal(scanner.completePackets, 2);
    assert.deepEqual(scanner.feed(header(3, 0, LIMIT + 1)), { kind: 'oversized', declaredBytes: LIMIT + 1 });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
        const scanner = new MqttFrameScanner(LIMIT);
        for (const c of chunks) assert.ok(['ok', 'oversized', 'malformed'].includes(scanner.feed(c).kind));
      }),
    );
  });
});
