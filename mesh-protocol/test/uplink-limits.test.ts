// What the hub takes from a sensor, from the one definition the gateway's door and the hub's ingest
// share: home-made payloads with a Unix time or an empty unit are readings, not refusals; a sensor's
// $availability is online or offline and nothing else.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HUB_UPLINK_LIMITS, decodeHubEnvelope, encodeHubEnvelope, hubEnvelopeBytes, hubWouldRefuse, parseSensorTopic, parseTopic, readSensorAvailability, readSensorPayload, takenTimeMs, topics } from '../src/index.ts';

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

test('a JSON envelope says how long the gateway held the message, and the door counts that in: what passes the door fits at the hub', () => {
  const payload = Buffer.from('{"value":21.5}');
  const parts = { msgId: 'gw1:0b7c', source: 'sensor:s1', format: 'json' as const };
  const counted = hubEnvelopeBytes({ ...parts, payloadBytes: payload.length });
  for (const heldMs of [undefined, 0, 10_800_123, 8.64e15]) {
    for (const heldExact of [false, true]) {
      const bytes = encodeHubEnvelope({ ...parts, payload, heldMs, heldExact });
      const held = heldMs === undefined ? {} : heldExact ? { heldMs, heldExact: true } : { heldMs };
      assert.deepEqual(decodeHubEnvelope(bytes), { format: 'json', id: parts.msgId, source: parts.source, body: { value: 21.5 }, ...held });
      assert.ok(bytes.length <= counted, `${bytes.length} bytes sent, ${counted} counted at the door`);
    }
  }
  assert.equal(encodeHubEnvelope({ ...parts, payload, heldMs: 8.64e15, heldExact: true }).length, counted, 'the longest duration is counted exactly');
  // A `held` that is no duration (an older or broken gateway) is left out, never a refusal of the message.
  for (const bad of ['"an hour"', '-1', '1.5', '1e300', 'null']) {
    const env = decodeHubEnvelope(Buffer.from(`{"id":"m","source":"s","held":${bad},"body":1}`));
    assert.deepEqual(env, { format: 'json', id: 'm', source: 's', body: 1 }, bad);
  }
  // The binary form (version 1) has no room for it: older hubs would refuse a new version.
  assert.deepEqual(decodeHubEnvelope(encodeHubEnvelope({ msgId: 'm', source: 's', format: 'binary', payload: Buffer.from('on'), heldMs: 5 })), { format: 'binary', id: 'm', source: 's', body: Buffer.from('on') });
});

test('an envelope\u2019s id is 1..255 bytes and its source at most 255 in either form, as the gateway\u2019s outbox takes them: longer ones are refused both ways', () => {
  const payload = Buffer.from('1');
  for (const format of ['json', 'binary'] as const) {
    const fits = { msgId: 'é'.repeat(127) + 'x', source: 's'.repeat(255), format, payload };
    assert.equal(decodeHubEnvelope(encodeHubEnvelope(fits)).id, fits.msgId, `${format}: 255 bytes`);
    for (const over of [{ msgId: 'é'.repeat(128) }, { msgId: '' }, { source: 's'.repeat(256) }]) {
      assert.throws(() => encodeHubEnvelope({ ...fits, ...over }), { code: 'E_ENVELOPE_INVALID' }, `${format}: ${JSON.stringify(over).slice(0, 40)}`);
    }
  }
  // A hub is sent whatever a claimed gateway sends: a JSON envelope whose id is a quarter of a megabyte is refused, not kept.
  assert.throws(() => decodeHubEnvelope(Buffer.from(`{"id":"${'x'.repeat(256)}","source":"s","body":1}`)), { code: 'E_ENVELOPE_INVALID' });
  assert.throws(() => decodeHubEnvelope(Buffer.from(`{"id":"m","source":"${'s'.repeat(256)}","body":1}`)), { code: 'E_ENVELOPE_INVALID' });
  assert.equal(decodeHubEnvelope(Buffer.from(`{"id":"${'x'.repeat(255)}","source":"","body":1}`)).id.length, 255);
});

