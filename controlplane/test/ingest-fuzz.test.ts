// Fuzzes the hub's ingest of untrusted gateway bytes: random and mutated topics, random bytes,
// mutated JSON and binary (0xFE) envelopes, bodies of wrong types, huge numbers, deep nesting,
// missing fields, packet ids out of range, a `from` that does not match the topic, garbage and
// far-future receive times. Ingest must never throw, always answer one outcome and count it
// once, and leave the stores readable and later valid messages working. Then one deterministic
// run over the real uplink: garbage in a gateway's outbox never holds up what follows it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import pino from 'pino';
import { encodeHubEnvelope } from '@unibos/mesh-protocol';
import { buildHubApp } from '../src/hub-app.ts';
import { hubConfigDefaults } from '../src/hub-config.ts';
import { INGEST_DROP_REASONS, type IngestOutcome, type IngestStats } from '../src/ingest/ingest-dispatcher.ts';
import { createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';
import { waitForEvent } from './support/hub-events.ts';

/** Fixed so a run is repeatable; FC_SEED=<n> explores others (a failure prints its seed and path). */
const SEED = Number(process.env.FC_SEED ?? 5_2026_11);
const NUM_RUNS = Number(process.env.FC_RUNS ?? 5000);

const ORG = 'org-fuzz';
const GW = '0000f022';
const OUTCOMES: readonly IngestOutcome[] = ['stored', 'live', 'duplicate', 'ignored', 'dropped'];

// ---- values a hostile or broken gateway might put anywhere --------------------------------

/** Placeholders a JSON text cannot express as a JS value; swapped for raw JSON text after stringify. */
const RAW_LITERALS: Record<string, string> = {
  '@HUGE@': '1e999',
  '@NHUGE@': '-1e999',
  '@BIGINT@': '123456789012345678901234567890123456789',
  '@TINY@': '1e-400',
  '@NEGZERO@': '-0',
};
const DEEP = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

function rawJson(value: unknown, deepDepth: number): string {
  let text = JSON.stringify(value) ?? 'null';
  for (const [k, v] of Object.entries(RAW_LITERALS)) text = text.split(JSON.stringify(k)).join(v);
  return text.split('"@DEEP@"').join(DEEP(deepDepth));
}

const placeholder = fc.constantFrom(...Object.keys(RAW_LITERALS), '@DEEP@');
const weirdNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(-1, 0, 1.5, 0x100000000, 2 ** 53 + 2, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER),
);
const weirdString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '0x10', ' 12 ', '', '\u0000', '__proto__', 'x'.repeat(5000)),
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: weirdNumber, weight: 3 },
  { arbitrary: weirdString, weight: 3 },
  { arbitrary: placeholder, weight: 2 },
  { arbitrary: fc.constantFrom(null, true, false, [], {}), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
);
const deepDepth = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 200 }), weight: 3 }, { arbitrary: fc.constantFrom(1000, 3000, 10_000, 30_000), weight: 2 });

