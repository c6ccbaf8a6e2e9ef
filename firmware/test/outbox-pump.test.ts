// The outbox pump on its own, between a real durable outbox and a router that only records what it
// is handed: alerts never wait behind texts, nothing leaves while the radio is down, and a message
// the radio could not send stays on disk and goes again soon without counting as an attempt.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { BROADCAST, SeededRandom, SimScheduler, type Data } from '@unibos/mesh-protocol';
import { FirmwareError } from '../src/firmware-error.ts';
import { openNodeDb, type Db } from '../src/node/node-db.ts';
import { Outbox, type OutboxDrop } from '../src/node/outbox.ts';
import { OutboxPump, type PumpRouter } from '../src/node/outbox-pump.ts';

const dirs: string[] = [];
const dbs: Db[] = [];
after(() => {
  for (const db of dbs) db.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function rig(options: { radioUp?: boolean; neighbours?: number[]; hubDevices?: number[]; maxMessages?: number; onDrop?: (d: OutboxDrop) => void; refuse?: (data: Data) => boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-pump-'));
  dirs.push(dir);
  const db = openNodeDb(join(dir, 'node.db'));
  dbs.push(db);
  const writeErrors: unknown[] = [];
  const outbox = new Outbox(db, { onWriteError: (err) => writeErrors.push(err), ...(options.maxMessages ? { maxMessages: options.maxMessages } : {}), ...(options.onDrop ? { onDrop: options.onDrop } : {}) });
  const scheduler = new SimScheduler(1_000_000);
  const handed: Array<{ to: number; data: Data; id: number | undefined }> = [];
  const router: PumpRouter = {
    send: (to, data, opts = {}) => {
      if (options.refuse?.(data)) throw new RangeError('E_FRAME_TOO_LARGE');
      handed.push({ to, data, id: opts.id });
      return opts.id ?? 0;
    },
    neighbors: { direct: () => (options.neighbours ?? []).map((nodeId) => ({ nodeId })) as unknown as ReturnType<PumpRouter['neighbors']['direct']> },
  };
  const radio = { up: options.radioUp ?? true };
  const pump = new OutboxPump({
    outbox,
    router,
    scheduler,
    random: new SeededRandom(7),
    clock: () => scheduler.now(),
    canSend: () => radio.up,
    ...(options.hubDevices ? { isHubDevice: (id: number) => options.hubDevices!.includes(id) } : {}),
    log: pino({ level: 'silent' }),
  });
  return { db, outbox, pump, scheduler, handed, radio, writeErrors };
}

const texts = (handed: Array<{ data: Data }>) => handed.map((h) => h.data.text ?? h.data.alert?.text);

test('an alert goes to the router while a text is in flight; the next text waits for the first', () => {
  const { pump, handed, outbox } = rig();
  const first = pump.enqueue(0x10, { text: 'one' }, 'text');
  pump.enqueue(0x10, { text: 'two' }, 'text');
  pump.enqueue(0x10, { alert: { level: 'SOS', text: 'help', magnitudeX10: 0 } }, 'alert');
  assert.deepEqual(texts(handed), ['one', 'help']);
  pump.acknowledged(first, 0x10);
  assert.deepEqual(texts(handed), ['one', 'help', 'two']);
  assert.equal(outbox.size, 2);
  assert.equal(pump.inFlightCount, 2);
});

test('a text to a node that never answers holds only its own destination: texts to others go meanwhile, in order each', () => {
  const { pump, handed } = rig();
  const gone = 0xdeadbeef;
  const lost = [pump.enqueue(gone, { text: 'gone 1' }, 'text'), pump.enqueue(gone, { text: 'gone 2' }, 'text')];
  pump.enqueue(0x10, { text: 'clinic 1' }, 'text');
  pump.enqueue(0x10, { text: 'clinic 2' }, 'text');
  pump.enqueue(BROADCAST, { text: 'all' }, 'text');
  pump.enqueue(0x20, { text: 'farm' }, 'text');
  // Three at once, one per destination, oldest first; the rest of each destination waits its turn.
  assert.deepEqual(texts(handed), ['gone 1', 'clinic 1', 'all']);
  // Unanswered: it waits its backoff, and the next due texts take the free turns.
  pump.notDelivered(lost[0]!, 'MAX_RETRANSMIT');
  assert.deepEqual(texts(handed), ['gone 1', 'clinic 1', 'all', 'gone 2']);
  pump.acknowledged(handed[1]!.id!, 0x10);
  assert.deepEqual(texts(handed).slice(4), ['clinic 2']);
  pump.acknowledged(handed[2]!.id!, BROADCAST);
  assert.deepEqual(texts(handed).slice(5), ['farm'], 'a text to a third node is not held behind the node that is gone');
});

test('however many messages wait for a node that is gone, a text to another node is not behind them', () => {
  const { pump, handed } = rig();
  const gone = 0xdeadbeef;
  const first = pump.enqueue(gone, { text: 'gone 0' }, 'text');
  for (let i = 1; i < 100; i++) pump.enqueue(gone, { text: `gone ${i}` }, 'text');
  pump.enqueue(0x10, { text: 'clinic' }, 'text');
  assert.deepEqual(texts(handed), ['gone 0', 'clinic'], 'the hundred-and-first message, to another node, goes at once');
  pump.notDelivered(first, 'MAX_RETRANSMIT');
  assert.deepEqual(texts(handed), ['gone 0', 'clinic', 'gone 1']);
});

test('nothing is handed to the router while the radio is down; it all goes once it is up', () => {
  const { pump, handed, radio, outbox } = rig({ radioUp: false });
  pump.enqueue(0x10, { text: 'kept' }, 'text');
  assert.equal(handed.length, 0);
  assert.equal(outbox.size, 1);
  radio.up = true;
  pump.pump();
  assert.deepEqual(texts(handed), ['kept']);
});

test('a message the radio could not send stays on disk, uncounted, and goes again soon', () => {
  const { pump, handed, outbox, scheduler } = rig();
  const id = pump.enqueue(0x10, { text: 'again' }, 'text');
  pump.notDelivered(id, 'the radio is busy');
  assert.equal(outbox.size, 1);
  assert.equal(outbox.dueAt(Infinity, 'text', 1)[0]?.attempts, 0);
  scheduler.runUntil(scheduler.now() + 10_000);
  assert.deepEqual(handed.map((h) => h.id), [id, id]);
});

test("a reply to a hub user (an address no radio has) is done once it went on air with neighbours around; a node's is retried, heard or not", () => {
  const hubUser = 0x5eed0001;
  const node = 0x10;
  const { pump, outbox } = rig({ neighbours: [0x20], hubDevices: [hubUser] });
  const toUser = pump.enqueue(hubUser, { text: 'reply' }, 'text');
  pump.notDelivered(toUser, 'MAX_RETRANSMIT');
  assert.equal(outbox.size, 0, 'not retried for a day: nobody could ever acknowledge it');
  const toNode = pump.enqueue(node, { text: 'hello' }, 'text');
  pump.notDelivered(toNode, 'MAX_RETRANSMIT');
  assert.equal(outbox.size, 1, 'a node that did not answer is tried again');
  const neverHeard = pump.enqueue(0x77, { text: 'are you there?' }, 'text');
  pump.notDelivered(neverHeard, 'MAX_RETRANSMIT');
  assert.equal(outbox.size, 2, 'nor is a node this one has never heard (it may be switched off)');
  const alone = rig({ neighbours: [], hubDevices: [hubUser] });
  const lonely = alone.pump.enqueue(hubUser, { text: 'reply' }, 'text');
  alone.pump.notDelivered(lonely, 'MAX_RETRANSMIT');
  assert.equal(alone.outbox.size, 1, 'with nobody around to hear it, it waits for someone');
});

test('while the disk refuses writes an SOS copy is held in memory and sent, texts are refused, and nothing settled goes again', () => {
  const { db, pump, handed, outbox, scheduler, writeErrors } = rig();
  const text = pump.enqueue(0x10, { text: 'on disk' }, 'text');
  db.pragma('query_only = ON'); // a full SD card
  const sos = pump.enqueue(0xffffffff, { alert: { level: 'SOS', text: 'SOS', magnitudeX10: 0 }, requestId: 9 }, 'alert', 'sos:9', 'hold');
  assert.deepEqual(texts(handed), ['on disk', 'SOS'], 'the SOS goes to the radio although it is not on disk');
  assert.equal(outbox.size, 2);
  assert.throws(() => pump.enqueue(0x10, { text: 'refused' }, 'text'), /readonly/, 'a text is not accepted when it cannot be stored');

  // Unanswered: its next try cannot be stored, and it still waits its backoff instead of going again at once.
  pump.notDelivered(text, 'MAX_RETRANSMIT');
  scheduler.runUntil(scheduler.now() + 20_000);
  assert.deepEqual(texts(handed), ['on disk', 'SOS']);
  scheduler.runUntil(scheduler.now() + 30_000);
  assert.deepEqual(texts(handed), ['on disk', 'SOS', 'on disk']);

  pump.acknowledged(sos, 0x20);
  pump.acknowledged(text, 0x10);
  assert.equal(outbox.size, 0, 'both settled, though the disk kept the text\'s row');
  scheduler.runUntil(scheduler.now() + 3600_000);
  assert.equal(handed.length, 3, 'nothing settled is sent again');
  assert.ok(writeErrors.length >= 3, 'each refused write is reported');

  db.pragma('query_only = OFF'); // room again: the next write brings the disk up to date
  pump.enqueue(0x10, { text: 'later' }, 'text');
  assert.deepEqual((db.prepare('SELECT packet_id FROM outbox').all() as Array<{ packet_id: number }>).length, 1);
  assert.equal(outbox.size, 1);
});

test('an SOS goes to the router at once, not behind another alert still waiting for its ack (an alert for a node that is switched off)', () => {
  const { pump, handed } = rig();
  pump.enqueue(0x10, { alert: { level: 'WARNING', text: 'flood warning', magnitudeX10: 0 } }, 'alert');
  pump.enqueue(0x10, { text: 'and a text' }, 'text');
  const sos = pump.enqueue(0xffffffff, { alert: { level: 'SOS', text: 'SOS', magnitudeX10: 0 }, requestId: 9, wantResponse: true }, 'sos', 'sos:9', 'hold');
  assert.deepEqual(texts(handed), ['flood warning', 'and a text', 'SOS'], 'the SOS does not wait for the warning to be acknowledged');
  // The next SOS copy (a newer one replacing this) goes as soon as this one is settled.
  pump.acknowledged(sos, 0x20);
  pump.enqueue(0xffffffff, { alert: { level: 'SOS', text: 'SOS again', magnitudeX10: 0 }, requestId: 9, wantResponse: true }, 'sos', 'sos:9', 'hold');
  assert.deepEqual(texts(handed), ['flood warning', 'and a text', 'SOS', 'SOS again']);
});

test('a full outbox refuses a new text (E_OUTBOX_FULL), an alert takes the place of the oldest text waiting and an SOS that of the oldest alert; SOS messages are never pushed out nor refused', () => {
  const drops: OutboxDrop[] = [];
  const { pump, handed, outbox, radio } = rig({ maxMessages: 4, onDrop: (d) => drops.push(d) });
  const alert = (text: string) => ({ alert: { level: 'WARNING' as const, text, magnitudeX10: 0 } });
  const sos = (requestId: number) => ({ alert: { level: 'SOS' as const, text: 'SOS', magnitudeX10: 0 }, requestId, wantResponse: true });
  const inFlight = pump.enqueue(0x10, { text: 't1 (with the router)' }, 'text');
  radio.up = false; // the radio hangs: the rest waits
  const t2 = pump.enqueue(0x10, { text: 't2' }, 'text');
  pump.enqueue(0x10, { text: 't3' }, 'text');
  const a1 = pump.enqueue(0x10, alert('a1'), 'alert');
  assert.equal(outbox.size, 4);

  assert.throws(
    () => pump.enqueue(0x10, { text: 't4' }, 'text'),
    (err: unknown) => err instanceof FirmwareError && err.code === 'E_OUTBOX_FULL' && /4 messages are waiting/.test(err.message),
    'a text is refused: its sender learns it now',
  );
  assert.equal(outbox.refusedFull, 1);
  assert.equal(outbox.size, 4, 'and nothing already accepted was given up for it');

  pump.enqueue(0x10, alert('a2'), 'alert');
  assert.deepEqual(drops.map((d) => [d.packetId, d.reason]), [[t2, 'evicted']], 'the alert took the place of the oldest text not already with the router');
  pump.enqueue(BROADCAST, sos(1), 'sos', 'sos:1', 'hold');
  pump.enqueue(BROADCAST, sos(2), 'sos', 'sos:2', 'hold');
  assert.deepEqual(drops.map((d) => d.priority), ['text', 'text', 'alert'], 'texts go first, then the oldest alert');
  assert.equal(drops[2]!.packetId, a1);
  pump.enqueue(BROADCAST, sos(3), 'sos', 'sos:3', 'hold');
  pump.enqueue(BROADCAST, sos(4), 'sos', 'sos:4', 'hold');
  assert.equal(outbox.size, 5, 'with nothing else left to push out, an SOS message is still taken, past the bound');
  assert.throws(() => pump.enqueue(0x10, alert('a3'), 'alert'), /E_OUTBOX_FULL|outbox is full/, 'an alert with no text to take the place of is refused');
  assert.deepEqual(outbox.dropped, { evicted: 4, undecodable: 0, 'router-refused': 0, 'gave-up': 0 });
  assert.equal(outbox.refusedFull, 2);

  pump.acknowledged(inFlight, 0x10);
  radio.up = true;
  pump.pump();
  for (let i = 0; i < 10; i++) for (const h of [...handed]) pump.acknowledged(h.id!, 0x20);
  assert.deepEqual(texts(handed).slice(1).sort(), ['SOS', 'SOS', 'SOS', 'SOS'], 'what was pushed out never goes on air; every SOS does');
  assert.equal(outbox.size, 0);
});

test('every message that leaves the outbox unsent is counted by reason and reported with its packet id: unreadable rows, router refusals, give-ups', () => {
  const drops: OutboxDrop[] = [];
  const { db, pump, outbox, handed, scheduler } = rig({ onDrop: (d) => drops.push(d), refuse: (data) => data.text === 'too odd for the router' });
  // A row written by another schema: it no longer decodes.
  db.prepare('INSERT INTO outbox (packet_id, dest, payload, want_ack, priority, created_ms) VALUES (77, 16, ?, 1, 1, 0)').run(Buffer.from([0xff, 0xff, 0xff]));
  pump.pump();
  pump.enqueue(0x10, { text: 'too odd for the router' }, 'text');
  const lost = pump.enqueue(0x10, { text: 'to a node that is off' }, 'text');
  for (let i = 0; i < 100; i++) {
    assert.equal(handed.length, i + 1, `attempt ${i + 1} went to the router`);
    pump.notDelivered(lost, 'MAX_RETRANSMIT'); // it went on air; nobody answered
    scheduler.runUntil(scheduler.now() + 20 * 60_000); // past the longest backoff
  }
  assert.deepEqual(new Set(handed.map((h) => h.id)), new Set([lost]));
  assert.equal(outbox.size, 0);
  assert.deepEqual(outbox.dropped, { evicted: 0, undecodable: 1, 'router-refused': 1, 'gave-up': 1 });
  assert.equal(pump.expired, 1, 'given up after its attempts');
  assert.deepEqual(drops.map((d) => [d.packetId, d.reason]), [[77, 'undecodable'], [drops[1]!.packetId, 'router-refused'], [lost, 'gave-up']]);
});
