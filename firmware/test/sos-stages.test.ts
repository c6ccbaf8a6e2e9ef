// An SOS's stages as the person holding the node sees them, on simulated time: a node N and a
// gateway G on the in-process medium. G answers only when told to (as its bridge does once the SOS
// is durably queued for the hub); stages only move forward whatever order their frames arrive in;
// the status line and the LED (on the virtual GPIO) say the same thing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SeededRandom, SimMedium, SimScheduler, loraParams, sosStageRouting, type SosStage } from '@unibos/mesh-protocol';
import { Device } from '../src/node/device.ts';
import { loadOrCreateIdentity } from '../src/node/identity.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import { openNodeDb, type Db } from '../src/node/node-db.ts';
import { sosSummary } from '../src/node/sos-summary.ts';
import { JohnnyFivePanel } from '../src/gpio/johnny-five-panel.ts';
import { VirtualIo } from '../src/gpio/virtual-io.ts';
import { SimManagedRadio } from '../src/radio/sim-managed-radio.ts';

const EPOCH = Date.UTC(2026, 10, 22, 12);
const silent = pino({ level: 'silent' });

async function pair(t: { after: (fn: () => Promise<void>) => void }) {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(11);
  const medium = new SimMedium({ params: loraParams('ShortFast'), scheduler, random: rng.fork(), link: () => ({ rssi: -100, snr: 3 }) });
  const dbs: Db[] = [];
  const dirs: string[] = [];
  const io = new VirtualIo({ scheduler });
  const panel = new JohnnyFivePanel({ io, scheduler });
  const make = (name: string, role: string, withPanel: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), `unibos-sos-${name}-`));
    dirs.push(dir);
    const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dir, preset: 'ShortFast', role, name } });
    const identity = loadOrCreateIdentity(join(dir, 'identity.json'));
    const db = openNodeDb(join(dir, 'node.db'));
    dbs.push(db);
    const radio = new SimManagedRadio(medium.radio(identity.nodeId), scheduler);
    return new Device({ config, identity, db, radio, logger: silent, scheduler, random: rng.fork(), clock: () => EPOCH + scheduler.now(), health: () => ({}), ...(withPanel ? { panel } : {}) });
  };
  const n = make('N', 'CLIENT', true);
  const g = make('G', 'GATEWAY', false);
  t.after(async () => {
    await n.stop();
    await g.stop();
    for (const db of dbs) db.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const heardSos: Array<{ from: number; requestId: number }> = [];
  const heardSafe: Array<{ packetId: number; requestId: number }> = [];
  g.router.on('heard', (h) => {
    if (h.data.alert?.level === 'SOS' && h.data.requestId) heardSos.push({ from: h.header.from, requestId: h.data.requestId });
    if (h.data.alert?.level === 'SAFE' && h.header.from === n.nodeId) heardSafe.push({ packetId: h.header.id, requestId: h.data.requestId ?? 0 });
  });
  const run = async (ms: number) => {
    const end = scheduler.now() + ms;
    while (scheduler.now() < end) {
      scheduler.runUntil(Math.min(end, scheduler.now() + 1000));
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await n.start();
  await g.start();
  await run(30_000);
  /** The most common length of the LED's on-stretches from now over `ms` (activity flashes are 40 ms). */
  const ledOnMs = async (ms: number): Promise<number> => {
    const from = scheduler.now();
    await run(ms);
    const writes = io.writes(panel.pins.led).filter((w) => w.atMs >= from);
    const lengths = new Map<number, number>();
    for (let i = 0; i + 1 < writes.length; i++) {
      if (writes[i]!.value > 0 && writes[i + 1]!.value === 0) {
        const len = writes[i + 1]!.atMs - writes[i]!.atMs;
        if (len > 40) lengths.set(len, (lengths.get(len) ?? 0) + 1);
      }
    }
    // Steady on: lit for at least 90 % of the window (an activity flash may cut it briefly).
    const all = io.writes(panel.pins.led);
    let level = all.filter((w) => w.atMs < from).at(-1)?.value ?? 0;
    let at = from;
    let onMs = 0;
    for (const w of writes) {
      if (level > 0) onMs += w.atMs - at;
      level = w.value;
      at = w.atMs;
    }
    if (level > 0) onMs += scheduler.now() - at;
    if (onMs >= 0.9 * ms) return Infinity;
    return [...lengths.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
  };
  return { scheduler, n, g, heardSos, heardSafe, run, ledOnMs, answer: (stage: SosStage, by = '', timeMs = 0) => g.answerSos(n.nodeId, n.status().sos.requestId, { stage, timeMs, by }) };
}

test('a gateway that only hears an SOS does not answer it: the node keeps resending', async (t) => {
  const s = await pair(t);
  s.n.raiseSos();
  await s.run(10 * 60_000);
  assert.ok(s.heardSos.length >= 3, `the gateway heard ${s.heardSos.length} copies`);
  const st = s.n.status().sos;
  assert.equal(st.stage, 'sent', 'hearing is not taking: no gateway stage without a commit');
  assert.equal(st.resending, true);
  assert.ok(st.copiesSent >= 4);
});

test('stages come in order with their times; status and LED follow; a late or repeated stage never moves it back', async (t) => {
  const s = await pair(t);
  s.n.raiseSos();
  await s.run(1000);
  assert.equal(s.n.status().sos.stage, 'sent');
  assert.equal(await s.ledOnMs(4000), 100, 'sent: fast blink');

  s.answer('gateway');
  await s.run(15_000);
  assert.equal(s.n.status().sos.stage, 'gateway');
  const copies = s.n.status().sos.copiesSent;
  assert.equal(await s.ledOnMs(8000), 200, 'taken by a gateway: slow blink');

  const hubAt = EPOCH + 60 * 60_000;
  s.answer('hub', '', hubAt);
  await s.run(15_000);
  assert.equal(s.n.status().sos.stage, 'hub');
  assert.equal(s.n.status().sos.stageTimes.hub, hubAt);
  assert.equal(await s.ledOnMs(8000), 200, 'at the hub: slow blink');

  // A stale gateway answer (a copy the gateway heard late), sent raw past answerSos's own guard.
  s.g.router.send(s.n.nodeId, { routing: sosStageRouting({ stage: 'gateway', timeMs: 0, by: '' }), replyId: s.n.status().sos.requestId });
  await s.run(15_000);
  assert.equal(s.n.status().sos.stage, 'hub', 'a late gateway stage does not move it back');
  assert.equal(s.g.answerSos(s.n.nodeId, s.n.status().sos.requestId, { stage: 'gateway', timeMs: 0, by: '' }).stage, 'hub', 'the gateway answers a lower stage with the highest it gave');

  const ackAt = hubAt + 60_000;
  s.answer('acknowledged', 'Ayse', ackAt);
  await s.run(5_000);
  const acked = s.n.status().sos;
  assert.equal(acked.stage, 'acknowledged');
  assert.equal(acked.acknowledgedBy, 'Ayse');
  const hhmm = (ms: number) => `${String(new Date(ms).getHours()).padStart(2, '0')}:${String(new Date(ms).getMinutes()).padStart(2, '0')}`;
  assert.match(sosSummary(acked), new RegExp(`^acknowledged by Ayse at ${hhmm(ackAt)} \\(hub ${hhmm(hubAt)}, gateway \\d\\d:\\d\\d\\)`));
  assert.equal(await s.ledOnMs(4000), Infinity, 'acknowledged: steady on');
  await s.run(15_000);
  assert.equal(await s.ledOnMs(8000), 50, 'after the steady phase: back to the idle pattern');

  // Repeats and older stages, in any order: nothing changes.
  for (const stage of ['hub', 'acknowledged', 'gateway'] as const) {
    s.g.router.send(s.n.nodeId, { routing: sosStageRouting({ stage, timeMs: 0, by: 'someone else' }), replyId: s.n.status().sos.requestId });
  }
  await s.run(20_000);
  assert.equal(s.n.status().sos.stage, 'acknowledged');
  assert.equal(s.n.status().sos.acknowledgedBy, 'Ayse');

  s.answer('resolved', 'Ayse');
  await s.run(15_000);
  assert.equal(s.n.status().sos.stage, 'resolved');
  assert.equal(await s.ledOnMs(8000), 50, 'resolved: no SOS pattern');
  assert.equal(s.n.status().sos.copiesSent, copies, 'no copies once a gateway had it');
  assert.match(sosSummary(s.n.status().sos), /^resolved by Ayse/);
});

test('a stage for another SOS (another request id) is ignored', async (t) => {
  const s = await pair(t);
  s.n.raiseSos();
  await s.run(2000);
  s.g.answerSos(s.n.nodeId, (s.n.status().sos.requestId + 1) >>> 0 || 1, { stage: 'hub', timeMs: 0, by: '' });
  await s.run(15_000);
  assert.equal(s.n.status().sos.stage, 'sent');
});

test('the first resend comes about 10 s after the first copy, and the waits double from there', async (t) => {
  const s = await pair(t);
  s.n.raiseSos();
  await s.run(15_000);
  assert.equal(s.n.status().sos.copiesSent, 2, 'a person whose first copy was lost waits seconds, not a minute');
  await s.run(20_000);
  assert.equal(s.n.status().sos.copiesSent, 3, 'next after 20 s more');
});

/** A gateway announcing itself, as it does when it starts (or its radio returns). */
function gatewayAnnounces(g: Device): void {
  g.router.send(0xffffffff, { nodeInfo: { longName: g.name, shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY', publicKey: new Uint8Array(32) }, wantResponse: true });
}

test('an SOS still at `sent` goes again as soon as a gateway is heard announcing itself, at most once per few seconds', async (t) => {
  const s = await pair(t);
  s.n.raiseSos();
  // Copies at 0, 10, 30, 70 and 150 s: the next is minutes away.
  await s.run(160_000);
  const before = s.n.status().sos.copiesSent;
  gatewayAnnounces(s.g);
  await s.run(3_000);
  assert.equal(s.n.status().sos.copiesSent, before + 1, 'the gateway that came back gets a copy at once');
  gatewayAnnounces(s.g);
  await s.run(1_000);
  assert.equal(s.n.status().sos.copiesSent, before + 1, 'not twice within seconds');

  // Once a gateway has taken it, hearing a gateway costs no airtime.
  s.answer('gateway');
  await s.run(15_000);
  const taken = s.n.status().sos.copiesSent;
  gatewayAnnounces(s.g);
  await s.run(10_000);
  assert.equal(s.n.status().sos.copiesSent, taken);
});

test('"I am safe" is resent until the hub\u2019s `resolved` comes back; status and LED agree on the way', async (t) => {
  const s = await pair(t);
  s.n.raiseSos();
  await s.run(1000);
  s.answer('gateway');
  await s.run(15_000);
  const requestId = s.n.status().sos.requestId;
  s.n.imSafe();
  await s.run(60_000);
  const waiting = s.n.status().sos;
  assert.equal(waiting.safe, 'waiting');
  assert.ok(waiting.safeCopiesSent >= 3, `${waiting.safeCopiesSent} copies of "I am safe" in a minute`);
  assert.ok(new Set(s.heardSafe.map((h) => h.packetId)).size >= 2, 'each resend is a new frame');
  assert.ok(s.heardSafe.every((h) => h.requestId === requestId), 'every copy names the SOS it ends');
  assert.match(sosSummary(waiting), /^safe sent at \d\d:\d\d, waiting for the hub/);
  assert.equal(await s.ledOnMs(8000), 50, 'the LED no longer shows an SOS');

  s.answer('resolved', '!node');
  await s.run(15_000);
  const done = s.n.status().sos;
  assert.equal(done.stage, 'resolved');
  assert.equal(done.safe, 'confirmed');
  const heard = s.heardSafe.length;
  await s.run(20 * 60_000);
  assert.equal(s.heardSafe.length, heard, 'no copies once the hub confirmed');
  assert.match(sosSummary(s.n.status().sos), /^resolved by !node at \d\d:\d\d.*; safe at \d\d:\d\d/);
  assert.equal(await s.ledOnMs(8000), 50);
});

test('"I am safe" also goes again when a gateway is heard announcing itself', async (t) => {
  const s = await pair(t);
  s.n.raiseSos();
  await s.run(1000);
  s.answer('gateway');
  await s.run(15_000);
  s.n.imSafe();
  await s.run(160_000);
  const before = s.n.status().sos.safeCopiesSent;
  gatewayAnnounces(s.g);
  await s.run(3_000);
  assert.equal(s.n.status().sos.safeCopiesSent, before + 1);
});

test('"I am safe" said before the gateway\u2019s answer arrived goes on when the late stages come in', async (t) => {
  const s = await pair(t);
  s.n.raiseSos();
  await s.run(1000);
  const requestId = s.n.status().sos.requestId;
  // The gateway has committed the SOS, but before its answer reaches the node the person presses "I am safe".
  s.n.imSafe();
  await s.run(2000);
  s.answer('gateway');
  await s.run(15_000);
  s.answer('acknowledged', 'Ayse');
  await s.run(15_000);
  assert.equal(s.n.status().sos.stage, 'acknowledged', 'the late stages are taken');
  const copiesAt = (heard: typeof s.heardSafe) => new Set(heard.filter((h) => h.requestId === requestId).map((h) => h.packetId)).size;
  const before = copiesAt(s.heardSafe);
  await s.run(30 * 60_000);
  assert.ok(copiesAt(s.heardSafe) >= before + 4, `"I am safe" kept going after the late stages: ${before} copies heard before, ${copiesAt(s.heardSafe)} after half an hour`);
  assert.equal(s.n.status().sos.safe, 'waiting');
  assert.match(sosSummary(s.n.status().sos), /^safe sent at \d\d:\d\d, waiting for the hub/);

  s.answer('resolved', 'Ayse');
  await s.run(15_000);
  assert.equal(s.n.status().sos.safe, 'confirmed');
  const heard = s.heardSafe.length;
  await s.run(20 * 60_000);
  assert.equal(s.heardSafe.length, heard, 'no copies once the hub confirmed');
});