const NODES = ['!cafe0001', '!cafe0002', '!00000000', '!ffffffff'];
const nodePart = fc.oneof(
  { arbitrary: fc.constantFrom(...NODES), weight: 6 },
  { arbitrary: fc.constantFrom('!CAFE0001', 'cafe0001', '!cafe000', '!cafe00011', '!gggggggg', '', '+', '#'), weight: 1 },
  { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
);
const KINDS = ['text', 'position', 'telemetry', 'alert', 'ack', 'info', 'neighbors', 'traceroute'];
const kindPart = fc.oneof({ arbitrary: fc.constantFrom(...KINDS), weight: 6 }, { arbitrary: fc.constantFrom('', '__proto__', 'constructor', 'routing', '+'), weight: 1 }, { arbitrary: fc.string({ maxLength: 20 }), weight: 1 });
const sensorPart = fc.oneof({ arbitrary: fc.constantFrom('garden', 'temperature', 'a.b:c-d_e'), weight: 4 }, { arbitrary: fc.constantFrom('x'.repeat(65), '', 'a b', '+'), weight: 1 }, { arbitrary: fc.string({ maxLength: 70 }), weight: 1 });
const gwPart = fc.oneof({ arbitrary: fc.constant(GW), weight: 6 }, { arbitrary: fc.constantFrom('0000f023', GW.toUpperCase(), '', '+'), weight: 1 }, { arbitrary: fc.string({ maxLength: 10 }), weight: 1 });
const gwLeaf = fc.oneof({ arbitrary: fc.constantFrom('status', 'rx', 'txstatus'), weight: 6 }, { arbitrary: fc.constantFrom('tx', '', 'status/extra'), weight: 1 }, { arbitrary: fc.string({ maxLength: 10 }), weight: 1 });

const validTopic = fc.oneof(
  fc.tuple(nodePart, kindPart).map(([n, k]) => `unibos/v1/mesh/${n}/${k}`),
  fc.tuple(sensorPart, sensorPart).map(([s, m]) => `unibos/v1/sensor/${s}/${m}`),
  fc.tuple(gwPart, gwLeaf).map(([g, l]) => `unibos/v1/gw/${g}/${l}`),
);
/** A plausible topic with one segment dropped, doubled, replaced, upper-cased or added. */
const mutatedTopic = fc.tuple(validTopic, fc.nat(), fc.constantFrom('drop', 'dup', 'replace', 'upper', 'extra'), fc.string({ maxLength: 10 })).map(([t, at, how, s]) => {
  const parts = t.split('/');
  const i = at % parts.length;
  if (how === 'drop') parts.splice(i, 1);
  else if (how === 'dup') parts.splice(i, 0, parts[i]!);
  else if (how === 'replace') parts[i] = s;
  else if (how === 'upper') parts[i] = parts[i]!.toUpperCase();
  else parts.push(s);
  return parts.join('/');
});
const anyTopic = fc.oneof({ arbitrary: validTopic, weight: 4 }, { arbitrary: mutatedTopic, weight: 2 }, { arbitrary: fc.string({ unit: 'binary', maxLength: 80 }), weight: 1 });

// ---- bodies and envelopes --------------------------------------------------------------------

const packetId = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 0xffffffff }), weight: 6 }, { arbitrary: fc.constantFrom(-1, 0x100000000, 1.5, 2 ** 53, '@HUGE@', '7', null), weight: 1 }, { arbitrary: anyValue, weight: 1 });
const NOW = Date.parse('2026-11-20T12:00:00Z');
const rxTime = fc.oneof(
  { arbitrary: fc.integer({ min: -3_600_000, max: 60_000 }).map((d) => new Date(NOW + d).toISOString()), weight: 4 },
  { arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), weight: 2 },
  { arbitrary: fc.constantFrom('+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '9999-12-31T23:59:59Z', '2026-02-30T00:00:00Z', '1970-01-01T00:00:00Z', 'garbage', ''), weight: 1 },
  { arbitrary: anyValue, weight: 1 },
);
/** A mesh document as the gateway's bridge writes it, each field possibly missing or of the wrong type. */
const meshDoc = fc.record(
  {
    from: fc.oneof({ arbitrary: fc.constant('@TOPIC@'), weight: 8 }, { arbitrary: fc.oneof(fc.constantFrom(...NODES), anyValue), weight: 1 }),
    id: packetId,
    rxTime,
    to: fc.oneof(fc.constant('broadcast'), anyValue),
    rssi: fc.oneof(fc.integer({ min: -140, max: 0 }), anyValue),
    snr: fc.oneof(fc.double({ min: -20, max: 20, noNaN: true }), anyValue),
    hops: fc.oneof(fc.integer({ min: 0, max: 7 }), anyValue),
    gatewayId: fc.oneof(fc.constant(GW), anyValue),
    text: anyValue,
    latitude: fc.oneof(fc.double({ min: -90, max: 90, noNaN: true }), anyValue),
    longitude: fc.oneof(fc.double({ min: -180, max: 180, noNaN: true }), anyValue),
    altitudeM: anyValue,
    batteryLevel: fc.oneof(fc.integer({ min: 0, max: 101 }), anyValue),
    voltage: anyValue,
    longName: anyValue,
    role: fc.oneof(fc.constantFrom('GATEWAY', 'CLIENT'), anyValue),
    level: fc.oneof(fc.constantFrom('SOS', 'SAFE', 'WARNING', 'UNSPECIFIED'), anyValue),
    position: fc.oneof(fc.record({ latitude: anyValue, longitude: anyValue }, { requiredKeys: [] }), anyValue),
    replyId: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), anyValue),
    error: fc.oneof(fc.constantFrom('NONE', 'NO_ROUTE'), anyValue),
    extra: anyValue,
  },
  { requiredKeys: [] },
);
const sensorBody = fc.oneof(
  weirdNumber.map(String),
  fc.constantFrom('21.5', '-0', '1e999', '-1e999', ' 21.5 ', 'on', 'NaN', '{"value":1e999}', '{"value":"7"}', '{"value":null}', '[]', 'null', '""'),
  fc.record({ value: anyValue, unit: anyValue }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }),
  fc.constant(`"${'y'.repeat(9000)}"`),
);
const statusBody = fc.oneof(fc.constantFrom('{"status":"online"}', '{"status":"offline"}', 'null', '[]', '"online"', '{"status":5}', '{}', ''), fc.record({ status: anyValue, gatewayId: anyValue }, { requiredKeys: [] }).map((v) => JSON.stringify(v)));
const txStatusBody = fc.record({ ref: fc.oneof(fc.uuid(), anyValue), status: fc.oneof(fc.constantFrom('queued', 'refused'), anyValue), packetId: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), anyValue), error: anyValue }, { requiredKeys: [] });

