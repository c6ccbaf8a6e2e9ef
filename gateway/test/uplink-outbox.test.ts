// The hub outbox on its own (durability, bounds, idempotent ids, refusals), the envelope the hub
// decodes (exact bytes, and a fuzzed decoder that never throws anything but its own error), and
// the reconnect backoff.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { HUB_ENVELOPE_MAGIC, MeshError, decodeHubEnvelope, detectHubEnvelopeFormat, encodeHubEnvelope } from '@unibos/mesh-protocol';
import { HubOutbox, type HubOutboxOptions, type NewHubMessage } from '../src/uplink/hub-outbox.ts';
import { ReconnectBackoff } from '../src/uplink/reconnect-backoff.ts';
import { UplinkError } from '../src/uplink/uplink-error.ts';

function tempDb(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-outbox-'));
  const path = join(dir, 'gateway.db');
  const open = (): Database.Database => {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    return db;
  };
  const opened: Database.Database[] = [];
  t.after(() => {
    for (const db of opened) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    open: (): Database.Database => {
      const db = open();
      opened.push(db);
      return db;
    },
  };
}

let clock = 1_700_000_000_000;
const opts = (extra: HubOutboxOptions = {}): HubOutboxOptions => ({ now: () => clock++, ...extra });
const sensor = (n: number, extra: Partial<NewHubMessage> = {}): NewHubMessage => ({
  source: 'sensor:abc',
  topic: 'unibos/v1/sensor/abc/temp',
  payload: JSON.stringify({ n }),
  ...extra,
});

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof UplinkError && err.code === code);
}

test('add() is committed when it returns: another connection sees it, and it survives reopening', (t) => {
  const files = tempDb(t);
  const db = files.open();
  const outbox = new HubOutbox(db, opts());
  const r = outbox.add(sensor(1, { retain: true, qos: 0 }));
  const other = files.open();
  assert.equal((other.prepare('SELECT COUNT(*) AS n FROM hub_outbox').get() as { n: number }).n, 1);
  outbox.add({ source: 'mesh:!1a2b3c4d', topic: 'unibos/v1/gw/gw1/rx', payload: new Uint8Array([0, 1, 2]) });
  db.close();

  const reopened = new HubOutbox(files.open(), opts());
  const rows = reopened.peek(10);
  assert.equal(reopened.size, 2);
  assert.deepEqual(
    rows.map((m) => [m.seq, m.msgId, m.source, m.format, m.qos, m.retain]),
    [
      [r.seq, r.msgId, 'sensor:abc', 'json', 0, true],
      [r.seq + 1, rows[1]!.msgId, 'mesh:!1a2b3c4d', 'binary', 1, false],
    ],
  );
  assert.deepEqual([...rows[1]!.payload], [0, 1, 2]);
});

test('peek pages in seq order; ack removes only what is there', (t) => {
  const outbox = new HubOutbox(tempDb(t).open(), opts());
  const receipts = outbox.addMany(Array.from({ length: 10 }, (_, n) => sensor(n)));
  assert.deepEqual(
    outbox.peek(3, receipts[4]!.seq).map((m) => m.seq),
    receipts.slice(5, 8).map((r) => r.seq),
  );
  assert.equal(outbox.ack(receipts[0]!.seq), true);
  assert.equal(outbox.ack(receipts[0]!.seq), false);
  assert.equal(outbox.ackMany(receipts.slice(0, 5).map((r) => r.seq)), 4);
  assert.equal(outbox.size, 5);
  assert.equal(outbox.stats.acked, 5);
});

test('a msgId already queued is not queued twice', (t) => {
  const outbox = new HubOutbox(tempDb(t).open(), opts());
  const a = outbox.add(sensor(1, { msgId: 'gw1:frame:42' }));
  const b = outbox.add(sensor(1, { msgId: 'gw1:frame:42' }));
  assert.deepEqual(b, { seq: a.seq, msgId: 'gw1:frame:42', duplicate: true });
  assert.equal(outbox.size, 1);
  assert.equal(outbox.stats.duplicates, 1);
});

