// The mesh's text limits fit one frame, and shortening a text keeps whole characters.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALERT_LEVELS, MAX_DATA_BYTES, MESH_ALERT_TEXT_MAX_BYTES, MESH_TEXT_MAX_BYTES, cutChars, decodeData, encodeData, truncateUtf8 } from '../src/index.ts';

const bytes = (s: string): number => new TextEncoder().encode(s).length;

test('the longest text and alert text fit one frame with their Data fields', () => {
  assert.ok(encodeData({ text: 'x'.repeat(MESH_TEXT_MAX_BYTES) }).length <= MAX_DATA_BYTES);
  for (const level of ALERT_LEVELS) {
    assert.ok(encodeData({ alert: { level, text: 'x'.repeat(MESH_ALERT_TEXT_MAX_BYTES), magnitudeX10: 120 } }).length <= MAX_DATA_BYTES, level);
  }
});

test('truncateUtf8 cuts at a character boundary within the budget, with an ellipsis, and leaves a fitting text alone', () => {
  assert.equal(truncateUtf8('Pazarcık (Kahramanmaraş)', 100), 'Pazarcık (Kahramanmaraş)');
  const cut = truncateUtf8('ş'.repeat(50), 20);
  assert.ok(bytes(cut) <= 20, cut);
  assert.equal(cut, `${'ş'.repeat(8)}…`);
  // A 4-byte character is never split.
  assert.equal(truncateUtf8('🌍🌍🌍', 9), '🌍…');
  assert.equal(truncateUtf8('abc', 2), '');
});

test('half of a UTF-16 pair has no UTF-8 form: the codec refuses it when encoding, and cutChars makes outside text whole', () => {
  assert.throws(() => encodeData({ text: 'second \ud800 lone' }), (err: Error & { code?: string }) => err.code === 'E_BAD_ARGUMENT' && /not valid Unicode/.test(err.message));
  assert.throws(() => encodeData({ nodeInfo: { longName: 'Pompa \udc00', shortName: 'P', hwModel: 'UNIBOS', role: 'CLIENT', publicKey: new Uint8Array(0) } }), /not valid Unicode/);
  // A whole pair is one character, taken as it is.
  assert.equal(decodeData(encodeData({ text: 'help 🚨' })).text, 'help 🚨');
  // 63 letters and an emoji cut to 64 characters: the emoji whole, never one half of it.
  const name = `${'P'.repeat(63)}🚨`;
  assert.equal(cutChars(name, 64), name);
  assert.equal(cutChars(`${name}x`, 64), name);
  assert.equal(cutChars('M7.6 Lausanne \ud83d'), 'M7.6 Lausanne \uFFFD');
  assert.equal(decodeData(encodeData({ text: cutChars('Lausanne \ud83d') })).text, 'Lausanne \uFFFD');
});