/** Few distinct ids, so repeats (and their 'duplicate' outcome) come up often. */
const envelopeId = fc.oneof({ arbitrary: fc.uuid(), weight: 4 }, { arbitrary: fc.constantFrom('dup-1', 'dup-2', 'dup-3'), weight: 2 }, { arbitrary: fc.string({ minLength: 1, maxLength: 40 }), weight: 1 });
const source = fc.oneof(fc.constantFrom('mesh:!cafe0001', 'sensor:garden', 'gateway'), fc.string({ maxLength: 20 }));

type Envelope = { kind: 'json'; id: string; source: string } | { kind: 'binary'; id: string; source: string } | { kind: 'badJson'; head: Record<string, unknown> } | { kind: 'badBinary'; version: number; idLen: number; srcLen: number; id: string; source: string } | { kind: 'none' };
const envelope: fc.Arbitrary<Envelope> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('json' as const), id: envelopeId, source }), weight: 8 },
  { arbitrary: fc.record({ kind: fc.constant('binary' as const), id: envelopeId, source }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('badJson' as const), head: fc.record({ id: fc.oneof(envelopeId, anyValue), source: fc.oneof(source, anyValue) }, { requiredKeys: [] }) }), weight: 1 },
  {
    arbitrary: fc.record({ kind: fc.constant('badBinary' as const), version: fc.integer({ min: 0, max: 255 }), idLen: fc.integer({ min: 0, max: 255 }), srcLen: fc.integer({ min: 0, max: 255 }), id: fc.string({ maxLength: 20 }), source: fc.string({ maxLength: 20 }) }),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 1 },
);

function wrap(env: Envelope, body: Buffer): Buffer {
  switch (env.kind) {
    case 'json':
      return encodeHubEnvelope({ msgId: env.id, source: env.source, format: 'json', payload: body });
    case 'binary': {
      const id = Buffer.from(env.id).subarray(0, 255);
      const src = Buffer.from(env.source).subarray(0, 255);
      return Buffer.concat([Buffer.from([0xfe, 0x01, id.length]), id, Buffer.from([src.length]), src, body]);
    }
    case 'badJson': {
      // Splices the body in like the real encoder, but around a head with fields missing or mistyped.
      const head = JSON.stringify(env.head);
      return Buffer.concat([Buffer.from(`${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"body":`), body, Buffer.from('}')]);
    }
    case 'badBinary':
      return Buffer.concat([Buffer.from([0xfe, env.version, env.idLen]), Buffer.from(env.id), Buffer.from([env.srcLen]), Buffer.from(env.source), body]);
    case 'none':
      return body;
  }
}

/** Byte-level damage to a payload: cut short, a byte changed, or bytes inserted. */
const damage = fc.oneof(
  { arbitrary: fc.constant(null), weight: 6 },
  { arbitrary: fc.tuple(fc.constant('truncate' as const), fc.nat(), fc.constant(0)), weight: 1 },
  { arbitrary: fc.tuple(fc.constant('flip' as const), fc.nat(), fc.integer({ min: 0, max: 255 })), weight: 1 },
  { arbitrary: fc.tuple(fc.constant('insert' as const), fc.nat(), fc.integer({ min: 0, max: 255 })), weight: 1 },
);
function applyDamage(payload: Buffer, d: ['truncate' | 'flip' | 'insert', number, number] | null): Buffer {
  if (!d || payload.length === 0) return payload;
  const [how, at, byte] = d;
  const i = at % payload.length;
  if (how === 'truncate') return payload.subarray(0, i);
  if (how === 'flip') return Buffer.concat([payload.subarray(0, i), Buffer.from([byte]), payload.subarray(i + 1)]);
  return Buffer.concat([payload.subarray(0, i), Buffer.from([byte]), payload.subarray(i)]);
}