test('bounded by count: the oldest go first, even within one burst, and each drop is reported', (t) => {
  const outbox = new HubOutbox(tempDb(t).open(), opts({ maxMessages: 5 }));
  const drops: number[] = [];
  outbox.onDrop((d) => drops.push(d.count));
  const receipts = outbox.addMany(Array.from({ length: 8 }, (_, n) => sensor(n)));
  assert.deepEqual(
    outbox.peek(10).map((m) => m.seq),
    receipts.slice(3).map((r) => r.seq),
  );
  outbox.add(sensor(8));
  assert.deepEqual(drops, [3, 1]);
  assert.equal(outbox.stats.droppedFull, 4);
  assert.equal(outbox.size, 5);
});

test('full with nothing but urgent rows: acks and answers make room before an SOS, however old the SOS', (t) => {
  const outbox = new HubOutbox(tempDb(t).open(), opts({ maxMessages: 5 }));
  const mesh = (n: number, urgency: 0 | 1 | 2) => ({ source: `mesh:!0000be${String(n).padStart(2, '0')}`, topic: `unibos/v1/mesh/!0000be${String(n).padStart(2, '0')}/alert`, payload: `{"n":${n}}`, lane: 'urgent' as const, urgency });
  const sos = outbox.add(mesh(0, 2));
  for (let n = 1; n <= 3; n++) outbox.add(mesh(n, 1));
  for (let n = 4; n <= 9; n++) outbox.add(mesh(n, 0));
  const kept = outbox.peek(10);
  assert.equal(kept.length, 5);
  assert.ok(kept.some((m) => m.msgId === sos.msgId), 'the oldest row, an SOS, is kept');
  assert.deepEqual(kept.map((m) => m.rank).sort(), [0, 1, 1, 1, 2], 'the acks went first, the newest kept');
});

test('bounded by bytes: totals match the table, and a message larger than the bound is refused', (t) => {
  const files = tempDb(t);
  const db = files.open();
  const outbox = new HubOutbox(db, opts({ maxBytes: 1000 }));
  for (let n = 0; n < 100; n++) outbox.add(sensor(n, { payload: 'x'.repeat(n % 40) }));
  const actual = db.prepare('SELECT COUNT(*) AS n, SUM(size) AS b FROM hub_outbox').get() as { n: number; b: number };
  assert.deepEqual({ n: outbox.size, b: outbox.bytes }, { n: actual.n, b: actual.b });
  assert.ok(outbox.bytes <= 1000 && outbox.bytes > 900, `bytes ${outbox.bytes}`);
  assert.ok(outbox.stats.droppedFull > 0 && outbox.stats.droppedFullBytes > 0);
  const seqs = outbox.peek(1000).map((m) => m.seq);
  assert.equal(seqs.at(-1)! - seqs[0]! + 1, seqs.length, 'what remains is the newest run, without holes');
  rejects(() => outbox.add(sensor(0, { payload: 'x'.repeat(1000) })), 'E_OUTBOX_TOO_LARGE');

  // Totals are kept by triggers, so rows removed by another process are reflected too.
  files.open().prepare('DELETE FROM hub_outbox WHERE seq = ?').run(seqs[0]!);
  assert.equal(outbox.size, actual.n - 1);
});

test('refuses what the hub broker would refuse, and a bad burst writes nothing', (t) => {
  const outbox = new HubOutbox(tempDb(t).open(), opts({ maxPayloadBytes: 100 }));
  rejects(() => outbox.add(sensor(1, { topic: 'unibos/v1/sensor/+/temp' })), 'E_OUTBOX_INVALID');
  rejects(() => outbox.add(sensor(1, { topic: 'unibos/v1/#' })), 'E_OUTBOX_INVALID');
  rejects(() => outbox.add(sensor(1, { topic: '' })), 'E_OUTBOX_INVALID');
  rejects(() => outbox.add(sensor(1, { topic: '$SYS/x' })), 'E_OUTBOX_INVALID');
  rejects(() => outbox.add(sensor(1, { source: '' })), 'E_OUTBOX_INVALID');
  rejects(() => outbox.add(sensor(1, { source: 's'.repeat(256) })), 'E_OUTBOX_INVALID');
  rejects(() => outbox.add(sensor(1, { msgId: '' })), 'E_OUTBOX_INVALID');
  rejects(() => outbox.add(sensor(1, { msgId: 'id-\ud800' })), 'E_OUTBOX_INVALID');
  rejects(() => outbox.add(sensor(1, { qos: 3 as 0 })), 'E_OUTBOX_INVALID');
  rejects(() => outbox.add(sensor(1, { payload: 'not json', format: 'json' })), 'E_OUTBOX_INVALID');
  rejects(() => outbox.add(sensor(1, { payload: 'y'.repeat(101) })), 'E_OUTBOX_TOO_LARGE');
  rejects(() => outbox.addMany([sensor(1), sensor(2, { topic: 'a/#' }), sensor(3)]), 'E_OUTBOX_INVALID');
  assert.equal(outbox.size, 0);
  assert.throws(() => new HubOutbox(tempDb(t).open(), { maxMessages: 0 }), /maxMessages/);
});