test('the hub dates a message as long before it got it as the gateway held it, never before any plausible time', () => {
  const hub = Date.parse('2026-12-06T16:00:00Z');
  assert.equal(takenTimeMs(3 * 3_600_000, hub), hub - 3 * 3_600_000, 'held through a three-hour outage');
  assert.equal(takenTimeMs(0, hub), hub, 'sent at once');
  assert.equal(takenTimeMs(undefined, hub), hub, 'an older gateway says nothing: when the hub got it');
  assert.equal(takenTimeMs(hub - HUB_UPLINK_LIMITS.earliestTimeMs, hub), HUB_UPLINK_LIMITS.earliestTimeMs, 'held since 2000 at the earliest');
  assert.equal(takenTimeMs(hub - HUB_UPLINK_LIMITS.earliestTimeMs + 1, hub), hub, 'held since before 2000 is no duration a gateway could have held it');
});

test('a sensor\u2019s $availability is online or offline (a last will as text, or {"state": ...}); anything else is refused at the door, never read as a metric', () => {
  const topic = topics.sensorAvailability('plug1');
  assert.equal(topic, 'unibos/v1/sensor/plug1/$availability');
  assert.deepEqual(parseTopic(topic), { kind: 'sensorAvailability', sensorId: 'plug1' });
  assert.equal(parseSensorTopic(topic), null, 'not a reading of a metric');
  const door = (payload: string, format: 'json' | 'binary') => hubWouldRefuse({ topic, payload: Buffer.from(payload), msgId: 'm1', source: 'sensor:plug1', format });
  for (const [payload, format] of [['offline', 'binary'], [' Online\n', 'binary'], ['"offline"', 'json'], ['{"state":"online","profile":"tasmota"}', 'json']] as const) {
    assert.equal(door(payload, format), null, payload);
  }
  assert.deepEqual(readSensorAvailability({ bytes: Buffer.from('OFFLINE') }), { ok: true, state: 'offline' });
  for (const [payload, format] of [['21.5', 'binary'], ['{"state":"asleep"}', 'json'], ['{"value":1}', 'json'], ['[1]', 'json']] as const) {
    assert.equal(door(payload, format)?.reason, 'bad_payload', payload);
  }
  // Whatever bytes or JSON a device sends, the reader answers, and says online or offline only for those words.
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes })), fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json }))), (body) => {
      const r = readSensorAvailability(body);
      if (r.ok) assert.ok(r.state === 'online' || r.state === 'offline');
    }),
  );
});

test('sensor text that is not a number is kept up to the hub\u2019s limit and refused beyond it, at the door and at the hub alike (never cut)', () => {
  const limit = HUB_UPLINK_LIMITS.maxSensorTextChars;
  const text = (chars: number) => readSensorPayload({ bytes: Buffer.from('A'.repeat(chars)) });
  assert.deepEqual(text(limit), { ok: true, value: null, raw: 'A'.repeat(limit) }, 'kept whole');
  assert.deepEqual(text(limit + 1), { ok: false, detail: `text of ${limit + 1} characters exceeds ${limit}` }, 'not kept cut to its first part');
  assert.equal(refusal('A'.repeat(limit)), null);
  // What the reviewer sent: 250 kB of text, which fits the hub's publish size but not what it keeps.
  assert.deepEqual(refusal('A'.repeat(250_000)), { reason: 'bad_payload', detail: `text of 250000 characters exceeds ${limit}` });
  // Raw JSON is held to its own limit, the same way.
  const rawJson = JSON.stringify({ note: 'A'.repeat(HUB_UPLINK_LIMITS.maxSensorRawChars) });
  assert.equal(refusal(rawJson, 'json')?.reason, 'bad_payload');
});