interface Case {
  topic: string;
  payload: Buffer;
}

/** A counterexample printed as its topic and the start of its payload as text, not as a byte array. */
function fuzzCaseOf(topic: string, payload: Buffer): Case {
  const shown = payload.length > 300 ? `${payload.subarray(0, 300).toString('latin1')}... (${payload.length} bytes)` : payload.toString('latin1');
  return Object.assign({ topic, payload }, { [fc.toStringMethod]: () => `${JSON.stringify(topic)} <- ${JSON.stringify(shown)}` });
}

/** Topic and payload made for each other (so the deep paths run), or drawn independently. */
const fuzzCase: fc.Arbitrary<Case> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ node: nodePart, kind: kindPart, doc: meshDoc, env: envelope, depth: deepDepth, damage }).map(({ node, kind, doc, env, depth, damage: d }) => {
      const body = { ...doc } as Record<string, unknown>;
      if (body.from === '@TOPIC@') body.from = node;
      return fuzzCaseOf(`unibos/v1/mesh/${node}/${kind}`, applyDamage(wrap(env, Buffer.from(rawJson(body, depth))), d));
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ s: sensorPart, m: sensorPart, body: sensorBody, env: envelope, damage }).map(({ s, m, body, env, damage: d }) => fuzzCaseOf(`unibos/v1/sensor/${s}/${m}`, applyDamage(wrap(env, Buffer.from(body)), d))),
  },
  {
    weight: 1,
    arbitrary: fc.record({ g: gwPart, body: statusBody, damage }).map(({ g, body, damage: d }) => fuzzCaseOf(`unibos/v1/gw/${g}/status`, applyDamage(Buffer.from(body), d))),
  },
  {
    weight: 1,
    arbitrary: fc.record({ g: gwPart, body: txStatusBody, env: envelope, depth: deepDepth }).map(({ g, body, env, depth }) => fuzzCaseOf(`unibos/v1/gw/${g}/txstatus`, wrap(env, Buffer.from(rawJson(body, depth))))),
  },
  {
    weight: 2,
    arbitrary: fc.record({ topic: anyTopic, body: fc.oneof(fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null'))), env: envelope, damage }).map(({ topic, body, env, damage: d }) => fuzzCaseOf(topic, applyDamage(wrap(env, body), d))),
  },
);

// ---- the hub core under test -------------------------------------------------------------------

function countersOf(stats: IngestStats): Record<string, number> {
  return { stored: stats.stored, live: stats.liveOnly, duplicate: stats.duplicates, ignored: stats.ignored, ...Object.fromEntries(INGEST_DROP_REASONS.map((r) => [`dropped:${r}`, stats.drops[r]])) };
}

function counterDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).filter((k) => after[k] !== before[k]).map((k) => [k, after[k]! - before[k]!]));
}

function envelopeJson(id: string, body: unknown): Buffer {
  return encodeHubEnvelope({ msgId: id, source: 'test', format: 'json', payload: Buffer.from(JSON.stringify(body)) });
}

