// The broker ACL: the rule table by example, and properties checked against an MQTT matcher written
// here from the spec, so a bug shared by the ACL and its topic helpers cannot hide itself.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ANONYMOUS_ID, canPublish, canSubscribe, canUseClientId, type AclSubject } from '../src/broker/acl.ts';
import { isValidTopicFilter, topicMatches } from '@unibos/mesh-protocol';

/** MQTT 3.1.1 §4.7 matching, independent of topic-filter.ts. */
function specMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const match = (f: string[], t: string[]): boolean => {
    if (f.length === 0) return t.length === 0;
    const [head, ...rest] = f;
    if (head === '#') return true;
    if (t.length === 0) return false;
    return (head === '+' || head === t[0]) && match(rest, t.slice(1));
  };
  return match(filter.split('/'), topic.split('/'));
}

const sensor = (id: string): AclSubject => ({ role: 'sensor', id });
const hub: AclSubject = { role: 'hub', id: 'hub1' };
const anonymous: AclSubject = { role: 'anonymous' };

const deviceId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/).filter((id) => id !== ANONYMOUS_ID);

/** Levels chosen to probe prefix handling: other ids, case, padding, wildcards, '$', unicode, empties, NUL. */
function trickyLevel(id: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      'unibos', 'v1', 'sensor', 'gw', 'mesh', 'homeassistant', id, `${id}x`, id.toUpperCase(), ` ${id}`, `${id} `,
      '..', '.', '', '+', '#', '$SYS', '$share', 'ünïcödé', 'ｓｅｎｓｏｒ', '\u0000', 'a+b', 'x#', '/',
    ),
    fc.string({ maxLength: 6 }),
    fc.string({ unit: 'grapheme', maxLength: 4 }),
  );
}

/** Topics or filters that often start like the sensor's prefix and then go somewhere else. */
function trickyPath(id: string): fc.Arbitrary<string> {
  const own = ['unibos', 'v1', 'sensor', id];
  return fc
    .tuple(fc.nat({ max: 4 }), fc.array(trickyLevel(id), { maxLength: 6 }))
    .map(([keep, tail]) => [...own.slice(0, keep), ...tail].join('/'));
}

/** A concrete topic the filter matches, with the wildcards filled in adversarially. */
function instantiate(filter: string, fill: string[]): string {
  const out: string[] = [];
  let k = 0;
  for (const level of filter.split('/')) {
    if (level === '+') out.push(fill[k++ % fill.length] ?? 'x');
    else if (level === '#') out.push(...fill.slice(0, k++ % (fill.length + 1)));
    else out.push(level);
  }
  return out.join('/');
}

