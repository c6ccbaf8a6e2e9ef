// What the hub reads of an alert a gateway heard: an unattended node's automatic answer keeps its flag
// on the way (the hub counts it apart from a person's "I am safe"); a person's carries none.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeData, encodeData } from '@unibos/mesh-protocol';
import { meshJson } from '../src/bridge/mesh-json.ts';

const META = { from: 0x2b3c4d06, to: 0xffffffff, id: 7, hops: 1, rssi: -90, snr: 6.5, rxTimeMs: Date.UTC(2026, 11, 6, 12), gatewayId: '!0a0b0c0d' };

test('an automatic "safe" reaches the hub flagged automatic; a person\'s "I am safe" unflagged', () => {
  // As heard: decoded from the bytes the node sent.
  const automatic = decodeData(encodeData({ alert: { level: 'SAFE', text: 'Answered automatically: no person confirmed', magnitudeX10: 0, automatic: true } }));
  const person = decodeData(encodeData({ alert: { level: 'SAFE', text: 'I am safe', magnitudeX10: 0 } }));
  const a = JSON.parse(JSON.stringify(meshJson(automatic, META))) as Record<string, unknown>;
  const p = JSON.parse(JSON.stringify(meshJson(person, META))) as Record<string, unknown>;
  assert.equal(a.level, 'SAFE');
  assert.equal(a.automatic, true);
  assert.equal(p.level, 'SAFE');
  assert.equal('automatic' in p, false);
});