describe('hub ingest of untrusted gateway bytes (fast-check)', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-ingest-fuzz-'));
  let now = NOW;
  // The hub's features without its HTTP listener: ingest called directly, stores read back.
  let app: FastifyInstance;
  before(async () => {
    app = await buildHubApp({ ...hubConfigDefaults(dir), dedupWindowMs: 0, httpPort: 0, mqttPort: 0 }, { logger: pino({ level: 'silent' }), now: () => now });
    // The fuzz writes thousands of rows; durability per commit is not what is tested here.
    app.db.pragma('synchronous = OFF');
  });
  const core = {
    get ingest() {
      return app.ingest;
    },
    get records() {
      return app.records;
    },
    get fleet() {
      return app.fleet.store;
    },
    get sensors() {
      return app.sensors;
    },
    get alerts() {
      return app.alerts.store;
    },
  };
  const events = { after: (orgId: string, afterId: number, limit: number) => app.events.after(orgId, afterId, limit) };
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('never throws, always answers one outcome, and counts it exactly once (a drop under exactly one reason)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fuzzCase, ({ topic, payload }) => {
        now += 1000;
        const before = countersOf(core.ingest.stats);
        let outcome: IngestOutcome;
        try {
          outcome = core.ingest.handle(ORG, GW, topic, payload);
        } catch (err) {
          throw new Error(`ingest threw: ${(err as Error).stack?.split('\n').slice(0, 4).join(' | ')}`);
        }
        assert.ok(OUTCOMES.includes(outcome), `unknown outcome ${String(outcome)}`);
        const delta = counterDelta(before, countersOf(core.ingest.stats));
        const changed = Object.keys(delta);
        assert.equal(changed.length, 1, `one counter moves per message, not ${JSON.stringify(delta)} (outcome ${outcome})`);
        assert.equal(delta[changed[0]!], 1);
        assert.equal(changed[0]!.split(':')[0], outcome, `outcome ${outcome} but ${changed[0]} counted`);
        seen.add(changed[0]!);
      }),
      { seed: SEED, numRuns: NUM_RUNS, includeErrorInReport: true },
    );
    // The generators reach every branch, or this run proved little.
    for (const k of ['stored', 'duplicate', 'ignored', 'dropped:bad_topic', 'dropped:bad_envelope', 'dropped:bad_payload', 'dropped:foreign_gateway']) assert.ok(seen.has(k), `the fuzz never produced ${k}; seen ${[...seen].join(', ')}`);
  });

  test('what the fuzz stored reads back, and valid messages after it are stored and queryable', () => {
    // Everything the API would send about the org still reads and serialises.
    const records = core.records.query(ORG, { limit: 100_000 });
    assert.ok(records.length > 0);
    for (const r of records) JSON.stringify(r);
    for (const n of core.fleet.list(ORG, { limit: 100_000 })) JSON.stringify(n);
    for (const s of core.sensors.list(ORG)) JSON.stringify(s);
    for (const a of core.alerts.list(ORG, { limit: 100_000 })) JSON.stringify(a);
    for (const e of events.after(ORG, 0, 1_000_000)) JSON.stringify(e);

    now += 60_000;
    const before = core.ingest.stats.stored;
    const text = core.ingest.handle(ORG, GW, 'unibos/v1/mesh/!beef0001/text', envelopeJson('after-fuzz-1', { from: '!beef0001', to: 'broadcast', id: 4242, rxTime: new Date(now).toISOString(), rssi: -70, snr: 6, hops: 1, gatewayId: GW, text: 'after the storm' }));
    assert.equal(text, 'stored');
    const pos = core.ingest.handle(ORG, GW, 'unibos/v1/mesh/!beef0001/position', envelopeJson('after-fuzz-2', { from: '!beef0001', id: 4243, rxTime: new Date(now).toISOString(), latitude: 46.5, longitude: 7.25 }));
    assert.equal(pos, 'stored');
    const reading = core.ingest.handle(ORG, GW, 'unibos/v1/sensor/after-storm/temperature', envelopeJson('after-fuzz-3', 21.5));
    assert.equal(reading, 'stored');
    assert.equal(core.ingest.stats.stored, before + 3);
    const [stored] = core.records.query(ORG, { nodeId: '!beef0001', kind: 'text', limit: 10 });
    assert.equal(stored?.data.text, 'after the storm');
    assert.deepEqual(stored?.receptions.map((r) => [r.gatewayId, r.rssi]), [[`!${GW}`, -70]]);
    const node = core.fleet.get(ORG, '!beef0001');
    assert.equal(node?.online, true);
    assert.deepEqual([node?.position?.latitude, node?.position?.longitude], [46.5, 7.25]);
    assert.deepEqual(core.sensors.readings(ORG, 'after-storm', { limit: 10 }).map((r) => r.value), [21.5]);
    assert.equal(core.fleet.get(ORG, `!${GW}`)?.kind, 'gateway');
  });

  test('a sensor value beyond a double (1e999) is not stored as Infinity, which JSON cannot carry', () => {
    // Found by the fuzz: the API would show such a reading as null, with the text it came from lost.
    for (const [metric, payload] of [
      ['huge-json', '{"value":1e999}'],
      ['huge-text', '1e999'],
    ] as const) {
      const outcome = core.ingest.handle(ORG, GW, `unibos/v1/sensor/overflow/${metric}`, encodeHubEnvelope({ msgId: `overflow-${metric}`, source: 't', format: metric === 'huge-json' ? 'json' : 'binary', payload: Buffer.from(payload) }));
      assert.ok(outcome === 'stored' || outcome === 'dropped', outcome);
      for (const r of core.sensors.readings(ORG, 'overflow', { metric, limit: 10 })) {
        assert.ok(r.value === null || Number.isFinite(r.value), `${metric}: stored value ${r.value}`);
        if (r.value === null) assert.ok(JSON.stringify(r.raw ?? null).includes('1e999'), `${metric}: the reading kept neither a value nor the text it came from: ${JSON.stringify(r)}`);
      }
    }
  });

  test('a nesting deeper than JSON.stringify can recurse is dropped as a bad payload, not thrown', () => {
    // Found by the fuzz; kept as a plain case so it reads as what it is.
    for (const [topic, payload] of [
      ['unibos/v1/mesh/!cafe0001/text', `{"from":"!cafe0001","id":99,"text":"x","extra":${DEEP(20_000)}}`],
      ['unibos/v1/sensor/garden/deep', DEEP(20_000)],
    ] as const) {
      const before = core.ingest.stats.drops.bad_payload;
      let outcome: IngestOutcome | undefined;
      assert.doesNotThrow(() => {
        outcome = core.ingest.handle(ORG, GW, topic, encodeHubEnvelope({ msgId: `deep-${topic}`, source: 't', format: 'json', payload: Buffer.from(payload) }));
      }, `ingest threw on ${topic}`);
      assert.equal(outcome, 'dropped');
      assert.equal(core.ingest.stats.drops.bad_payload, before + 1);
    }
  });
});

