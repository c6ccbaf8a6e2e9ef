// Per-device topic rules in mosquitto's ACL format: every rule form, bad rules refused with their
// line and reason, the role table untouched inside unibos/v1/, properties against an independent
// matcher, and real mosquitto clients on Tasmota-style topics.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { canPublish, canSubscribe, type AclSubject } from '../src/broker/acl.ts';
import { parseDeviceRules } from '../src/broker/device-credentials.ts';
import { bindRules, parseAclFile, rulesAllowPublish, rulesAllowSubscribe, TopicRuleError, withDeviceRules, type TopicRuleSet } from '../src/broker/topic-rules.ts';
import { topicMatches } from '@unibos/mesh-protocol';
import { BrokerHarness } from './support/broker-harness.ts';
import { ProcessPool, connectArgs } from './support/broker-client-process.ts';

const ACL = `# Tasmota plugs and a Zigbee2MQTT bridge
pattern write tele/%u/#
pattern readwrite stat/%u/#
pattern read cmnd/%u/#
topic read shared/time

user z2m
topic readwrite zigbee2mqtt/#
topic deny zigbee2mqtt/bridge/request/#
user esp1
topic write homeassistant/sensor/esp1/#
pattern read private/%c/#
`;

function subject(rules: TopicRuleSet, id: string, clientId = id): AclSubject {
  return { role: 'sensor', id, rules: bindRules(rules, { deviceId: id, clientId }) };
}