describe('broker ACL rules', () => {
  it('lets a sensor publish and subscribe under its own prefix and nowhere else', () => {
    const s1 = sensor('s1');
    for (const topic of ['unibos/v1/sensor/s1/temp', 'unibos/v1/sensor/s1', 'unibos/v1/sensor/s1/a/b/c', 'unibos/v1/sensor/s1/..']) {
      assert.equal(canPublish(s1, topic).allow, true, topic);
    }
    for (const topic of [
      'unibos/v1/sensor/s2/temp', 'unibos/v1/sensor/s1x/temp', 'unibos/v1/sensor/S1/temp', 'unibos/v1/sensor',
      'unibos/v1/gw/gw1/tx', 'unibos/v1/gw/gw1/status', 'unibos/v1/mesh/!1234/text', 'homeassistant/sensor/s1/config',
      '$SYS/broker/x', 'unibos/v1/sensor/s1/+', 'unibos/v1/sensor/s1/#', '', 'unibos/v1/sensor/s1/\u0000',
      '/unibos/v1/sensor/s1/t', 'unibos//v1/sensor/s1/t',
    ]) {
      assert.equal(canPublish(s1, topic).allow, false, topic);
    }
    for (const filter of ['unibos/v1/sensor/s1/#', 'unibos/v1/sensor/s1/+', 'unibos/v1/sensor/s1', 'unibos/v1/sensor/s1/+/x']) {
      assert.equal(canSubscribe(s1, filter).allow, true, filter);
    }
    for (const filter of [
      'unibos/v1/sensor/+/x', 'unibos/v1/sensor/#', '#', '+/v1/sensor/s1/#', 'unibos/+/sensor/s1/#', '$SYS/#',
      'unibos/v1/sensor/s2/#', 'unibos/v1/gw/#', 'unibos/v1/sensor/s1/a#', 'unibos/v1/sensor/s1/#/x', '',
    ]) {
      assert.equal(canSubscribe(s1, filter).allow, false, filter);
    }
  });

  it('lets the hub and gateway roles use unibos/v1/# and homeassistant/#, and nothing else', () => {
    for (const subject of [hub, { role: 'gateway', id: 'gw2' } as const]) {
      for (const topic of ['unibos/v1/gw/gw1/tx', 'unibos/v1/mesh/!1234/text', 'unibos/v1/sensor/s1/cmd', 'homeassistant/sensor/x/config']) {
        assert.equal(canPublish(subject, topic).allow, true, topic);
      }
      for (const topic of ['unibos/v2/x', 'other/topic', '$SYS/x', 'unibos', 'homeassistantx/y']) {
        assert.equal(canPublish(subject, topic).allow, false, topic);
      }
      for (const filter of ['unibos/v1/#', 'unibos/v1/+/+/status', 'homeassistant/#']) {
        assert.equal(canSubscribe(subject, filter).allow, true, filter);
      }
      for (const filter of ['#', '+/#', 'unibos/#', 'unibos/+/gw/#', '$SYS/#']) {
        assert.equal(canSubscribe(subject, filter).allow, false, filter);
      }
    }
  });

  it('treats anonymous clients as the shared sensor "anonymous"', () => {
    assert.equal(canPublish(anonymous, 'unibos/v1/sensor/anonymous/note').allow, true);
    assert.equal(canPublish(anonymous, 'unibos/v1/sensor/s1/temp').allow, false);
    assert.equal(canSubscribe(anonymous, 'unibos/v1/sensor/anonymous/#').allow, true);
    assert.equal(canSubscribe(anonymous, 'unibos/v1/#').allow, false);
  });

  it('binds client ids to the device that logs in', () => {
    const ctx = { serverAssigned: false, isDeviceId: (id: string) => id === 's1' || id === 's2' };
    assert.equal(canUseClientId(sensor('s1'), 's1', ctx).allow, true);
    assert.equal(canUseClientId(sensor('s1'), 's1:dashboard', ctx).allow, true);
    assert.equal(canUseClientId(sensor('s1'), 's2', ctx).allow, false);
    assert.equal(canUseClientId(sensor('s1'), 's1x', ctx).allow, false);
    assert.equal(canUseClientId(sensor('s1'), 's1-x', ctx).allow, false, "'-' can be part of another device's id");
    assert.equal(canUseClientId(sensor('s1'), `s1:${'x'.repeat(200)}`, ctx).allow, false);
    assert.equal(canUseClientId(sensor('s1'), 'aedes_123', { ...ctx, serverAssigned: true }).allow, true);
    assert.equal(canUseClientId(anonymous, 'mosq-tool', ctx).allow, true);
    assert.equal(canUseClientId(anonymous, 's1', ctx).allow, false);
    assert.equal(canUseClientId(anonymous, 's2:x', ctx).allow, false);
  });
});

describe('broker ACL properties', () => {
  it('never lets a sensor publish to a topic outside unibos/v1/sensor/{id}/#', () => {
    fc.assert(
      fc.property(deviceId.chain((id) => fc.tuple(fc.constant(id), trickyPath(id))), ([id, topic]) => {
        if (!canPublish(sensor(id), topic).allow) return;
        assert.ok(specMatches(`unibos/v1/sensor/${id}/#`, topic), topic);
        assert.ok(!/[+#\u0000]/.test(topic) && !topic.startsWith('$'), topic);
      }),
      { numRuns: 3000 },
    );
  });

  it('never lets a sensor subscribe to a filter that matches a topic outside its prefix', () => {
    fc.assert(
      fc.property(
        deviceId.chain((id) => fc.tuple(fc.constant(id), trickyPath(id), fc.array(trickyLevel(id), { minLength: 1, maxLength: 5 }))),
        ([id, filter, fill]) => {
          if (!canSubscribe(sensor(id), filter).allow) return;
          assert.ok(isValidTopicFilter(filter), filter);
          const topic = instantiate(filter, fill);
          if (!specMatches(filter, topic)) return;
          assert.ok(specMatches(`unibos/v1/sensor/${id}/#`, topic), `${filter} matches ${topic}`);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('never lets any subject near $ topics or outside the unibos/v1 and homeassistant trees', () => {
    const subjects = fc.oneof(deviceId.map(sensor), fc.constant(hub), fc.constant(anonymous));
    fc.assert(
      fc.property(subjects, fc.oneof(trickyPath('s1'), fc.string(), fc.string({ unit: 'grapheme' })), (subject, topic) => {
        const roots = ['unibos/v1/#', 'homeassistant/#'];
        if (canPublish(subject, topic).allow) assert.ok(roots.some((r) => specMatches(r, topic)), topic);
        if (canSubscribe(subject, topic).allow) {
          assert.ok(!topic.startsWith('$') && !topic.startsWith('+') && !topic.startsWith('#'), topic);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('matches topics exactly as the spec does', () => {
    const level = fc.constantFrom('a', 'b', '', '$x', 'ü');
    const filterLevel = fc.constantFrom('a', 'b', '', '+', '$x', 'ü');
    const filter = fc
      .tuple(fc.array(filterLevel, { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'));
    const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/'));
    fc.assert(fc.property(filter, topic, (f, t) => assert.equal(topicMatches(f, t), specMatches(f, t), `${f} vs ${t}`)), { numRuns: 5000 });
  });
});
