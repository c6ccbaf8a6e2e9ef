// What the device runtime costs on top of the router, measured in one run on one core:
//   receive: frames/s through the bare router vs through the node loop (router + node database
//            and inbox writes in SQLite, FULL sync) — the price of remembering every peer;
//   outbox:  durable enqueues/s of texts vs a bare better-sqlite3 insert of the same bytes;
//   SPI:     commands and driver CPU per frame for the SX1262 and SX1276 drivers (bench-spi.ts),
//            the SX1262's CPU set against the node loop's cost of one received frame.
// Prints a table and ends with one line of ratios (absolute rates vary with the machine).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import {
  ChannelSet,
  DEFAULT_CHANNEL,
  MeshRouter,
  SeededRandom,
  SimScheduler,
  encodeData,
  loraParams,
} from '@unibos/mesh-protocol';
import { Device } from '../src/node/device.ts';
import { loadOrCreateIdentity } from '../src/node/identity.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import { openNodeDb } from '../src/node/node-db.ts';
import { FeedRadio, sampleFrames } from './bench-traffic.ts';
import { measureSimBaseline, measureSpiPath } from './bench-spi.ts';
import { waveshareSx1262Hat } from '../src/boards/waveshare-sx1262-hat.ts';
import { adafruitRfm9xBonnet } from '../src/boards/adafruit-rfm9x-bonnet.ts';

const FRAMES = Number(process.env.BENCH_FRAMES ?? 20_000);
const SENDERS = 50;
const ENQUEUES = Number(process.env.BENCH_ENQUEUES ?? 2_000);
const SPI_FRAMES = Number(process.env.BENCH_SPI_FRAMES ?? 2_000);
const params = loraParams('LongFast');
const rng = new SeededRandom(42);

function rate(n: number, run: () => void): number {
  const t0 = performance.now();
  run();
  return (n / (performance.now() - t0)) * 1000;
}

function feed(radio: FeedRadio, all: Uint8Array[]): void {
  for (const bytes of all) radio.listener!.onReceive({ bytes, rssi: -100, snr: 5 });
}

const dir = mkdtempSync(join(tmpdir(), 'unibos-bench-'));
const all = sampleFrames(FRAMES, 0x1000, SENDERS, rng);
const silent = pino({ level: 'silent' });

const bareRadio = new FeedRadio(params);
new MeshRouter({ nodeId: 0x99, radio: bareRadio, scheduler: new SimScheduler(), random: rng.fork(), channels: new ChannelSet([DEFAULT_CHANNEL]), region: 'NONE' });
const routerRate = rate(FRAMES, () => feed(bareRadio, all));

const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dir, region: 'NONE', 'http-port': 'off' } });
const db = openNodeDb(join(dir, 'node.db'));
const deviceRadio = new FeedRadio(params);
const device = new Device({ config, identity: loadOrCreateIdentity(join(dir, 'identity.json')), db, radio: deviceRadio, logger: silent, scheduler: new SimScheduler(), random: rng.fork() });
const deviceRate = rate(FRAMES, () => feed(deviceRadio, all));
const stored = device.inbox.since(0, FRAMES).length;

deviceRadio.state = 'down'; // queue only: the bench measures the durable write
const enqueueRate = rate(ENQUEUES, () => {
  for (let i = 0; i < ENQUEUES; i++) device.sendText(`message number ${i} for the outbox`);
});
const raw = new Database(join(dir, 'raw.db'));
raw.pragma('journal_mode = WAL');
raw.pragma('synchronous = FULL');
raw.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, payload BLOB NOT NULL)');
const insert = raw.prepare('INSERT INTO t (payload) VALUES (?)');
const rawRate = rate(ENQUEUES, () => {
  for (let i = 0; i < ENQUEUES; i++) insert.run(Buffer.from(encodeData({ text: `message number ${i} for the outbox` })));
});
raw.close();
await device.stop();
db.close();
rmSync(dir, { recursive: true, force: true });

// The SPI path: CPU per frame against the same traffic between plain simulated radios.
const baselineCpuMs = await measureSimBaseline(SPI_FRAMES);
const spi = [await measureSpiPath(waveshareSx1262Hat, SPI_FRAMES, baselineCpuMs), await measureSpiPath(adafruitRfm9xBonnet, SPI_FRAMES, baselineCpuMs)];

const k = (v: number) => `${(v / 1000).toFixed(1)}k/s`;
console.log(`firmware bench: ${FRAMES} frames from ${SENDERS} senders (a quarter texts, stored); ${ENQUEUES} outbox enqueues; ${SPI_FRAMES} frames per SPI driver`);
console.log('');
console.log('what                                   rate');
console.log(`receive, bare router                   ${k(routerRate)}`);
console.log(`receive, node loop (+ peers, inbox)    ${k(deviceRate)}   (${stored} texts stored)`);
console.log(`outbox enqueue (durable, FULL sync)    ${k(enqueueRate)}`);
console.log(`bare SQLite insert (same sync)         ${k(rawRate)}`);
for (const f of spi) {
  console.log(
    `SPI path, ${f.chip} twin to twin${' '.repeat(Math.max(1, 14 - f.chip.length))}${f.txCommandsPerFrame.toFixed(1)} + ${f.rxCommandsPerFrame.toFixed(1)} commands/frame (send + receive), driver CPU ${f.driverCpuMsPerFrame.toFixed(3)} ms/frame; time on air ${f.airtimeMeasuredMs.toFixed(1)} ms measured vs ${f.airtimeModelMs.toFixed(1)} ms model`,
  );
}
console.log('');
// Driver CPU per frame against what the node loop spends on one received frame, in the same run.
const nodeLoopMsPerFrame = 1000 / deviceRate;
const spiRatio = spi[0]!.driverCpuMsPerFrame / nodeLoopMsPerFrame;
console.log(`ratios: node-loop/router receive ${(deviceRate / routerRate).toFixed(3)}x; outbox/bare-insert ${(enqueueRate / rawRate).toFixed(3)}x; sx1262-driver/node-loop per frame ${spiRatio.toFixed(3)}x`);