describe('topic rules: parsing', () => {
  it('reads every line form of a mosquitto ACL file', () => {
    const set = parseAclFile(ACL, 'acl.conf');
    assert.deepEqual(set.everyone.map((r) => `${r.kind} ${r.access} ${r.topic} @${r.origin}`), [
      'pattern write tele/%u/# @acl.conf:2',
      'pattern readwrite stat/%u/# @acl.conf:3',
      'pattern read cmnd/%u/# @acl.conf:4',
      'topic read shared/time @acl.conf:5',
      'pattern read private/%c/# @acl.conf:12',
    ]);
    assert.deepEqual(set.anonymous.map((r) => r.topic), ['shared/time']);
    assert.deepEqual(set.byDevice.get('z2m')!.map((r) => `${r.access} ${r.topic}`), ['readwrite zigbee2mqtt/#', 'deny zigbee2mqtt/bridge/request/#']);
    assert.deepEqual(set.byDevice.get('esp1')!.map((r) => `${r.access} ${r.topic}`), ['write homeassistant/sensor/esp1/#']);
    // An access word is optional, as in mosquitto: readwrite.
    assert.equal(parseAclFile('topic a/b', 'f').everyone[0]!.access, 'readwrite');
  });

  it('refuses a bad rule with its line and the reason', () => {
    const bad: Array<[string, RegExp]> = [
      ['topic wrte a/b', /^acl\.conf:3: unknown access 'wrte'/],
      ['topic read a/#/b', /^acl\.conf:3: a\/#\/b is not a valid topic filter/],
      ['topic read $SYS/#', /^acl\.conf:3: '\$' topics belong to the broker/],
      ['pattern read a/%x/b', /^acl\.conf:3: unknown substitution/],
      ['pattern read a/x%u/b', /^acl\.conf:3: %u and %c must be a whole level/],
      ['topci read a', /^acl\.conf:3: unknown keyword 'topci'/],
      ['user', /^acl\.conf:3: 'user' takes one device id/],
      ['topic read a b', /^acl\.conf:3: expected 'topic \[read\|write\|readwrite\|deny\] TOPIC'/],
      ['topic', /^acl\.conf:3: topic needs a topic/],
    ];
    for (const [line, message] of bad) {
      assert.throws(() => parseAclFile(`# header\n\n${line}\n`, 'acl.conf'), (err: unknown) => err instanceof TopicRuleError && err.code === 'E_ACL_RULE' && message.test(err.message), line);
    }
  });

  it('reads the CLI flags --allow [access] TOPIC and --deny TOPIC, refusing bad ones by flag and reason', () => {
    const rules = parseDeviceRules('plug1', { allow: ['write tele/%u/#', 'cmnd/%u/POWER'], deny: ['cmnd/%u/Backlog'] });
    assert.deepEqual(rules.map((r) => `${r.access} ${r.topic}`), ['write tele/%u/#', 'readwrite cmnd/%u/POWER', 'deny cmnd/%u/Backlog']);
    assert.throws(() => parseDeviceRules('plug1', { allow: ['rw tele/#'], deny: [] }), /--allow #1 \("rw tele\/#"\): unknown access 'rw'/);
    assert.throws(() => parseDeviceRules('plug1', { allow: [], deny: ['read a/#'] }), /--deny #1 .*--deny takes just a topic/);
    assert.throws(() => parseDeviceRules('plug1', { allow: ['deny a'], deny: [] }), /use --deny/);
    assert.throws(() => parseDeviceRules('plug1', { allow: ['#/a'], deny: [] }), (err: Error & { code?: string }) => err.code === 'E_BAD_REQUEST' && /not a valid topic filter/.test(err.message));
  });
});

describe('topic rules: decisions', () => {
  const set = parseAclFile(ACL, 'acl.conf');

  it('lets a device write and read what its rules say, with %u and %c substituted', () => {
    const plug1 = subject(set, 'plug1', 'plug1:tasmota');
    assert.deepEqual(canPublish(plug1, 'tele/plug1/SENSOR'), { allow: true });
    assert.deepEqual(canPublish(plug1, 'stat/plug1/POWER'), { allow: true });
    assert.equal(canPublish(plug1, 'tele/plug2/SENSOR').allow, false, "another device's tree");
    assert.equal(canPublish(plug1, 'cmnd/plug1/POWER').allow, false, 'read-only rule');
    assert.deepEqual(canSubscribe(plug1, 'cmnd/plug1/#'), { allow: true });
    assert.deepEqual(canSubscribe(plug1, 'cmnd/plug1/+'), { allow: true });
    assert.equal(canSubscribe(plug1, 'cmnd/+/POWER').allow, false, 'a filter reaching other devices');
    assert.equal(canSubscribe(plug1, 'tele/plug1/#').allow, false, 'write-only rule');
    assert.deepEqual(canSubscribe(plug1, 'private/plug1:tasmota/#'), { allow: true }, '%c is the client id');
    assert.equal(canSubscribe(subject(set, 'plug1', 'plug1:other'), 'private/plug1:tasmota/#').allow, false);
  });

  it('a deny rule wins, also against a subscription that only overlaps it', () => {
    const z2m = subject(set, 'z2m');
    assert.deepEqual(canPublish(z2m, 'zigbee2mqtt/kitchen/set'), { allow: true });
    const denied = canPublish(z2m, 'zigbee2mqtt/bridge/request/permit_join');
    assert.equal(denied.allow, false);
    assert.match((denied as { reason: string }).reason, /denied by acl\.conf:9/);
    assert.equal(canSubscribe(z2m, 'zigbee2mqtt/#').allow, false, 'would bring denied topics');
    assert.deepEqual(canSubscribe(z2m, 'zigbee2mqtt/kitchen'), { allow: true });
  });

  it('leaves unibos/v1/ to the role table whatever a rule says, and changes nothing without rules', () => {
    const greedy = parseAclFile('topic readwrite #\ntopic readwrite unibos/v1/gw/#\n', 'acl.conf');
    const s = subject(greedy, 's1');
    assert.equal(canPublish(s, 'unibos/v1/gw/abcd0123/tx').allow, false);
    assert.equal(canPublish(s, 'unibos/v1/mesh/!1a2b3c4d/alert').allow, false);
    assert.equal(canSubscribe(s, '#').allow, false);
    assert.equal(canSubscribe(s, '+/v1/#').allow, false);
    assert.deepEqual(canPublish(s, 'unibos/v1/sensor/s1/t'), { allow: true });
    assert.deepEqual(canPublish(s, 'tele/x/SENSOR'), { allow: true });
    const plain: AclSubject = { role: 'sensor', id: 's1' };
    assert.equal(canPublish(plain, 'tele/s1/SENSOR').allow, false, 'the safe default: only the own prefix');
    assert.equal(canSubscribe(plain, 'cmnd/s1/#').allow, false);
  });

  it("never lets a rule write the gateway's own Home Assistant discovery configs", () => {
    const z2m = subject(parseAclFile('topic write homeassistant/#\n', 'acl.conf'), 'z2m');
    assert.deepEqual(canPublish(z2m, 'homeassistant/sensor/0x00158d0001a2b3c4/temperature/config'), { allow: true }, 'its own devices');
    for (const topic of ['homeassistant/sensor/unibos_1a2b3c4d/battery/config', 'homeassistant/device_tracker/unibos_1a2b3c4d/config', 'homeassistant/sensor/unibos_sensor_weather_temp/config']) {
      const verdict = canPublish(z2m, topic);
      assert.equal(verdict.allow, false, topic);
      assert.match((verdict as { reason: string }).reason, /gateway's own/);
    }
    assert.deepEqual(canPublish({ role: 'gateway', id: 'gw2' }, 'homeassistant/sensor/unibos_1a2b3c4d/battery/config'), { allow: true }, 'the role table still grants it');
  });

  it('property: a granted subscription only ever brings topics a read rule matches and no deny rule does', () => {
    const level = fc.constantFrom('a', 'b', 'c', '+');
    const filter = fc.tuple(fc.array(level, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([ls, hash]) => [...ls, ...(hash ? ['#'] : [])].join('/'));
    const topic = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 5 }).map((ls) => ls.join('/'));
    const rule = fc.tuple(fc.constantFrom('read', 'write', 'readwrite', 'deny'), filter).map(([a, f]) => `topic ${a} ${f}`);
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 5 }), filter, fc.array(topic, { maxLength: 20 }), (lines, sub, probes) => {
        const bound = bindRules(parseAclFile(lines.join('\n'), 'p'), { deviceId: 'd', clientId: 'd' });
        if (!rulesAllowSubscribe(bound, sub).allow) return;
        for (const t of probes) {
          if (!topicMatches(sub, t)) continue;
          assert.ok(bound.some((r) => (r.access === 'read' || r.access === 'readwrite') && topicMatches(r.filter, t)), `${t} via ${sub}`);
          assert.ok(!bound.some((r) => r.access === 'deny' && topicMatches(r.filter, t)), `${t} is denied`);
        }
      }),
    );
  });

  it('property: the file parser refuses any garbage with E_ACL_RULE and a line, never another error', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('topic', 'pattern', 'user', 'read', 'deny', '%u', '#', '+', '$')).map((x) => x), { maxLength: 30 }), (words) => {
        try {
          const set = parseAclFile(words.join(' '), 'f');
          rulesAllowPublish(bindRules(set, { deviceId: 'd', clientId: 'd' }), 'a/b');
        } catch (err) {
          assert.ok(err instanceof TopicRuleError && /^f:\d+: /.test(err.message), String(err));
        }
      }),
    );
  });
});