test('JSON envelope splices the original JSON text in unchanged', () => {
  const bytes = encodeHubEnvelope({ msgId: 'id-1', source: 'sensor:abc', format: 'json', payload: Buffer.from('{ "t": 21.50 }') });
  assert.equal(bytes.toString('utf8'), '{"id":"id-1","source":"sensor:abc","body":{ "t": 21.50 }}');
  assert.deepEqual(decodeHubEnvelope(bytes), { format: 'json', id: 'id-1', source: 'sensor:abc', body: { t: 21.5 } });
  assert.equal(detectHubEnvelopeFormat(Buffer.from('21.5')), 'json', 'a plain number is JSON');
  assert.equal(detectHubEnvelopeFormat(Buffer.from('on')), 'binary');
  assert.equal(detectHubEnvelopeFormat(Buffer.from('\ufeff{}')), 'binary', 'a BOM would not survive splicing');
  assert.equal(detectHubEnvelopeFormat(Buffer.from([0x22, 0xff, 0x22])), 'binary', 'invalid UTF-8 is not text');
  assert.equal(detectHubEnvelopeFormat(Buffer.alloc(0)), 'binary');
});

test('binary envelope layout: magic, version, id and source length-prefixed, then the frame', () => {
  const bytes = encodeHubEnvelope({ msgId: 'ab', source: 'm', format: 'binary', payload: Buffer.from([9, 8]) });
  assert.deepEqual([...bytes], [HUB_ENVELOPE_MAGIC, 0x01, 2, 0x61, 0x62, 1, 0x6d, 9, 8]);
  const env = decodeHubEnvelope(bytes);
  assert.equal(env.format, 'binary');
  assert.deepEqual([...(env.body as Uint8Array)], [9, 8]);
  for (const bad of [[0xfe], [0xfe, 0x02, 1, 0x61, 0], [0xfe, 0x01, 0, 0], [0xfe, 0x01, 5, 0x61], [0x7b, 0x7d], [0x5b, 0x5d]]) {
    assert.throws(() => decodeHubEnvelope(Uint8Array.from(bad)), (e: unknown) => e instanceof MeshError && e.code === 'E_ENVELOPE_INVALID');
  }
});

const field = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 });

test('envelopes round-trip for any id, source and payload', () => {
  fc.assert(
    fc.property(field, field, fc.uint8Array({ maxLength: 200 }), (msgId, source, payload) => {
      const env = decodeHubEnvelope(encodeHubEnvelope({ msgId, source, format: 'binary', payload }));
      assert.deepEqual([env.id, env.source, [...(env.body as Uint8Array)]], [msgId, source, [...payload]]);
    }),
  );
  fc.assert(
    fc.property(field, field, fc.json(), (msgId, source, json) => {
      const payload = Buffer.from(json, 'utf8');
      assert.equal(detectHubEnvelopeFormat(payload), 'json');
      const env = decodeHubEnvelope(encodeHubEnvelope({ msgId, source, format: 'json', payload }));
      assert.deepEqual([env.id, env.source, env.body], [msgId, source, JSON.parse(json)]);
    }),
  );
});

test('decoding arbitrary bytes returns an envelope or E_ENVELOPE_INVALID, nothing else', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 80 }),
    fc.uint8Array({ maxLength: 80 }).map((b) => Uint8Array.from([HUB_ENVELOPE_MAGIC, 0x01, ...b])),
    fc.json().map((j) => Buffer.from(j)),
  );
  fc.assert(
    fc.property(bytes, (b) => {
      try {
        const env = decodeHubEnvelope(b);
        assert.ok(env.id.length > 0);
      } catch (err) {
        assert.ok(err instanceof MeshError && err.code === 'E_ENVELOPE_INVALID', String(err));
      }
    }),
    { numRuns: 2000 },
  );
});