test('garbage in a gateway\u2019s outbox is acknowledged and counted, and never holds up what was queued after it', { timeout: 60_000 }, async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const stats = hub.app.ingest.stats;
  const dropsBefore = INGEST_DROP_REASONS.reduce((n, r) => n + stats.drops[r], 0);
  const garbage: Array<{ what: string; topic: string; payload: string | Uint8Array }> = [
    { what: 'not JSON on a mesh topic', topic: 'unibos/v1/mesh/!dead0001/text', payload: 'this is not json {' },
    { what: 'raw bytes on a mesh topic', topic: 'unibos/v1/mesh/!dead0001/position', payload: new Uint8Array([0xfe, 0x00, 0xff, 0x10, 0x80]) },
    { what: 'a JSON null', topic: 'unibos/v1/mesh/!dead0001/text', payload: 'null' },
    { what: 'from not matching the topic', topic: 'unibos/v1/mesh/!dead0001/text', payload: '{"from":"!dead0002","id":1,"text":"spoof"}' },
    { what: 'a packet id out of range', topic: 'unibos/v1/mesh/!dead0001/text', payload: '{"from":"!dead0001","id":4294967296,"text":"big"}' },
    { what: 'a nesting too deep to serialise', topic: 'unibos/v1/mesh/!dead0001/text', payload: `{"from":"!dead0001","id":2,"text":"deep","x":${DEEP(20_000)}}` },
  ];
  for (const g of garbage) gw.outbox.add({ source: 'fuzz', topic: g.topic, payload: g.payload });
  // What the hub's sensor rules refuse, the gateway refuses at its door (the same definition), so it never reaches the queue.
  assert.throws(
    () => gw.outbox.add({ source: 'fuzz', topic: 'unibos/v1/sensor/garden/blob', payload: `"${'z'.repeat(9000)}"` }),
    (err: unknown) => (err as { refusal?: string }).refusal === 'bad_payload',
    'a sensor value too large to keep is refused by the outbox',
  );
  gw.mesh('!dead0001', 'text', { text: 'after the garbage' }, { packetId: 7 });
  gw.sensor('after-garbage', 'temperature', '19.5');

  // One connection keeps order: once the reading (queued last) is in, everything before it was handled.
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'after-garbage', { what: 'the reading queued after the garbage' });
  const text = await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.text' && (e.data as { packetId: number }).packetId === 7, { what: 'the text queued after the garbage' });
  assert.equal((text.data as { data: { text: string } }).data.text, 'after the garbage');
  const res = await fetch(`${hub.url}/api/v1/records?node=!dead0001`, { headers: { authorization: `Bearer ${admin.accessToken}` } });
  const records = (await res.json()) as { items: Array<{ packetId: number; data: { text: string } }> };
  assert.deepEqual(records.items.map((r) => [r.packetId, r.data.text]), [[7, 'after the garbage']], 'none of the garbage became a record');

  // The hub acknowledged everything (the outbox drains; a refusal would be resent forever).
  await gw.uplink.stop({ timeoutMs: 5000 });
  assert.equal(gw.outbox.size, 0, 'every message was acknowledged');
  assert.equal(gw.uplink.stats.connects, 1, 'the hub never dropped the connection');
  const dropped = INGEST_DROP_REASONS.reduce((n, r) => n + stats.drops[r], 0) - dropsBefore;
  assert.equal(dropped, garbage.length, `each bad message is counted as dropped once: ${JSON.stringify(stats.drops)}`);
});
