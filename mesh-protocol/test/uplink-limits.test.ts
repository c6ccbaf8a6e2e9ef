// What the hub takes from a sensor, from the one definition the gateway's door and the hub's ingest
// share: home-made payloads with a Unix time or an empty unit are readings, not refusals.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hubWouldRefuse, readSensorPayload } from '../src/index.ts';

const json = (doc: string) => readSensorPayload({ json: JSON.parse(doc) });
const refusal = (payload: string, format: 'json' | 'binary' = 'binary') =>
  hubWouldRefuse({ topic: 'unibos/v1/sensor/s1/temp', payload: Buffer.from(payload), msgId: 'm1', source: 'sensor:s1', format });

test('a numeric "time" is Unix time: seconds (time() on a board with NTP) or milliseconds (Date.now()), kept as when it was measured', () => {
  assert.deepEqual(json('{"value":21.5,"time":1733480000}'), { ok: true, value: 21.5, measuredMs: 1_733_480_000_000 });
  assert.deepEqual(json('{"value":21.5,"time":1733480000123}'), { ok: true, value: 21.5, measuredMs: 1_733_480_000_123 });
  // Fractions of a second (Python's time.time()) become whole milliseconds, as the hub stores them.
  assert.deepEqual(json('{"value":21.5,"time":1733480000.25}'), { ok: true, value: 21.5, measuredMs: 1_733_480_000_250 });
  assert.equal(new Date(1_733_480_000_000).toISOString(), '2024-12-06T10:13:20.000Z');
  // The ISO form is read as before.
  assert.deepEqual(json('{"value":21.5,"time":"2024-12-06T10:13:20Z"}'), { ok: true, value: 21.5, measuredMs: 1_733_480_000_000 });
  assert.equal(refusal('{"value":21.5,"time":1733480000}', 'binary'), null, 'the gateway takes it (binary envelope: the bytes are parsed as text)');
  assert.equal(refusal('{"value":21.5,"time":1733480000}', 'json'), null, 'the gateway takes it');
});

test('a time no date can be made of is still refused, with a reason naming both forms', () => {
  for (const doc of ['{"value":1,"time":-5}', '{"value":1,"time":1e300}', '{"value":1,"time":"yesterday"}', '{"value":1,"time":true}']) {
    const r = json(doc);
    assert.equal(r.ok, false, doc);
    assert.match((r as { detail: string }).detail, /ISO 8601 date or a Unix time/, doc);
    assert.equal(refusal(doc, 'json')?.reason, 'bad_payload', doc);
  }
});

test('an empty "unit" means no unit; a unit that is too long or has control characters is still refused', () => {
  assert.deepEqual(json('{"value":3,"unit":""}'), { ok: true, value: 3 });
  assert.equal(refusal('{"value":3,"unit":""}', 'json'), null);
  assert.deepEqual(json('{"value":3,"unit":"°C"}'), { ok: true, value: 3, unit: '°C' });
  assert.equal(json(JSON.stringify({ value: 3, unit: 'x'.repeat(17) })).ok, false);
  assert.equal(json('{"value":3,"unit":"a\\nb"}').ok, false);
  assert.equal(json('{"value":3,"unit":5}').ok, false);
});
