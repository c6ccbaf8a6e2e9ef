// What a device keeps across restarts and how it reads its settings: identity, frame counter,
// configuration layering and the errors a person fixing a bad config needs to see.

import { test } from 'node:test';
import { adafruitRfm9xBonnet } from '../src/boards/adafruit-rfm9x-bonnet.ts';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatNodeId, parseNodeId } from '@unibos/mesh-protocol';
import { loadOrCreateIdentity } from '../src/node/identity.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import { openNodeDb } from '../src/node/node-db.ts';
import { PersistentFrameCounter } from '../src/node/persistent-frame-counter.ts';
import { readDeviceHealth } from '../src/node/telemetry-reader.ts';
import { PositionBeacon, reducePrecision } from '../src/node/position-beacon.ts';
import { mkdirSync } from 'node:fs';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `unibos-${name}-`));

test('the identity is created once, readable only by its owner, and the same on every load', () => {
  const dir = tmp('id');
  const path = join(dir, 'identity.json');
  const first = loadOrCreateIdentity(path);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const again = loadOrCreateIdentity(path);
  assert.equal(again.nodeId, first.nodeId);
  assert.deepEqual([...again.publicKey], [...first.publicKey]);
  assert.equal(first.publicKey.length, 32);
  assert.notEqual(first.nodeId, 0);
  assert.notEqual(loadOrCreateIdentity(join(tmp('id2'), 'identity.json')).nodeId, first.nodeId, 'two devices get two ids');
});

test('a damaged identity file is refused with a clear error, never silently replaced', () => {
  const path = join(tmp('bad-id'), 'identity.json');
  writeFileSync(path, '{"version":1,"nodeId":"!zz"}');
  assert.throws(() => loadOrCreateIdentity(path), (e: Error & { code?: string }) => e.code === 'E_STORAGE' && /not a valid node identity/.test(e.message));
  assert.equal(readFileSync(path, 'utf8'), '{"version":1,"nodeId":"!zz"}');
});

test("an identity whose node id is not its key's (a flipped character on the SD card) is refused, not run under another id", () => {
  const path = join(tmp('id-mismatch'), 'identity.json');
  const real = loadOrCreateIdentity(path);
  const file = JSON.parse(readFileSync(path, 'utf8')) as { nodeId: string };
  const other = formatNodeId(real.nodeId ^ 1);
  writeFileSync(path, JSON.stringify({ ...file, nodeId: other }));
  assert.throws(() => loadOrCreateIdentity(path), (e: Error & { code?: string }) => e.code === 'E_STORAGE' && /not a valid node identity/.test(e.message) && e.message.includes(other));
});

test('node ids are written and read the way operators write them', () => {
  assert.equal(formatNodeId(0x1a2b3c4d), '!1a2b3c4d');
  assert.equal(parseNodeId('!1a2b3c4d'), 0x1a2b3c4d);
  assert.equal(parseNodeId('0x1A2B3C4D'), 0x1a2b3c4d);
  assert.equal(parseNodeId('439041101'), 439041101);
  for (const bad of ['', '!1a2b', 'ffffffff', '0', 'hello', '!1a2b3c4d5']) assert.equal(parseNodeId(bad), null, bad);
});

test('the frame counter never repeats across restarts, even after a crash mid-block or a lost database', () => {
  const dir = tmp('ctr');
  const mirrorPath = join(dir, 'frame-counter');
  let db = openNodeDb(join(dir, 'node.db'));
  let counter = new PersistentFrameCounter(db, { blockSize: 100, mirrorPath });
  const used: number[] = [];
  for (let i = 0; i < 250; i++) used.push(counter.next());
  db.close(); // a crash: nothing but what was written survives
  db = openNodeDb(join(dir, 'node.db'));
  counter = new PersistentFrameCounter(db, { blockSize: 100, mirrorPath });
  const after = counter.next();
  assert.equal(after, 301, 'the rest of the reserved block is skipped, no more');
  db.close();
  // The database is lost (deleted, or an old backup restored): the mirror beside the identity holds.
  const fresh = openNodeDb(join(dir, 'other.db'));
  assert.ok(new PersistentFrameCounter(fresh, { blockSize: 100, mirrorPath }).next() > after);
  fresh.close();
});

