// GPS sources: the shared contract against a real gpsd (gpsfake), a serial receiver (socat pty pair)
// and the simulated twin, plus the NMEA parser, bad input, lost links and unreachable sources.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { SerialPort } from 'serialport';
import { ReadlineParser } from '@serialport/parser-readline';
import { SimScheduler } from '@unibos/mesh-protocol';
import { FirmwareError } from '../src/firmware-error.ts';
import type { GpsFix } from '../src/gps/gps-source.ts';
import { NmeaFixAccumulator, parseNmea, type GgaSentence, type RmcSentence } from '../src/gps/nmea.ts';
import { GpsdClient } from '../src/gps/gpsd-client.ts';
import { NmeaSerialGps } from '../src/gps/nmea-serial-gps.ts';
import { SimGps } from '../src/gps/sim-gps.ts';
import { FixProbe, gpsContract, type GpsUnderTest } from './contract/gps-contract.ts';
import { EventWaiter } from '@unibos/test-support';
import { startGpsfake } from './support/gpsfake.ts';
import { PtyPair } from './support/pty-pair.ts';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadNodeConfig } from '../src/node/node-config.ts';
import { buildDeviceParts } from '../src/node/device-parts.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/lisbon-walk.nmea', import.meta.url));
/** The log's sentences, without its comment lines. */
const SENTENCES = readFileSync(FIXTURE, 'latin1')
  .split('\r\n')
  .filter((l) => l.startsWith('$'));
/** The log's first fix: $GPGGA,094106.00,3842.48066,N,00908.19504,W. */
const FIRST = { latitude: 38 + 42.48066 / 60, longitude: -(9 + 8.19504 / 60) };
/** Index of the first sentence after the fix comes back (09:41:20), i.e. past the outage under the arch. */
const AFTER_OUTAGE = SENTENCES.findIndex((l) => l.startsWith('$GPRMC,094120.00'));
/** Sentences up to and including the epoch at 09:41:12, which is followed by a GSV (a SKY from gpsd). */
const SHORT_LOG = SENTENCES.slice(0, SENTENCES.findIndex((l) => l.startsWith('$GPRMC,094113.00')));

function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'unibos-gps-'));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

async function closePort(port: SerialPort): Promise<void> {
  if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
}

async function writeLines(port: SerialPort, lines: string[]): Promise<void> {
  port.write(Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1'));
  await new Promise<void>((resolve, reject) => port.drain((err) => (err ? reject(err) : resolve())));
}

/** Connects to gpsd as a second client and resolves after it has reported `count` fixes with a position. */
async function gpsdReports(port: number, count: number): Promise<void> {
  const socket = createConnection({ host: '127.0.0.1', port });
  let seen = 0;
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('connect', () => socket.write('?WATCH={"enable":true,"json":true};\n'));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const obj = JSON.parse(line) as { class: string; mode?: number };
        if (obj.class === 'TPV' && (obj.mode ?? 0) >= 2 && ++seen === count) resolve();
      }
    });
  });
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.destroy();
  });
}

