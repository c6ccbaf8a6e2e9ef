// A quake alert's text always fits one frame's alert text and always ends with its question, however
// long the feed's place name or the operator's round title, in any script.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MESH_ALERT_TEXT_MAX_BYTES } from '@unibos/mesh-protocol';
import { QUESTION, alertText } from '../src/quake-watch.ts';

const bytes = (s: string): number => new TextEncoder().encode(s).length;

test('a long Turkish place name is shortened so the time and the question go out whole', () => {
  const place = 'Türkoğlu ilçesinin güneydoğusu, Kahramanmaraş, Şanlıurfa ve Gaziantep sınırında, ağır hasarlı bölge';
  const text = alertText(`M7.7 ${place}`, ` 01:17Z. ${QUESTION}`);
  assert.ok(bytes(text) <= MESH_ALERT_TEXT_MAX_BYTES, `${bytes(text)} bytes`);
  assert.ok(text.startsWith('M7.7 Türkoğlu'), text);
  assert.ok(text.endsWith(` 01:17Z. ${QUESTION}`), text);
  assert.match(text, /… 01:17Z\./, 'the place was visibly shortened');
});

test('a short place and an operator title in any script are kept whole when they fit, cut when they do not', () => {
  assert.equal(alertText('M5.6 7 km NE of Lausanne, Switzerland', ' 21:58Z'), 'M5.6 7 km NE of Lausanne, Switzerland 21:58Z');
  const title = 'Tatbikat: '.concat('ğ'.repeat(200));
  const text = alertText(title, `. ${QUESTION}`);
  assert.ok(bytes(text) <= MESH_ALERT_TEXT_MAX_BYTES);
  assert.ok(text.endsWith(`. ${QUESTION}`));
});