test('a counter block whose reservation could not be written is not handed out: sending fails until the disk takes it', () => {
  const dir = tmp('ctr-full');
  const db = openNodeDb(join(dir, 'node.db'));
  const counter = new PersistentFrameCounter(db, { blockSize: 100 });
  for (let i = 0; i < 100; i++) counter.next();
  // The database refuses writes (as a full SD card does) just as the next block is reserved.
  db.pragma('query_only = ON');
  assert.throws(() => counter.next(), /readonly|read-only|query_only/i);
  assert.throws(() => counter.next(), /readonly|read-only|query_only/i, 'no counter goes out without its reservation on disk');
  db.pragma('query_only = OFF');
  assert.equal(counter.next(), 101, 'once the disk takes it, counting carries on where it stopped');
  db.close();
  const again = openNodeDb(join(dir, 'node.db'));
  assert.equal(new PersistentFrameCounter(again, { blockSize: 100 }).next(), 201, 'and a restart skips the block reserved');
  again.close();
});

test('on a full SD card the counter still takes a block (its mirror is written in place), and a node restarted on that card goes on counting above it', { skip: process.getuid?.() !== 0 && 'mounting a small tmpfs as the full card needs root (CI runs as root)' }, (t) => {
  const dir = tmp('ctr-card');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', dir]);
  t.after(() => execFileSync('umount', ['-l', dir]));
  const mirrorPath = join(dir, 'frame-counter');
  const refused: unknown[] = [];
  let db = openNodeDb(join(dir, 'node.db'));
  let counter = new PersistentFrameCounter(db, { blockSize: 100, mirrorPath, onError: (err) => refused.push(err) });
  for (let i = 0; i < 100; i++) counter.next();
  // Logs fill the card to the last byte.
  const fd = openSync(join(dir, 'journal'), 'w');
  try {
    for (const chunk = Buffer.alloc(16 * 1024); ; ) writeSync(fd, chunk);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
  assert.throws(() => db.prepare('INSERT INTO kv (key, value) VALUES (?, ?)').run('filler', 'x'.repeat(64 * 1024)), /full/i, 'the database refuses writes');
  assert.equal(counter.next(), 101, 'the next block is taken all the same');
  assert.match(String(refused[0]), /full/i, 'and the database refusing it is reported');
  db.close();

  // Restarted (power cut, systemd) with the card still full.
  db = openNodeDb(join(dir, 'node.db'));
  counter = new PersistentFrameCounter(db, { blockSize: 100, mirrorPath, onError: (err) => refused.push(err) });
  assert.equal(counter.next(), 201, 'the block taken on the full card is skipped, and the next one taken');
  db.close();
  // With the database lost too, the mirror alone holds.
  rmSync(join(dir, 'journal'));
  const fresh = openNodeDb(join(dir, 'other.db'));
  assert.equal(new PersistentFrameCounter(fresh, { blockSize: 100, mirrorPath }).next(), 301);
  fresh.close();
});

test('a mirror torn by a power cut mid-write still holds the reservation before it; one written by an older version is read', () => {
  const dir = tmp('ctr-torn');
  const mirrorPath = join(dir, 'frame-counter');
  writeFileSync(mirrorPath, '4200\n'); // the older form: the number alone
  const db = openNodeDb(join(dir, 'node.db'));
  const counter = new PersistentFrameCounter(db, { blockSize: 100, mirrorPath });
  assert.equal(counter.next(), 4201);
  for (let i = 0; i < 100; i++) counter.next(); // a second block: both slots written
  const whole = readFileSync(mirrorPath, 'latin1');
  // The cut falls in the middle of the slot being overwritten: whatever is half-written, the other slot still names the last block.
  for (const slot of [0, 1]) {
    const torn = whole.slice(0, slot * 20) + '99999'.padEnd(20, '\0') + whole.slice((slot + 1) * 20);
    writeFileSync(mirrorPath, torn);
    const lost = openNodeDb(join(dir, `lost-${slot}.db`));
    assert.ok(new PersistentFrameCounter(lost, { blockSize: 100, mirrorPath }).next() > (slot === 0 ? 4300 : 4400), `slot ${slot} torn`);
    lost.close();
  }
  db.close();
});

test('configuration: defaults < file < environment < flags', () => {
  const dir = tmp('cfg');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: 'file-name', hopLimit: 5, radio: { type: 'serial', serialPath: '/dev/ttyUSB0' }, beacons: { telemetryIntervalS: 600 } }));
  const c = loadNodeConfig({ env: { UNIBOS_HOP_LIMIT: '6', UNIBOS_NAME: 'env-name' }, flags: { 'data-dir': dir, name: 'flag-name' } });
  assert.equal(c.dataDir, dir);
  assert.equal(c.name, 'flag-name');
  assert.equal(c.hopLimit, 6);
  assert.equal(c.radio.type, 'serial');
  assert.equal(c.radio.serialPath, '/dev/ttyUSB0');
  assert.equal(c.beacons.telemetryIntervalS, 600);
  assert.equal(c.beacons.positionIntervalS, 900, 'defaults fill the rest');
  assert.equal(c.http.port, 8001);
  assert.equal(loadNodeConfig({ env: {}, flags: { 'data-dir': dir, 'http-port': 'off' } }).http.port, null);
  assert.deepEqual([...c.channel.psk], [1]);
});

