// The simulated air's line protocol parses whatever arrives on its loopback sockets: random and
// mutated lines never throw, and what parses round-trips.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeAirMessage, parseClientMessage, parseServerMessage } from '../src/radio/air-protocol.ts';

const valid = [
  encodeAirMessage({ type: 'hello', nodeId: 0x1234, latitude: 41, longitude: 29, params: { sf: 7, bandwidthHz: 250_000, codingRate: 1, frequencyHz: 869_525_000 } }),
  encodeAirMessage({ type: 'tx', frame: Uint8Array.of(1, 2, 3, 250) }),
  encodeAirMessage({ type: 'rx', frame: Uint8Array.of(9, 8), rssi: -101.5, snr: 3 }),
  encodeAirMessage({ type: 'tx-done', ok: false, error: 'busy' }),
  encodeAirMessage({ type: 'carrier', airtimeMs: 12.5 }),
].map((l) => l.trimEnd());

test('random lines never throw and never parse into a frame by accident', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (line) => {
      for (const parse of [parseClientMessage, parseServerMessage]) {
        const r = parse(line);
        if (r.ok) assert.equal(typeof r.message.type, 'string');
        else assert.equal(typeof r.error, 'string');
      }
    }),
    { numRuns: 2000 },
  );
});

test('mutated valid lines never throw; JSON values of the wrong type are refused', () => {
  fc.assert(
    fc.property(fc.constantFrom(...valid), fc.nat(), fc.string({ maxLength: 4 }), (line, at, insert) => {
      const i = at % (line.length + 1);
      const mutated = line.slice(0, i) + insert + line.slice(i + 1);
      parseClientMessage(mutated);
      parseServerMessage(mutated);
    }),
    { numRuns: 2000 },
  );
  assert.equal(parseClientMessage('{"type":"tx","frame":123}').ok, false);
  assert.equal(parseClientMessage('{"type":"hello","nodeId":4294967295,"latitude":0,"longitude":0,"params":{}}').ok, false);
  assert.equal(parseServerMessage('{"type":"rx","frame":"AAAA","rssi":"loud","snr":1}').ok, false);
  assert.equal(parseServerMessage('[1,2,3]').ok, false);
});

test('every message round-trips through a line', () => {
  const r = parseServerMessage(valid[2]!);
  assert.ok(r.ok && r.message.type === 'rx');
  assert.deepEqual([...(r.message as { frame: Uint8Array }).frame], [9, 8]);
  const h = parseClientMessage(valid[0]!);
  assert.ok(h.ok && h.message.type === 'hello' && h.message.nodeId === 0x1234);
});