/** Records link changes; `next(up)` resolves on the first change to `up` after the call. */
function linkEvents(source: { onLinkChange(l: (up: boolean) => void): void }): { next(up: boolean): Promise<void> } {
  const seen: boolean[] = [];
  const changes = new EventWaiter();
  source.onLinkChange((up) => {
    seen.push(up);
    changes.wake();
  });
  return {
    next: (up) => {
      const from = seen.length;
      return changes.until(() => seen.slice(from).includes(up), `the link to go ${up ? 'up' : 'down'}`, 15_000);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The contract, three ways.

gpsContract('GpsdClient (gpsd via gpsfake)', async (): Promise<GpsUnderTest> => {
  const dir = scratchDir();
  const port = await freePort();
  const fake = await startGpsfake(FIXTURE, port, dir);
  return {
    source: new GpsdClient({ port, reconnectDelayMs: () => 50 }),
    first: FIRST,
    play: () => fake.release(SENTENCES.length + 1), // +1: gpsfake's own end-of-log marker
    // The log runs on past the outage, so gpsd keeps reporting to anyone who still listens.
    afterStop: () => gpsdReports(port, 2),
    close: async () => {
      await fake.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

gpsContract('NmeaSerialGps (socat pty pair)', async (): Promise<GpsUnderTest> => {
  const pair = await PtyPair.create();
  const feed = await openPort(pair.devicePath);
  return {
    source: new NmeaSerialGps({ path: pair.hostPath, reopenDelayMs: () => 20 }),
    first: FIRST,
    play: () => writeLines(feed, SENTENCES.slice(0, AFTER_OUTAGE)),
    // Another reader takes the port and receives the rest of the walk; the stopped source must see none of it.
    afterStop: async () => {
      const reader = await openPort(pair.hostPath);
      const lines = reader.pipe(new ReadlineParser({ delimiter: '\r\n', encoding: 'latin1' }));
      const rest = SENTENCES.slice(AFTER_OUTAGE);
      const all = new Promise<void>((resolve) => {
        let n = 0;
        lines.on('data', () => {
          if (++n === rest.length) resolve();
        });
      });
      await writeLines(feed, rest);
      await all;
      await closePort(reader);
    },
    close: async () => {
      await closePort(feed);
      await pair.dispose();
    },
  };
});

gpsContract('SimGps (simulated time)', async (): Promise<GpsUnderTest> => {
  const scheduler = new SimScheduler(0);
  const source = new SimGps({
    ...FIRST,
    altitudeM: 11.3,
    walk: { waypoints: [{ latitude: 38.71, longitude: -9.137 }], speedMps: 1.4 },
    utcAtZeroMs: Date.UTC(2024, 4, 18, 9, 41, 6),
    scheduler,
  });
  return {
    source,
    first: FIRST,
    play: () => {
      scheduler.runUntil(5_000);
      source.setFixAvailable(false);
      scheduler.runUntil(7_000);
    },
    afterStop: () => {
      scheduler.runUntil(120_000);
    },
    released: () => assert.equal(scheduler.pending(), 0, 'no timer left scheduled'),
    close: async () => undefined,
  };
});

// ---------------------------------------------------------------------------------------------
// NMEA parser and epoch accumulator.

function parsed(line: string): GgaSentence | RmcSentence {
  const r = parseNmea(line);
  assert.ok(r.ok, `expected ${line} to parse: ${r.ok ? '' : r.detail}`);
  return r.sentence;
}

describe('NMEA parser', () => {
  it('reads a GGA: fix quality, satellites, HDOP, altitude, position (north/west)', () => {
    const s = parsed('$GPGGA,094106.00,3842.48066,N,00908.19504,W,1,06,1.62,11.3,M,50.6,M,,*7E');
    assert.equal(s.type, 'GGA');
    if (s.type !== 'GGA') return;
    assert.equal(s.talker, 'GP');
    assert.equal(s.quality, 1);
    assert.equal(s.satellites, 6);
    assert.equal(s.hdop, 1.62);
    assert.equal(s.altitudeM, 11.3);
    assert.ok(Math.abs(s.latitude! - 38.708011) < 1e-7);
    assert.ok(Math.abs(s.longitude! - -9.136584) < 1e-7);
    assert.equal(s.timeOfDayMs, ((9 * 60 + 41) * 60 + 6) * 1000);
  });

  it('reads the textbook GGA and RMC examples (north/east, 2-digit seconds, magnetic variation)', () => {
    const gga = parsed('$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47');
    assert.ok(gga.type === 'GGA');
    assert.ok(Math.abs(gga.latitude! - (48 + 7.038 / 60)) < 1e-9);
    assert.ok(Math.abs(gga.longitude! - (11 + 31 / 60)) < 1e-9);
    assert.equal(gga.altitudeM, 545.4);
    const rmc = parsed('$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A');
    assert.ok(rmc.type === 'RMC');
    assert.equal(rmc.valid, true);
    assert.equal(rmc.speedKnots, 22.4);
    assert.equal(rmc.courseDeg, 84.4);
    assert.equal(rmc.timeMs, Date.UTC(1994, 2, 23, 12, 35, 19));
  });

  it('reads RMC: status, UTC date and time, speed, course', () => {
    const s = parsed('$GPRMC,094106.00,A,3842.48066,N,00908.19504,W,2.548,346.24,180524,,,A*79');
    assert.ok(s.type === 'RMC');
    assert.equal(s.valid, true);
    assert.equal(s.timeMs, Date.UTC(2024, 4, 18, 9, 41, 6));
    assert.equal(s.speedKnots, 2.548);
    assert.equal(s.courseDeg, 346.24);
    const half = parsed('$GPRMC,235959.50,A,0000.00000,N,00000.00000,E,,,311299,,,A*5B');
    assert.ok(half.type === 'RMC');
    assert.equal(half.timeMs, Date.UTC(1999, 11, 31, 23, 59, 59, 500));
    assert.equal(half.latitude, 0);
    assert.equal(half.speedKnots, undefined);
  });

  it('handles the southern and western hemispheres and any talker (GN, GL)', () => {
    const sydney = parsed('$GNGGA,231512.00,3351.89120,S,15112.65430,E,2,11,0.78,21.4,M,22.1,M,,*67');
    assert.equal(sydney.talker, 'GN');
    assert.ok(Math.abs(sydney.latitude! - -33.864853) < 1e-6);
    assert.ok(Math.abs(sydney.longitude! - 151.210905) < 1e-6);
    const sydneyRmc = parsed('$GNRMC,231512.00,A,3351.89120,S,15112.65430,E,0.412,211.30,290224,,,D*63');
    assert.ok(sydneyRmc.type === 'RMC' && sydneyRmc.valid);
    assert.equal(sydneyRmc.timeMs, Date.UTC(2024, 1, 29, 23, 15, 12));
    const baires = parsed('$GLGGA,031500,3436.4800,S,05822.9200,W,1,05,1.9,,,,,,*63');
    assert.equal(baires.talker, 'GL');
    assert.ok(Math.abs(baires.latitude! - -34.608) < 1e-9);
    assert.ok(Math.abs(baires.longitude! - -58.382) < 1e-9);
    assert.ok(baires.type === 'GGA' && baires.altitudeM === undefined);
  });

  it('reads the empty fields of a receiver without a fix', () => {
    const gga = parsed('$GPGGA,,,,,,0,00,99.99,,,,,,*48');
    assert.ok(gga.type === 'GGA');
    assert.equal(gga.quality, 0);
    assert.equal(gga.latitude, undefined);
    assert.equal(gga.timeOfDayMs, undefined);
    const rmc = parsed('$GPRMC,094103.00,V,,,,,,,180524,,,N*78');
    assert.ok(rmc.type === 'RMC');
    assert.equal(rmc.valid, false);
    assert.equal(rmc.latitude, undefined);
    assert.equal(rmc.timeMs, Date.UTC(2024, 4, 18, 9, 41, 3));
  });

  it('rejects a bad checksum, a missing one, and a truncated sentence, with the reason', () => {
    const good = '$GPGGA,094106.00,3842.48066,N,00908.19504,W,1,06,1.62,11.3,M,50.6,M,,*7E';
    const wrongDigit = good.replace('3842.48066', '3842.48067');
    assert.deepEqual(reasonOf(wrongDigit), 'bad-checksum');
    assert.deepEqual(reasonOf(good.replace('*7E', '*7F')), 'bad-checksum');
    assert.deepEqual(reasonOf(good.slice(0, good.indexOf('*'))), 'bad-checksum');
    assert.deepEqual(reasonOf('$GPGGA,094106.00,3842.48066,N,009'), 'bad-checksum');
    // Cut short but with a checksum that matches what is left: caught by the field count.
    assert.deepEqual(reasonOf('$GPGGA,094106.00,3842.48066,N*0F'), 'malformed');
    // Four letters flipped to lower case flip the same bit four times: XOR cannot see it, the field check does.
    assert.deepEqual(reasonOf(good.toLowerCase().replace('$gpgga', '$GPGGA')), 'malformed');
    assert.ok(parseNmea(good.replace('*7E', '*7e')).ok, 'hex digits of either case');
  });

  it('rejects malformed fields and names unsupported sentences', () => {
    assert.equal(reasonOf('GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47'), 'malformed');
    assert.equal(reasonOf(withChecksum('GPGGA,123519,4807.038,X,01131.000,E,1,08,0.9,545.4,M,46.9,M,,')), 'malformed');
    assert.equal(reasonOf(withChecksum('GPGGA,123519,4867.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,')), 'malformed');
    assert.equal(reasonOf(withChecksum('GPGGA,123519,,,,,1,08,0.9,545.4,M,46.9,M,,')), 'malformed');
    assert.equal(reasonOf(withChecksum('GPGGA,256519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,')), 'malformed');
    assert.equal(reasonOf(withChecksum('GPRMC,123519,X,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W')), 'malformed');
    assert.equal(reasonOf(withChecksum('GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,310294,003.1,W')), 'malformed');
    assert.equal(reasonOf('$GPGSA,A,3,05,13,15,18,20,23,,,,,,,2.75,1.62,2.27*09'), 'unsupported');
    assert.equal(reasonOf(withChecksum('PUBX,00,081350.00')), 'unsupported');
    assert.equal(reasonOf(`$${'A'.repeat(300)}*00`), 'malformed');
    assert.equal(reasonOf('$GPGGA,\u0000*00'), 'malformed');
  });
});

/** Builds a sentence with a correct checksum, computed here rather than by the code under test. */
function withChecksum(body: string): string {
  let sum = 0;
  for (const c of body) sum ^= c.charCodeAt(0);
  return `$${body}*${sum.toString(16).toUpperCase().padStart(2, '0')}`;
}

function reasonOf(line: string): string {
  const r = parseNmea(line);
  return r.ok ? 'accepted' : r.reason;
}

describe('NMEA epoch accumulator', () => {
  function feed(lines: string[]): GpsFix[] {
    const acc = new NmeaFixAccumulator();
    const fixes: GpsFix[] = [];
    for (const line of lines) {
      const r = parseNmea(line);
      if (!r.ok) continue;
      const fix = acc.push(r.sentence);
      if (fix) fixes.push(fix);
    }
    const tail = acc.flush();
    if (tail) fixes.push(tail);
    return fixes;
  }

  it('merges the GGA and RMC of one epoch into a 3D fix with every field', () => {
    const [fix, ...rest] = feed([
      '$GPRMC,094106.00,A,3842.48066,N,00908.19504,W,2.548,346.24,180524,,,A*79',
      '$GPGGA,094106.00,3842.48066,N,00908.19504,W,1,06,1.62,11.3,M,50.6,M,,*7E',
    ]);
    assert.equal(rest.length, 0);
    assert.equal(fix!.mode, '3d');
    assert.ok(Math.abs(fix!.latitude - FIRST.latitude) < 1e-9);
    assert.equal(fix!.altitudeM, 11.3);
    assert.equal(fix!.satellites, 6);
    assert.equal(fix!.hdop, 1.62);
    assert.equal(fix!.timeMs, Date.UTC(2024, 4, 18, 9, 41, 6));
    assert.ok(Math.abs(fix!.speedMps! - 2.548 * 0.514444) < 1e-4);
    assert.equal(fix!.courseDeg, 346.24);
  });

  it('turns the whole recorded walk into one fix per epoch: cold start, fix, outage, fix', () => {
    const modes = feed(SENTENCES).map((f) => f.mode);
    assert.deepEqual(modes, [...Array(4).fill('none'), ...Array(12).fill('3d'), 'none', 'none', ...Array(7).fill('3d')]);
  });

  it('reports no fix when RMC says V or GGA says quality 0, whatever the other says', () => {
    const [a] = feed([
      withChecksum('GPRMC,120000,V,4807.038,N,01131.000,E,0.0,0.0,230394,,'),
      withChecksum('GPGGA,120000,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,'),
    ]);
    assert.equal(a!.mode, 'none');
    assert.ok(Number.isNaN(a!.latitude));
    const [b] = feed([
      withChecksum('GPRMC,120001,A,4807.038,N,01131.000,E,0.0,0.0,230394,,'),
      withChecksum('GPGGA,120001,4807.038,N,01131.000,E,0,08,0.9,545.4,M,46.9,M,,'),
    ]);
    assert.equal(b!.mode, 'none');
  });

  it('gives a 2D fix without altitude, and still works for receivers that send only RMC', () => {
    const [noAlt] = feed([
      withChecksum('GPRMC,120000,A,4807.038,N,01131.000,E,0.0,0.0,230394,,'),
      withChecksum('GPGGA,120000,4807.038,N,01131.000,E,1,04,2.1,,,,,,'),
    ]);
    assert.equal(noAlt!.mode, '2d');
    const rmcOnly = feed([
      withChecksum('GPRMC,120000,A,4807.038,N,01131.000,E,0.0,0.0,230394,,'),
      withChecksum('GPRMC,120001,A,4807.039,N,01131.000,E,0.0,0.0,230394,,'),
    ]);
    assert.deepEqual(rmcOnly.map((f) => f.mode), ['2d', '2d']);
    assert.equal(rmcOnly[1]!.timeMs, Date.UTC(1994, 2, 23, 12, 0, 1));
  });
});

describe('NMEA parser properties (fast-check)', () => {
  const positioned = SENTENCES.filter((l) => /^\$G.(GGA|RMC),\d/.test(l) && /,[NS],/.test(l));

  it('never throws on arbitrary strings, and rejects with a known reason', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string().map((s) => `$GPGGA,${s}`)), (s) => {
        const r = parseNmea(s);
        assert.ok(r.ok || ['bad-checksum', 'malformed', 'unsupported'].includes(r.reason));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on mutated real sentences (insertions, deletions, replacements)', () => {
    const edit = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('insert', 'delete', 'replace'),
      ch: fc.string({ minLength: 1, maxLength: 3, unit: 'binary' }),
    });
    fc.assert(
      fc.property(fc.constantFrom(...SENTENCES), fc.array(edit, { minLength: 1, maxLength: 4 }), (line, edits) => {
        let s = line;
        for (const e of edits) {
          const i = e.at % (s.length + 1);
          s = e.kind === 'insert' ? s.slice(0, i) + e.ch + s.slice(i) : e.kind === 'delete' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + e.ch + s.slice(i + 1);
        }
        parseNmea(s);
      }),
      { numRuns: 1000 },
    );
  });

  it('never accepts a sentence with one character changed at a different position (the checksum catches it)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...positioned), fc.nat(), fc.integer({ min: 0, max: 255 }), (line, at, code) => {
        const i = at % line.length;
        fc.pre(line.charCodeAt(i) !== code);
        const mutated = line.slice(0, i) + String.fromCharCode(code) + line.slice(i + 1);
        const original = parsed(line);
        const r = parseNmea(mutated);
        if (r.ok) {
          // Only a change that keeps the meaning can pass, e.g. the checksum's hex digit in lower case.
          assert.equal(r.sentence.latitude, original.latitude);
          assert.equal(r.sentence.longitude, original.longitude);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Serial receiver: bad input, a port that goes away, a port that is not there.

describe('NmeaSerialGps', () => {
  it('counts broken sentences as drops and keeps delivering good fixes', async () => {
    const pair = await PtyPair.create();
    const feed = await openPort(pair.devicePath);
    const gps = new NmeaSerialGps({ path: pair.hostPath });
    const probe = new FixProbe(gps);
    try {
      await gps.start();
      const lines = [...SHORT_LOG];
      const firstFixGga = lines.findIndex((l) => l.startsWith('$GPGGA,094106.00'));
      // A corrupted copy of a real sentence (a position one minute north, old checksum), right after it.
      lines.splice(firstFixGga + 1, 0, lines[firstFixGga]!.replace('3842.4', '3843.4'));
      const later = lines.findIndex((l) => l.startsWith('$GPRMC,094109.00'));
      lines.splice(later, 0, '$GPGGA,0941', 'garbage!!', '\u0000\u00ff\u0010\u0080 line noise', lines[later]!.replace('00908.1', '00918.1'));
      await writeLines(feed, lines);
      await probe.until(() => probe.fixes.some((f) => f.timeMs === Date.UTC(2024, 4, 18, 9, 41, 12)), 'the last epoch');
      assert.equal(gps.stats.dropped, 5);
      const positions = probe.fixes.filter((f) => f.mode !== 'none');
      assert.equal(positions.length, 7, 'every good epoch still makes a fix');
      for (const f of positions) {
        assert.ok(f.latitude < 38.7085 && f.longitude > -9.14, `no fix at a corrupted position: ${f.latitude}, ${f.longitude}`);
      }
    } finally {
      await gps.stop();
      await closePort(feed);
      await pair.dispose();
    }
  });

  it('reports the fix lost when the port goes away, reopens it when it is back, and counts the reconnect', async () => {
    const pair = await PtyPair.create();
    let feed = await openPort(pair.devicePath);
    const gps = new NmeaSerialGps({ path: pair.hostPath, reopenDelayMs: () => 20 });
    const probe = new FixProbe(gps);
    const link = linkEvents(gps);
    try {
      await gps.start();
      await writeLines(feed, SHORT_LOG);
      await probe.until(() => probe.firstPositioned() !== undefined, 'a fix');
      const down = link.next(false);
      await closePort(feed);
      await pair.unplug(); // the USB receiver is unplugged
      await down;
      await probe.until(() => probe.fixes.at(-1)!.mode === 'none', 'a none fix for the lost port');
      assert.equal(gps.stats.reconnects, 0);

      const up = link.next(true);
      await pair.plug(); // plugged back in, same device name
      await up;
      assert.equal(gps.stats.reconnects, 1);
      const before = probe.fixes.length;
      feed = await openPort(pair.devicePath);
      await writeLines(feed, SHORT_LOG);
      await probe.until(() => probe.fixes.slice(before).some((f) => f.mode !== 'none'), 'fixes after reopening');
    } finally {
      await gps.stop();
      await closePort(feed);
      await pair.dispose();
    }
  });

  it('reports the fix lost when the receiver stops talking while the port stays open (a UART receiver losing power)', async () => {
    // On the Pi's UART the device node never goes away: a receiver whose power or TX wire fails
    // simply falls silent. Its last position must not stand as current in beacons and SOS alerts.
    const pair = await PtyPair.create();
    const feed = await openPort(pair.devicePath);
    const scheduler = new SimScheduler(0);
    const gps = new NmeaSerialGps({ path: pair.hostPath, scheduler });
    const probe = new FixProbe(gps);
    try {
      await gps.start();
      await writeLines(feed, SHORT_LOG);
      await probe.until(() => probe.fixes.some((f) => f.timeMs === Date.UTC(2024, 4, 18, 9, 41, 12)), 'the last epoch');
      assert.equal(gps.lastFix?.mode, '3d');
      scheduler.runUntil(scheduler.now() + 10_000);
      assert.equal(gps.lastFix?.mode, '3d', 'a receiver slow to report keeps its fix for a while');
      scheduler.runUntil(scheduler.now() + 10_000);
      assert.equal(gps.lastFix?.mode, 'none', 'twenty silent seconds later the position is no longer current');
      assert.ok(Number.isNaN(gps.lastFix?.latitude));

      // When it talks again, its new fixes count; nothing of the epoch it left unfinished comes back.
      const before = probe.fixes.length;
      await writeLines(feed, SHORT_LOG);
      await probe.until(() => probe.fixes.slice(before).some((f) => f.mode !== 'none'), 'a fix once it talks again');
    } finally {
      await gps.stop();
      await closePort(feed);
      await pair.dispose();
    }
    assert.equal(scheduler.pending(), 0, 'no timer left after stop');
  });

  it('takes a device node that disappeared for the receiver gone, though reads never failed', async () => {
    // As /dev/serial/by-id/... does when a USB receiver is unplugged; here the pty stays up, so no
    // read error comes at all and only the missing path can tell.
    const pair = await PtyPair.create();
    const dir = scratchDir();
    const byId = join(dir, 'usb-u-blox_GNSS_receiver-if00');
    symlinkSync(pair.hostPath, byId);
    const feed = await openPort(pair.devicePath);
    const gps = new NmeaSerialGps({ path: byId, reopenDelayMs: () => 20 });
    const link = linkEvents(gps);
    try {
      await gps.start();
      const down = link.next(false);
      unlinkSync(byId);
      await down;
      const up = link.next(true);
      symlinkSync(pair.hostPath, byId);
      await up;
      assert.equal(gps.stats.reconnects, 1);
    } finally {
      await gps.stop();
      await closePort(feed);
      await pair.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('start() rejects with E_GPS_UNAVAILABLE naming the path when the port does not exist', async () => {
    const path = join(tmpdir(), `unibos-no-such-gps-${process.pid}`);
    const gps = new NmeaSerialGps({ path });
    await assert.rejects(gps.start(), (err: unknown) => {
      assert.ok(err instanceof FirmwareError);
      assert.equal(err.code, 'E_GPS_UNAVAILABLE');
      assert.ok(err.message.includes(path), err.message);
      return true;
    });
    await gps.stop();
  });
});

// ---------------------------------------------------------------------------------------------
// gpsd: gpsd going away, corrupted NMEA behind gpsd, malformed JSON, nothing listening.

describe('GpsdClient', () => {
  const dir = scratchDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reconnects when gpsd goes away and fixes resume when a new gpsd starts on the same port', async () => {
    const port = await freePort();
    const log = join(dir, 'short.nmea');
    writeFileSync(log, SHORT_LOG.map((l) => `${l}\r\n`).join(''));
    let fake = await startGpsfake(log, port, dir);
    const gps = new GpsdClient({ port, reconnectDelayMs: () => 50 });
    const probe = new FixProbe(gps);
    const link = linkEvents(gps);
    try {
      await gps.start();
      fake.release(SHORT_LOG.length + 1);
      await probe.until(() => probe.firstPositioned() !== undefined, 'a fix from the first gpsd');
      const down = link.next(false);
      await fake.kill();
      await down;
      await probe.until(() => probe.fixes.at(-1)!.mode === 'none', 'a none fix for the lost gpsd');

      const up = link.next(true);
      fake = await startGpsfake(log, port, dir);
      await up;
      assert.equal(gps.stats.reconnects, 1);
      const before = probe.fixes.length;
      fake.release(SHORT_LOG.length + 1);
      await probe.until(() => probe.fixes.slice(before).some((f) => f.mode !== 'none'), 'a fix from the second gpsd');
      const resumed = probe.fixes.slice(before).find((f) => f.mode !== 'none')!;
      assert.ok(Math.abs(resumed.latitude - FIRST.latitude) < 1e-5);
    } finally {
      await gps.stop();
      await fake.kill();
    }
  });

  it('gets good fixes, never a corrupted position, when the receiver behind gpsd sends bad sentences; takes satellites and HDOP from SKY', async () => {
    const port = await freePort();
    const lines = [...SHORT_LOG];
    for (const t of ['094107.00', '094110.00']) {
      const i = lines.findIndex((l) => l.startsWith(`$GPGGA,${t}`));
      lines.splice(i, 0, lines[i]!.replace('3842.4', '3843.4')); // wrong checksum; gpsfake plays it as is
    }
    const log = join(dir, 'corrupted.nmea');
    writeFileSync(log, lines.map((l) => `${l}\r\n`).join(''));
    const fake = await startGpsfake(log, port, dir);
    const gps = new GpsdClient({ port });
    const probe = new FixProbe(gps);
    try {
      await gps.start();
      fake.release(lines.length + 1);
      await probe.until(() => probe.fixes.some((f) => f.timeMs === Date.UTC(2024, 4, 18, 9, 41, 12)), 'the last epoch');
      const positions = probe.fixes.filter((f) => f.mode !== 'none');
      for (const f of positions) assert.ok(f.latitude < 38.7085, `no fix at a corrupted position: ${f.latitude}`);
      for (const t of [7, 10]) assert.ok(positions.some((f) => f.timeMs === Date.UTC(2024, 4, 18, 9, 41, t)), `the epoch at :${t} still arrives`);
      // The GSV after the 09:41:07 epoch makes gpsd send a SKY: 6 satellites used, HDOP 1.62.
      const withSky = positions.find((f) => f.satellites !== undefined)!;
      assert.equal(withSky.satellites, 6);
      assert.equal(withSky.hdop, 1.62);
      assert.equal(gps.stats.dropped, 0, 'gpsd passed nothing malformed on');
    } finally {
      await gps.stop();
      await fake.kill();
    }
  });

  it('counts malformed JSON, non-objects, bad TPVs and over-long lines as drops and still delivers the next fix', async () => {
    const lines = [
      'not json at all',
      '[1,2,3]',
      '42',
      '{"no":"class"}',
      '{"class":"TPV","mode":"3","lat":1,"lon":2}',
      '{"class":"TPV","mode":3,"lat":123.4,"lon":2}',
      `{"class":"TPV","mode":3,"junk":"${'x'.repeat(70_000)}"}`,
      '{"class":"SKY","hdop":1.1,"uSat":7,"satellites":[]}',
      '{"class":"TPV","mode":3,"time":"2024-05-18T09:41:06.000Z","lat":-33.5,"lon":151.25,"altMSL":12.5,"speed":1.5,"track":90}',
    ];
    const fake = await fakeGpsd((socket) => socket.write(lines.map((l) => `${l}\n`).join('')));
    const gps = new GpsdClient({ port: fake.port });
    const probe = new FixProbe(gps);
    try {
      await gps.start();
      await probe.until(() => probe.fixes.length > 0, 'the good TPV');
      assert.deepEqual(probe.fixes, [
        { mode: '3d', latitude: -33.5, longitude: 151.25, altitudeM: 12.5, timeMs: Date.UTC(2024, 4, 18, 9, 41, 6), speedMps: 1.5, courseDeg: 90, satellites: 7, hdop: 1.1 },
      ]);
      assert.equal(gps.stats.dropped, 7);
      assert.equal(gps.gpsdRelease, '3.22-fake');
    } finally {
      await gps.stop();
      await fake.close();
    }
  });

  it('reports the fix lost when gpsd lets go of the receiver (unplugged), before gpsd itself goes', async () => {
    const port = await freePort();
    const log = join(dir, 'unplugged.nmea');
    writeFileSync(log, SHORT_LOG.map((l) => `${l}\r\n`).join(''));
    const fake = await startGpsfake(log, port, dir);
    // No age limit: only what gpsd says about the receiver can end the fix here.
    const gps = new GpsdClient({ port, maxFixAgeMs: 0 });
    const probe = new FixProbe(gps);
    const events: string[] = [];
    gps.onFix((f) => events.push(`fix ${f.mode}`));
    gps.onLinkChange((up) => events.push(up ? 'link up' : 'link down'));
    try {
      await gps.start();
      fake.release(SHORT_LOG.length); // not the end marker: gpsd keeps the receiver
      await probe.until(() => probe.firstPositioned() !== undefined, 'a fix');
      const mark = events.length;
      await fake.unplug();
      await probe.until(() => events.slice(mark).includes('fix none'), 'the fix lost with the receiver');
      const after = events.slice(mark);
      const down = after.indexOf('link down');
      assert.ok(down === -1 || after.indexOf('fix none') < down, `the receiver's deactivation ended the fix, not the lost link: ${after.join(', ')}`);
      assert.equal(gps.lastFix?.mode, 'none');
    } finally {
      await gps.stop();
      await fake.kill();
    }
  });

  it('reports the fix lost when the receiver stops talking and gpsd says nothing about it', async () => {
    const port = await freePort();
    const log = join(dir, 'silent.nmea');
    writeFileSync(log, SHORT_LOG.map((l) => `${l}\r\n`).join(''));
    const fake = await startGpsfake(log, port, dir);
    const gps = new GpsdClient({ port, maxFixAgeMs: 2000 });
    const probe = new FixProbe(gps);
    const link = linkEvents(gps);
    let linkLost = false;
    void link.next(false).then(() => (linkLost = true), () => undefined);
    try {
      await gps.start();
      // The whole log but not its end: gpsfake then waits, gpsd keeps the receiver, and no TPV comes.
      fake.release(SHORT_LOG.length);
      await probe.until(() => probe.firstPositioned() !== undefined && probe.fixes.at(-1)!.mode === 'none', 'the last position to age out');
      assert.equal(linkLost, false, 'gpsd was still there');
      assert.equal(gps.lastFix?.mode, 'none');
    } finally {
      await gps.stop();
      await fake.kill();
    }
  });

  it("a node's GPS says in the node's log when and why its position went away", async () => {
    const fake = await fakeGpsd((socket) => {
      socket.write('{"class":"TPV","device":"/dev/ttyACM0","mode":3,"time":"2024-05-18T09:41:06.000Z","lat":41.0,"lon":29.0}\n');
      socket.write('{"class":"DEVICE","path":"/dev/ttyACM0","activated":0}\n');
    }, { devices: ['/dev/ttyACM0'] });
    const dir = scratchDir();
    const lines: Array<{ level: number; msg: string; component?: string }> = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
    const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dir, gps: 'gpsd', gpsd: `127.0.0.1:${fake.port}`, lat: '41', lon: '29' } });
    const { gps } = buildDeviceParts(config, 0x1234, logger);
    const probe = new FixProbe(gps!);
    try {
      await gps!.start();
      await probe.until(() => probe.firstPositioned() !== undefined && probe.fixes.at(-1)!.mode === 'none', 'the fix lost');
      const warning = lines.find((l) => /position lost/.test(l.msg));
      assert.ok(warning, `the log says why: ${JSON.stringify(lines)}`);
      assert.equal(warning.level, 40, 'as a warning');
    } finally {
      await gps!.stop();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a receiver other than the one with the fix going away leaves the fix standing', async () => {
    const fake = await fakeGpsd((socket) => {
      socket.write('{"class":"DEVICE","path":"/dev/ttyUSB1","activated":"2024-05-18T09:41:00.000Z"}\n');
      socket.write('{"class":"TPV","device":"/dev/ttyACM0","mode":3,"time":"2024-05-18T09:41:06.000Z","lat":41.0,"lon":29.0}\n');
      socket.write('{"class":"DEVICE","path":"/dev/ttyUSB1","activated":0}\n');
      socket.write('{"class":"DEVICE","path":"/dev/ttyACM0","activated":0}\n');
    }, { devices: ['/dev/ttyACM0'] });
    const gps = new GpsdClient({ port: fake.port, maxFixAgeMs: 0 });
    const probe = new FixProbe(gps);
    try {
      await gps.start();
      await probe.until(() => probe.fixes.length >= 2, 'the fix, then its receiver gone');
      assert.deepEqual(probe.fixes.map((f) => f.mode), ['3d', 'none'], 'only the receiver that gave the fix ends it');
    } finally {
      await gps.stop();
      await fake.close();
    }
  });

  it('start() rejects with E_GPS_UNAVAILABLE naming host:port when nothing listens', async () => {
    const port = await freePort();
    const gps = new GpsdClient({ port });
    await assert.rejects(gps.start(), (err: unknown) => {
      assert.ok(err instanceof FirmwareError);
      assert.equal(err.code, 'E_GPS_UNAVAILABLE');
      assert.ok(err.message.includes(`127.0.0.1:${port}`), err.message);
      return true;
    });
    await gps.stop();
  });

  it('start() rejects with E_GPS_UNAVAILABLE when something listens but never answers ?WATCH', async () => {
    const fake = await fakeGpsd(() => undefined, { silent: true });
    const gps = new GpsdClient({ port: fake.port, handshakeTimeoutMs: 200 });
    try {
      await assert.rejects(gps.start(), (err: unknown) => err instanceof FirmwareError && err.code === 'E_GPS_UNAVAILABLE' && /WATCH/.test(err.message));
    } finally {
      await gps.stop();
      await fake.close();
    }
  });
});

/** A scripted stand-in for gpsd on a real TCP port: banner, WATCH acknowledgement, then `afterWatch`. */
async function fakeGpsd(afterWatch: (socket: Socket) => void, opts: { silent?: boolean; devices?: string[] } = {}): Promise<{ close(): Promise<void>; port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (opts.silent) return;
    socket.write('{"class":"VERSION","release":"3.22-fake","rev":"3.22","proto_major":3,"proto_minor":14}\n');
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      got += chunk;
      if (got.includes('?WATCH={"enable":true')) {
        got = '';
        const devices = (opts.devices ?? []).map((path) => ({ class: 'DEVICE', path, activated: '2024-05-18T09:40:00.000Z' }));
        socket.write(`${JSON.stringify({ class: 'DEVICES', devices })}\n{"class":"WATCH","enable":true,"json":true}\n`);
        afterWatch(socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