test('a bad value stops start-up with a message naming the key and where it came from', () => {
  const dir = tmp('cfg-bad');
  const load = (flags: Record<string, string>, env: Record<string, string> = {}) => () => loadNodeConfig({ env, flags: { 'data-dir': dir, ...flags } });
  assert.throws(load({ 'hop-limit': '9' }), /hopLimit \(from --hop-limit\): expected an integer 0\.\.7, got "9"/);
  assert.throws(load({}, { UNIBOS_RADIO: 'lora' }), /radio\.type \(from environment variable UNIBOS_RADIO\): expected one of sim, serial/);
  assert.throws(load({ gps: 'sim' }), /gps\.type sim needs a position/);
  assert.throws(load({ lat: '41' }), /gps\.latitude and gps\.longitude go together/);
  writeFileSync(join(dir, 'config.json'), '{"radio": {"tpye": "sim"}}');
  assert.throws(load({}), /unknown key "radio\.tpye"/);
  writeFileSync(join(dir, 'config.json'), '{"hopLimit": 3,');
  assert.throws(load({}), (e: Error & { code?: string }) => e.code === 'E_CONFIG' && /not valid JSON/.test(e.message));
  writeFileSync(join(dir, 'config.json'), '{"channel": {"psk": "AAAA"}}');
  assert.throws(load({}), /channel\.psk: expected 1 \(well-known\), 16 or 32 bytes/);
  writeFileSync(join(dir, 'config.json'), '{"toString": 1}');
  assert.throws(load({}), /unknown key "toString"/);
  writeFileSync(join(dir, 'config.json'), '{}');
  assert.throws(load({ name: 'Ş'.repeat(20) }), /name \(from --name\): expected at most 39 bytes/);
});

