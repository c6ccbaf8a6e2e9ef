// The mesh's text limits fit one frame, and shortening a text keeps whole characters.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALERT_LEVELS, MAX_DATA_BYTES, MESH_ALERT_TEXT_MAX_BYTES, MESH_TEXT_MAX_BYTES, encodeData, truncateUtf8 } from '../src/index.ts';

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