test('reconnect backoff doubles with jitter up to the cap and resets', () => {
  let r = 0;
  const b = new ReconnectBackoff({ minMs: 100, maxMs: 1000, random: () => r });
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 500, 500, 500]);
  r = 0.999;
  assert.equal(b.next(), 1000);
  b.reset();
  assert.equal(b.next(), 200);
  r = 0;
  assert.equal(b.next(), 200);
  assert.throws(() => new ReconnectBackoff({ minMs: 0, maxMs: 10 }), RangeError);
});

test('the first reconnect after an outage is jittered too: gateways that lost the hub together do not all return at minMs', () => {
  const first = (r: number) => new ReconnectBackoff({ minMs: 1000, maxMs: 30_000, random: () => r }).next();
  const spread = [0, 0.25, 0.5, 0.75, 0.999].map(first);
  assert.equal(new Set(spread).size, spread.length, `first delays for different draws: ${spread.join(', ')} ms`);
  assert.ok(spread.every((ms) => ms >= 1000 && ms <= 2000), `within [minMs, 2 x minMs]: ${spread.join(', ')} ms`);
});

test('how long a row was held is known to every process of the boot: the gateway after a restart, a dead letter put back by hand, by the automatic retry or by the CLI, its time as a letter included; across a reboot only what was held before', (t) => {
  const files = tempDb(t);
  // The machine's monotonic clock, shared by every process of the boot.
  let mono = 1_000;
  const machine = (extra: HubOutboxOptions = {}) => new HubOutbox(files.open(), opts({ monotonic: () => mono, bootId: 'boot-1', ...extra }));
  const outbox = machine();
  const reading = outbox.add(sensor(1));
  const sos = outbox.add({ source: 'mesh:!0000beef', topic: 'unibos/v1/mesh/!0000beef/alert', payload: '{}', lane: 'urgent' });
  const other = outbox.add(sensor(2));
  const kept = outbox.add(sensor(3));
  mono += 60_000;
  // The gateway restarts: the new process reads how long a row queued by the old one was held.
  const restarted = machine();
  const find = (box: HubOutbox, msgId: string) => box.peek(10).find((m) => m.msgId === msgId)!;
  assert.equal(restarted.heldMs(find(restarted, kept.msgId)), 60_000);
  assert.equal(restarted.heldIsExact(find(restarted, kept.msgId)), true, 'queued on this boot, never a letter: the whole time');
  for (const r of [reading, sos, other]) assert.ok(restarted.deadLetter(r.seq, 'refused'));
  mono += 3_600_000;

  // The hub was fixed an hour later: put back here, the hour as a letter counts.
  assert.equal(restarted.requeueDeadLetters([reading.seq]), 1);
  const back = find(restarted, reading.msgId);
  assert.ok(back.seq !== reading.seq, 'a new row');
  assert.equal(restarted.heldMs(back), 3_660_000, 'held since it was first queued, its hour as a dead letter included');
  assert.equal(restarted.heldIsExact(back), false, 'a letter put back: a lower bound (its time as a letter may span a reboot)');
  mono += 5_000;
  assert.equal(restarted.heldMs(back), 3_665_000, 'and on since it went back');
  // The urgent one goes back by itself.
  assert.ok(restarted.retryDeadLetter(sos.seq));
  assert.equal(restarted.heldMs(find(restarted, sos.msgId)), 3_665_000);
  // The CLI (another process of the same boot, its own outbox on the same file) puts the other back.
  assert.equal(machine().requeueDeadLetters('all'), 1);
  mono += 1_000;
  assert.equal(restarted.heldMs(find(restarted, other.msgId)), 3_666_000, 'the gateway reads it just as exactly');

  // After a reboot the monotonic clock starts again: a row queued before it has no hold known, a
  // letter put back keeps what it was held before it failed.
  mono = 500;
  const rebooted = machine({ bootId: 'boot-2' });
  assert.equal(rebooted.heldMs(find(rebooted, kept.msgId)), undefined);
  assert.equal(rebooted.heldMs(find(rebooted, reading.msgId)), 3_660_000, 'held before it went back; the time since is not known');
  assert.equal(rebooted.heldIsExact(find(rebooted, reading.msgId)), false);
  assert.ok(rebooted.deadLetter(find(rebooted, reading.msgId).seq, 'refused again'));
  mono += 2_000;
  assert.equal(rebooted.requeueDeadLetters('all'), 1);
  mono += 1_000;
  assert.equal(rebooted.heldMs(find(rebooted, reading.msgId)), 3_663_000, 'what it was held before, and its time on this boot');
});

