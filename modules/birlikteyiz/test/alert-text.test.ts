// A quake alert's text always fits one frame's alert text and always ends with its question, however
// long the feed's place name or the operator's round title, in any script; an assembly point's text
// always says where it is.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MESH_ALERT_TEXT_MAX_BYTES, MESH_TEXT_MAX_BYTES } from '@unibos/mesh-protocol';
import { QUESTION, alertText } from '../src/alert-wording.ts';
import { assemblyPointText } from '../src/assembly-points.ts';

const bytes = (s: string): number => new TextEncoder().encode(s).length;

test('a long Turkish place name is shortened so the time and the question go out whole', () => {
  const place = 'Türkoğlu ilçesinin güneydoğusu, Kahramanmaraş, Şanlıurfa ve Gaziantep sınırında, ağır hasarlı bölge';
  const text = alertText(`M7.7 ${place}`, ` 01:17 UTC. ${QUESTION.en}`);
  assert.ok(bytes(text) <= MESH_ALERT_TEXT_MAX_BYTES, `${bytes(text)} bytes`);
  assert.ok(text.startsWith('M7.7 Türkoğlu'), text);
  assert.ok(text.endsWith(` 01:17 UTC. ${QUESTION.en}`), text);
  assert.match(text, /… 01:17 UTC\./, 'the place was visibly shortened');
});

test('a short place and an operator title in any script are kept whole when they fit, cut when they do not', () => {
  assert.equal(alertText('M5.6 7 km NE of Lausanne, Switzerland', ' 21:58 UTC'), 'M5.6 7 km NE of Lausanne, Switzerland 21:58 UTC');
  const title = 'Tatbikat: '.concat('ğ'.repeat(200));
  const text = alertText(title, `. ${QUESTION.en}`);
  assert.ok(bytes(text) <= MESH_ALERT_TEXT_MAX_BYTES);
  assert.ok(text.endsWith(`. ${QUESTION.en}`));
});

test('an assembly point with a long name in a three-byte script still goes out with where it is, in one text', () => {
  const text = assemblyPointText({ name: '避難所'.repeat(30), latitude: 36.20213, longitude: 36.16011, capacity: 1200 });
  assert.ok(bytes(text) <= MESH_TEXT_MAX_BYTES, `${bytes(text)} bytes`);
  assert.ok(text.startsWith('Assembly point: 避難所'), text);
  assert.ok(text.endsWith('… at 36.20213,36.16011, room for 1200'), text);
  assert.equal(assemblyPointText({ name: 'Okul bahçesi', latitude: 1, longitude: 2, capacity: null }), 'Assembly point: Okul bahçesi at 1.00000,2.00000');
});
