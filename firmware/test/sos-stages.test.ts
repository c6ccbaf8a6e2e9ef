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
  g.router.on('heard', (h) => {
    if (h.data.alert?.level === 'SOS' && h.data.requestId) heardSos.push({ from: h.header.from, requestId: h.data.requestId });
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
  return { scheduler, n, g, heardSos, run, ledOnMs, answer: (stage: SosStage, by = '', timeMs = 0) => g.answerSos(n.nodeId, n.status().sos.requestId, { stage, timeMs, by }) };
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