test('the radio must stay inside its region: band edges and dwell time', () => {
  const dir = tmp('cfg-region');
  const load = (flags: Record<string, string>) => loadNodeConfig({ env: {}, flags: { 'data-dir': dir, ...flags } });
  assert.equal(load({}).frequencyHz, 869_525_000, 'EU868 default channel');
  assert.equal(load({ region: 'US915', preset: 'ShortFast' }).frequencyHz, 906_875_000, "a region's own default channel");
  assert.throws(() => load({ frequency: '915000000' }), /frequencyHz: 915000000 Hz with 250 kHz bandwidth leaves the EU868 band/);
  assert.throws(() => load({ frequency: '869600000' }), /leaves the EU868 band/, 'the channel edge counts, not only the centre');
  assert.throws(() => load({ region: 'US915', preset: 'LongFast' }), /LongFast frames take at least \d+ ms on air, over US915's 400 ms dwell limit/);
  assert.equal(load({ region: 'US915' }).preset, 'MediumFast', 'with no preset said, US915 takes one within its dwell limit');
});

test("the radio must stay inside its region's power limit, and region NONE (no limits) is only for a simulated radio", () => {
  const dir = tmp('cfg-power');
  const load = (flags: Record<string, string>) => loadNodeConfig({ env: {}, flags: { 'data-dir': dir, ...flags } });
  assert.equal(load({}).txPowerDbm, 14);
  assert.equal(load({ region: 'EU433' }).txPowerDbm, 10, "the default is lowered to EU433's 10 dBm");
  assert.equal(load({ 'tx-power': '27' }).txPowerDbm, 27);
  assert.throws(() => load({ 'tx-power': '28' }), /txPowerDbm: 28 dBm is over EU868's limit of 27 dBm/);
  assert.throws(() => load({ region: 'EU433', 'tx-power': '11' }), /over EU433's limit of 10 dBm/);
  assert.throws(() => load({ region: 'US915', radio: 'serial', 'tx-power': '25' }), /RAK3172 modem.*txPowerDbm=25.*5\.\.22/, "what the modem would refuse when it opens, refused at start");
  assert.throws(() => load({ region: 'NONE', radio: 'serial' }), /region: NONE has no band, power or duty-cycle limits and is only for a simulated radio/);
  assert.throws(() => load({ region: 'NONE', radio: 'spi', board: 'waveshare-sx1262-hat' }), /only for a simulated radio/);
  assert.equal(load({ region: 'NONE', radio: 'sim' }).region, 'NONE');
  assert.equal(load({ radio: 'none' }).radio.type, 'none', 'a node with nothing on air');

  // An SX1278 with a 1 W PA after it (10 dB): its chip goes no lower than +2 dBm, so it puts out 12.
  const board = join(dir, 'pa433.json');
  writeFileSync(board, JSON.stringify({ ...JSON.parse(JSON.stringify(adafruitRfm9xBonnet)), name: 'pa433', title: 'SX1278 with a 1 W PA', paGainDb: 10, frequencyRangeMhz: [410, 525] }));
  assert.throws(() => load({ region: 'EU433', radio: 'spi-twin', board, gpio: 'none', lat: '41', lon: '29' }), /the SX1278 with a 1 W PA puts out 12 dBm for 10 \(its chip's lowest setting or more, plus its PA's 10 dB\), over EU433's limit of 10 dBm/);
  assert.equal(load({ region: 'EU868', radio: 'spi', board: 'e22-900m30s-hat', 'tx-power': '27' }).txPowerDbm, 27, 'a PA that can be turned down to the limit is fine');
});

test('device health comes from sysfs when present and is simply absent otherwise', () => {
  const root = tmp('sys');
  assert.deepEqual(readDeviceHealth(root), {});
  mkdirSync(join(root, 'class/power_supply/battery'), { recursive: true });
  mkdirSync(join(root, 'class/thermal/thermal_zone0'), { recursive: true });
  writeFileSync(join(root, 'class/power_supply/battery/type'), 'Battery\n');
  writeFileSync(join(root, 'class/power_supply/battery/capacity'), '76\n');
  writeFileSync(join(root, 'class/power_supply/battery/voltage_now'), '3912000\n');
  writeFileSync(join(root, 'class/thermal/thermal_zone0/temp'), '48312\n');
  assert.deepEqual(readDeviceHealth(root), { batteryLevel: 76, voltage: 3.912, cpuTemperature: 48.312 });
});

test('reduced position precision keeps the point inside its cell, centred', () => {
  const lat = 410_151_370;
  assert.equal(reducePrecision(lat, 32), lat);
  for (const bits of [13, 16, 20, 24]) {
    const cell = 2 ** (32 - bits);
    const r = reducePrecision(lat, bits);
    assert.ok(Math.abs(r - lat) <= cell / 2, `${bits} bits`);
    assert.equal(reducePrecision(r, bits), r, 'reducing twice changes nothing');
  }
  assert.ok(Math.abs(reducePrecision(-410_151_370, 16) + 410_151_370) <= 2 ** 15, 'southern latitudes too');
});

test('reduced precision near the antimeridian or a pole stays on the globe (a hub ignores an SOS position off it)', () => {
  for (const bits of [10, 13, 16]) {
    const beacon = new PositionBeacon({ intervalS: 900, minMoveM: 100, precisionBits: bits });
    for (const [latitude, longitude] of [
      [-17.8, 179.999],
      [-17.8, -179.999],
      [89.999, 0],
      [-89.999, 0],
    ] as const) {
      const p = beacon.toPosition({ mode: '3d', latitude, longitude }, Date.UTC(2026, 11, 5));
      assert.ok(Math.abs(p.longitudeI) <= 1_800_000_000, `${bits} bits, longitude ${longitude}: ${p.longitudeI / 1e7}`);
      assert.ok(Math.abs(p.latitudeI) <= 900_000_000, `${bits} bits, latitude ${latitude}: ${p.latitudeI / 1e7}`);
      const cell = 2 ** (32 - bits);
      assert.ok(Math.abs(p.longitudeI - longitude * 1e7) <= cell / 2 && Math.abs(p.latitudeI - latitude * 1e7) <= cell / 2, 'still within half a cell');
    }
  }
});

test('a position beacon gives speed in km/h and course in degrees, as the protocol says', () => {
  const beacon = new PositionBeacon({ intervalS: 900, minMoveM: 100, precisionBits: 32 });
  const walking = beacon.toPosition({ mode: '3d', latitude: 38.71, longitude: -9.137, speedMps: 1.4, courseDeg: 271.6, satellites: 7 }, Date.UTC(2026, 11, 5));
  assert.equal(walking.groundSpeed, 5, '1.4 m/s is 5 km/h');
  assert.equal(walking.groundTrack, 272);
  const driving = beacon.toPosition({ mode: '3d', latitude: 38.71, longitude: -9.137, speedMps: 13.9, courseDeg: 10 }, Date.UTC(2026, 11, 5));
  assert.equal(driving.groundSpeed, 50);
});