test('addEach leaves out alone what it refuses, with the hub\u2019s reason, and queues the rest in one transaction', (t) => {
  const outbox = new HubOutbox(tempDb(t).open(), opts());
  const good = { source: 'sensor:z', topic: 'unibos/v1/sensor/z:plug/power', payload: JSON.stringify({ value: 5 }) };
  const text = { source: 'sensor:z', topic: 'unibos/v1/sensor/z:plug/note', payload: JSON.stringify({ value: 'x'.repeat(9_000) }) };
  let commits = 0;
  outbox.onAdded(() => commits++);
  const [kept, refused, also] = outbox.addEach([good, text, { ...good, topic: 'unibos/v1/sensor/z:plug/energy' }]);
  assert.ok(!(kept instanceof UplinkError) && !(also instanceof UplinkError));
  assert.ok(refused instanceof UplinkError && refused.refusal === 'bad_payload', String(refused));
  assert.deepEqual(outbox.peek(10).map((m) => m.topic), ['unibos/v1/sensor/z:plug/power', 'unibos/v1/sensor/z:plug/energy']);
  assert.equal(commits, 1);
  assert.deepEqual(outbox.addEach([text]).map((r) => r instanceof UplinkError), [true], 'nothing to queue: nothing written');
  assert.equal(commits, 1);
});

test('an outbox an older gateway left (no per-bucket totals) is upgraded in place: when full, the bucket holding the most makes room', (t) => {
  const files = tempDb(t);
  const old = files.open();
  const outbox = new HubOutbox(old, opts());
  outbox.addMany(Array.from({ length: 6 }, (_, n) => sensor(n, { source: 'sensor:chatty', topic: 'unibos/v1/sensor/chatty/temp' })));
  outbox.add(sensor(100, { source: 'mesh:!1a2b3c4d', topic: 'unibos/v1/mesh/!1a2b3c4d/text' }));
  // As it was before the buckets existed: no bucket column, per-source totals kept by triggers.
  old.exec(`DROP TRIGGER hub_outbox_bucket_in; DROP TRIGGER hub_outbox_bucket_out; DROP TABLE hub_outbox_bucket_totals;
    DROP INDEX hub_outbox_lane_bucket_seq; DROP INDEX hub_outbox_urgent_victims; ALTER TABLE hub_outbox DROP COLUMN bucket;
    CREATE TABLE hub_outbox_source_totals (source TEXT NOT NULL, lane INTEGER NOT NULL, messages INTEGER NOT NULL, bytes INTEGER NOT NULL, PRIMARY KEY (source, lane));
    CREATE TRIGGER hub_outbox_source_in AFTER INSERT ON hub_outbox BEGIN
      INSERT INTO hub_outbox_source_totals (source, lane, messages, bytes) VALUES (NEW.source, NEW.lane, 1, NEW.size)
        ON CONFLICT (source, lane) DO UPDATE SET messages = messages + 1, bytes = bytes + NEW.size;
    END;`);
  old.close();
  const db = files.open();
  const upgraded = new HubOutbox(db, opts({ maxMessages: 7 }));
  upgraded.add(sensor(200, { source: 'sensor:other', topic: 'unibos/v1/sensor/other/temp' }));
  assert.equal(upgraded.size, 7);
  assert.deepEqual(
    upgraded.peek(10).map((m) => m.source),
    [...Array(5).fill('sensor:chatty'), 'mesh:!1a2b3c4d', 'sensor:other'],
    'the chatty sensor lost its oldest; the mesh text, older than most of what is kept, stays',
  );
  assert.equal(db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name LIKE 'hub_outbox_source%'").pluck().get(), 0, 'the per-source totals are gone');
  // Opened again, as at every start: the bucket column is there already.
  assert.equal(new HubOutbox(files.open(), opts({ maxMessages: 7 })).size, 7);
});