describe('topic rules on the running broker, with mosquitto clients', () => {
  const procs = new ProcessPool();
  let h: BrokerHarness;
  let plug: { username: string; password: string; clientId: string };
  before(async () => {
    h = await BrokerHarness.start({ topicRules: parseAclFile('pattern readwrite stat/%u/#\n', 'acl.conf') });
    const password = await h.credentials.add('plug1', 'sensor', { allow: ['write tele/%u/#'], deny: ['stat/%u/secret'] });
    plug = { username: 'plug1', password, clientId: 'plug1' };
    await h.credentials.add('plug2', 'sensor');
  });
  afterEach(() => procs.stopAll());
  after(() => h.stop());
  const as = (clientId: string) => connectArgs(h.port, { ...plug, clientId });

  it('mosquitto_sub gets a Tasmota-style topic it is allowed, and is refused one it is not', async () => {
    const sub = procs.spawn('mosquitto_sub', [...as('plug1:sub'), '-t', 'stat/plug1/POWER', '-C', '1', '-F', '%t %p']);
    await h.waitForEvent('subscribed', (e) => e.clientId === 'plug1:sub', 'SUBACK to plug1:sub');
    const pub = procs.spawn('mosquitto_pub', [...as('plug1'), '-q', '1', '-t', 'stat/plug1/POWER', '-m', 'ON']);
    assert.equal((await pub.waitForExit()).code, 0);
    assert.deepEqual(await sub.waitForLines(1), ['stat/plug1/POWER ON']);

    const refused = procs.spawn('mosquitto_sub', [...as('plug1:snoop'), '-t', 'stat/plug2/#']);
    const suback = await h.waitForEvent('subscribed', (e) => e.clientId === 'plug1:snoop', 'SUBACK to plug1:snoop');
    assert.deepEqual(suback.subscriptions, [{ filter: 'stat/plug2/#', qos: 128 }]);
    await refused.waitForExit();
    assert.match(refused.stderr, /denied/i);
  });

  it('a device add --deny rule refuses a publish the file would allow; a device without rules keeps the default', async () => {
    const denied = procs.spawn('mosquitto_pub', [...as('plug1:deny'), '-q', '1', '-t', 'stat/plug1/secret', '-m', 'x']);
    await denied.waitForExit();
    await h.waitForEvent('denied', (d) => d.topic === 'stat/plug1/secret' && /denied by device plug1 rule 2/.test(d.reason), 'the deny');
    const other = await h.credentials.add('plug3', 'sensor');
    const plain = procs.spawn('mosquitto_pub', [...connectArgs(h.port, { username: 'plug3', password: other, clientId: 'plug3' }), '-q', '1', '-t', 'tele/plug3/SENSOR', '-m', '{}']);
    await plain.waitForExit();
    await h.waitForEvent('denied', (d) => d.clientId === 'plug3' && d.topic === 'tele/plug3/SENSOR', 'the default refusing tele/ to a device without a rule');
    const viaFile = procs.spawn('mosquitto_pub', [...connectArgs(h.port, { username: 'plug3', password: other, clientId: 'plug3' }), '-q', '1', '-t', 'stat/plug3/POWER', '-m', 'OFF']);
    assert.equal((await viaFile.waitForExit()).code, 0, 'the file pattern applies to every device');
  });
});

// Keeps withDeviceRules honest: the device's own rules join its section without touching others'.
it('device rules join the device section only', () => {
  const set = parseAclFile('user a\ntopic read x\n', 'f');
  const merged = withDeviceRules(set, 'b', parseDeviceRules('b', { allow: ['y'], deny: [] }));
  assert.equal(merged.byDevice.get('a')!.length, 1);
  assert.equal(merged.byDevice.get('b')!.length, 1);
});

it('the gateway stops at start-up on a bad ACL file, naming the file, the line and the reason', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { readAclFile } = await import('../src/broker/acl-file.ts');
  const dir = mkdtempSync(join(tmpdir(), 'unibos-acl-'));
  try {
    const path = join(dir, 'acl.conf');
    writeFileSync(path, 'user plug1\ntopic write tele/plug1/#\ntopic raed cmnd/plug1/#\n');
    assert.throws(() => readAclFile(path), (err: Error & { code?: string }) => err.code === 'E_CONFIG' && err.message.includes(`${path}:3: unknown access 'raed'`));
    writeFileSync(path, 'user plug1\ntopic write tele/plug1/#\n');
    assert.equal(readAclFile(path).byDevice.get('plug1')!.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
