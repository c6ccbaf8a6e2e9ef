// The SOS stage model and its wire form: stages only move forward, the answer stays small, and
// frames from before the stage field (and to receivers from before it) keep decoding.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { MAX_DATA_BYTES } from '../src/frame/header.ts';
import { decodeData, encodeData } from '../src/frame/schema.ts';
import { SOS_BY_MAX_CHARS, SOS_STAGES, laterSosStage, shortSosBy, sosStageAdvances, sosStageOf, sosStageRouting } from '../src/hub/sos-stage.ts';

test('stages are ordered sent < gateway < hub < acknowledged < resolved and only move forward', () => {
  assert.deepEqual([...SOS_STAGES], ['sent', 'gateway', 'hub', 'acknowledged', 'resolved']);
  assert.equal(sosStageAdvances(null, 'sent'), true);
  assert.equal(sosStageAdvances('hub', 'gateway'), false, 'a late gateway answer never moves an SOS back');
  assert.equal(sosStageAdvances('hub', 'hub'), false, 'a repeat changes nothing');
  assert.equal(sosStageAdvances('gateway', 'resolved'), true, 'stages may be skipped');
  assert.equal(laterSosStage('acknowledged', 'hub'), 'acknowledged');
});

test('a stage answer round-trips in a small frame, with a short "by"', () => {
  const long = 'ayse.yilmaz-the-duty-officer@valley-rescue.example.org';
  const data = { routing: sosStageRouting({ stage: 'acknowledged', timeMs: 1_800_000_123_456, by: long }), replyId: 0xdeadbeef };
  const bytes = encodeData(data);
  assert.ok(bytes.length <= 48, `stage answer is ${bytes.length} bytes`);
  assert.ok(bytes.length <= MAX_DATA_BYTES);
  const back = decodeData(bytes);
  assert.equal(back.replyId, 0xdeadbeef);
  const report = sosStageOf(back.routing!);
  assert.equal(report?.stage, 'acknowledged');
  assert.equal(report?.timeMs, 1_800_000_123_000);
  assert.equal([...report!.by].length, SOS_BY_MAX_CHARS);
  assert.equal(shortSosBy('Ayse'), 'Ayse');
});

test('a plain ack has no stage; an unknown stage from a newer sender is ignored, not refused', () => {
  const plain = decodeData(encodeData({ routing: { error: 'NONE' }, replyId: 7 }));
  assert.deepEqual(plain.routing, { error: 'NONE' }, 'old frames decode exactly as before');
  assert.equal(sosStageOf(plain.routing!), null);
  // Field 1 of SosProgress set to 42 by hand: routing { sos { stage: 42 } }.
  const sos = Uint8Array.of(0x08, 42);
  const routing = Uint8Array.of(0x12, sos.length, ...sos);
  const future = decodeData(Uint8Array.of(0x32, routing.length, ...routing));
  assert.equal(future.routing?.sos?.stage, 'UNSPECIFIED');
  assert.equal(sosStageOf(future.routing!), null);
});

test('a receiver built before the stage field reads the answer as a plain ack', () => {
  const proto = readFileSync(new URL('../proto/data.proto', import.meta.url), 'utf8');
  // The schema as it was: Routing without its sos field, and no SosProgress message.
  const old = proto.replace(/\n  \/\/ Set only on the answer to an SOS[\s\S]*?SosProgress sos = 2;/, '').replace(/\n\/\/ One stage of an SOS[\s\S]*?\n}\n/, '\n');
  assert.doesNotMatch(old, /SosProgress/);
  const root = protobuf.parse(old).root;
  const OldData = root.lookupType('unibos.v1.Data');
  const bytes = encodeData({ routing: sosStageRouting({ stage: 'hub', timeMs: 0, by: '' }), replyId: 99 });
  const decoded = OldData.toObject(OldData.decode(bytes), { defaults: true }) as { routing?: { error: number }; replyId: number };
  assert.deepEqual(decoded.routing, { error: 0 });
  assert.equal(decoded.replyId, 99);
});
