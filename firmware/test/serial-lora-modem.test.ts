// The serial LoRa modem driver against RUI3 modem emulators on socat pty pairs: the shared Radio
// contract, configuration, line noise, hangs, busy replies, reboots and unplug/replug.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EventEmitter } from 'node:events';
import { symlinkSync, unlinkSync, type FSWatcher } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loraParams, MESH_MAX_FRAME, MESH_SYNC_WORD, sx126xSyncWord } from '@unibos/mesh-protocol';
import { FirmwareError } from '../src/firmware-error.ts';
import type { WatchDirectory } from '../src/device-node-watch.ts';
import { SerialLoraModem, type SerialLoraModemOptions } from '../src/radio/serial-lora-modem.ts';
import { bytesToHex, parseModemLine, p2pSettings, type ModemLine } from '../src/radio/rui3-at.ts';
import { radioContract, RadioProbe } from './contract/radio-contract.ts';
import { EventWaiter } from '@unibos/test-support';
import { HeldTimeoutScheduler } from './support/held-timeout-scheduler.ts';
import { ModemAir, RUI3_LINK_DEFAULTS, Rui3ModemEmulator, type EmulatorOptions } from './support/modem-emulator.ts';
import { PtyPair } from './support/pty-pair.ts';

const PARAMS = loraParams('ShortFast', { frequencyHz: 869_525_000 });

// Retries and reconnects are quick. Every wait for the modem (a command's reply, TX done, a restart) is
// at least HOLD_FROM_MS and runs on the side's held clock: it passes only when a test advances that clock,
// so a pty slowed down by a busy machine never times out a command the test did not mean to time out.
const FAST = {
  commandTimeoutMs: 1000,
  bootTimeoutMs: 5000,
  txDoneMarginMs: 1000,
  busyRetryDelayMs: 10,
  reconnectMinMs: 20,
  reconnectMaxMs: 200,
  healthCheckMs: 0,
} satisfies Partial<SerialLoraModemOptions>;
const HOLD_FROM_MS = 1000;

interface Side {
  pty: PtyPair;
  emu: Rui3ModemEmulator;
  modem: SerialLoraModem;
  /** The driver's clock for its waits on the modem. */
  clock: HeldTimeoutScheduler;
  /** Where the driver opens the port, when not the pty itself: a link made only once the module has power. */
  link: string | undefined;
}

async function openSide(air: ModemAir, options: Partial<SerialLoraModemOptions> = {}, emulator: Partial<EmulatorOptions> = {}, link?: string): Promise<Side> {
  const pty = await PtyPair.create();
  const emu = new Rui3ModemEmulator({ air, ...emulator });
  const clock = new HeldTimeoutScheduler(HOLD_FROM_MS);
  try {
    await emu.attach(pty.devicePath);
    if (link !== undefined) await symlink(pty.hostPath, link);
    const modem = new SerialLoraModem({ path: link ?? pty.hostPath, params: PARAMS, ...FAST, ...options, scheduler: clock });
    // Nothing advances the clock during open: should it hang on a command, let the driver's own timeouts say
    // which (a deadline for the failure's message, not a wait anything depends on).
    const stuck = setTimeout(() => clock.release(), 30_000);
    try {
      await modem.open();
    } finally {
      clearTimeout(stuck);
    }
    return { pty, emu, modem, clock, link };
  } catch (err) {
    await emu.detach();
    await pty.dispose();
    if (link !== undefined) await rm(link, { force: true });
    throw err;
  }
}

async function closeSide(side: Side): Promise<void> {
  side.clock.release();
  await side.modem.close();
  await side.emu.detach();
  await side.pty.dispose();
  if (side.link !== undefined) await rm(side.link, { force: true });
}

interface Rig {
  a: Side;
  b: Side;
  pa: RadioProbe;
  pb: RadioProbe;
  close(): Promise<void>;
}

/** Two modems on one air; `emulators` sets up each side's module (its firmware, what its flash holds). */
async function openRig(
  options: Partial<SerialLoraModemOptions> = {},
  emulators: [Partial<EmulatorOptions>, Partial<EmulatorOptions>] = [{}, {}],
  aLink?: string,
): Promise<Rig> {
  const air = new ModemAir();
  const a = await openSide(air, options, emulators[0], aLink);
  const b = await openSide(air, options, emulators[1]).catch(async (err: unknown) => {
    await closeSide(a);
    throw err;
  });
  return {
    a,
    b,
    pa: new RadioProbe(a.modem),
    pb: new RadioProbe(b.modem),
    close: async () => {
      await closeSide(a);
      await closeSide(b);
    },
  };
}

/** What a loaded machine does to a test now and then: the whole process gets no CPU for `ms` (blocks, does not spin). */
function busyMachinePause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Resolves once `cond` holds, re-checked whenever the modem changes state or drops something. */
async function until(modem: SerialLoraModem, cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const changes = new EventWaiter();
  const unsubscribe = [modem.onStateChange(() => changes.wake()), modem.onDrop(() => changes.wake())];
  try {
    await changes.until(cond, () => `${what} (state ${modem.state})`, timeoutMs);
  } finally {
    for (const u of unsubscribe) u();
  }
}

/** Sends one frame from `from` and waits until `to` hears it and the sender reports success. */
async function assertDelivered(rig: Rig, from: 'a' | 'b', bytes: number[]): Promise<void> {
  const [tx, rx, txProbe, rxProbe] = from === 'a' ? [rig.a, rig.b, rig.pa, rig.pb] : [rig.b, rig.a, rig.pb, rig.pa];
  const heard = rxProbe.received.length;
  const done = txProbe.done.length;
  tx.modem.transmit(Uint8Array.from(bytes));
  await txProbe.until(() => txProbe.done.length > done, `${from} to finish sending`);
  assert.deepEqual(txProbe.done.at(-1), { ok: true });
  await rxProbe.until(() => rxProbe.received.length > heard, `the other side to hear ${from}`);
  assert.deepEqual([...rxProbe.received.at(-1)!.bytes], bytes);
  assert.equal(rx.modem.state, 'ready');
}

radioContract('SerialLoraModem (RUI3 emulator over socat ptys)', async () => {
  const rig = await openRig();
  return { a: rig.a.modem, b: rig.b.modem, close: () => rig.close() };
});

describe('SerialLoraModem', () => {
  it('switches a factory-fresh module to P2P, sets every param and starts continuous receive', async () => {
    const side = await openSide(new ModemAir(), {}, { workMode: 1 });
    try {
      assert.deepEqual(side.emu.commands, [
        'AT',
        'AT+NWM=?',
        'AT+NWM=0',
        'AT',
        'AT+PRECV=0',
        'AT+PFREQ=869525000',
        'AT+PSF=7',
        'AT+PBW=250',
        'AT+PCR=0',
        'AT+PPL=16',
        'AT+PTP=14',
        'AT+SYNCWORD=1424',
        'AT+IQINVER=0',
        'AT+ENCRY=0',
        'AT+PRECV=65534',
      ]);
      assert.equal(side.emu.workMode, 0);
      assert.deepEqual(side.emu.config, { frequencyHz: 869_525_000, sf: 7, bandwidthKhz: 250, codingRateIndex: 0, preamble: 16, txPowerDbm: 14 });
      assert.equal(side.emu.rxMode, 'continuous');
      assert.equal(side.modem.state, 'ready');
    } finally {
      await closeSide(side);
    }
  });

  it('configures a module already in P2P mode without restarting it, coding rate 4/8 as index 3', async () => {
    const params = loraParams('LongSlow', { frequencyHz: 915_000_000, preambleSymbols: 8, txPowerDbm: 20 });
    const side = await openSide(new ModemAir(), { params }, { workMode: 0 });
    try {
      assert.deepEqual(side.emu.commands, [
        'AT',
        'AT+NWM=?',
        'AT+PRECV=0',
        'AT+PFREQ=915000000',
        'AT+PSF=12',
        'AT+PBW=125',
        'AT+PCR=3',
        'AT+PPL=8',
        'AT+PTP=20',
        'AT+SYNCWORD=1424',
        'AT+IQINVER=0',
        'AT+ENCRY=0',
        'AT+PRECV=65534',
      ]);
    } finally {
      await closeSide(side);
    }
  });

  it('refuses params a RUI3 modem cannot take, naming the field', () => {
    const bad = (overrides: Parameters<typeof loraParams>[1]) => () => new SerialLoraModem({ path: '/dev/null', params: loraParams('LongFast', overrides) });
    const configError = (field: string) => (err: unknown) =>
      err instanceof FirmwareError && err.code === 'E_CONFIG' && err.message.includes(`${field}=`);
    assert.throws(bad({ sf: 13 }), configError('sf'));
    assert.throws(bad({ bandwidthHz: 62_500 }), configError('bandwidthHz'));
    assert.throws(bad({ codingRate: 5 }), configError('codingRate'));
    assert.throws(bad({ txPowerDbm: 30 }), configError('txPowerDbm'));
    assert.throws(bad({ frequencyHz: 2_400_000_000 }), configError('frequencyHz'));
    assert.throws(bad({ preambleSymbols: 1 }), configError('preambleSymbols'));
    assert.throws(bad({ explicitHeader: false }), configError('explicitHeader'));
  });

  it('counts garbage lines and corrupt receive payloads as drops and keeps receiving', async () => {
    const rig = await openRig();
    try {
      const { modem, emu } = rig.a;
      emu.emitGarbage(['\u0000\u00ff\u00fe\u0007', 'ERROR', 'hello from the wrong baud rate']);
      emu.emitCorruptRx('odd-length');
      emu.emitCorruptRx('not-hex');
      emu.emitCorruptRx('missing-fields');
      // A line ending in a bare '\n' still counts as a line.
      emu.writeRaw('+EVT:RXP2P:-61:4:C0FFEE\n');
      await until(modem, () => modem.stats.garbageLines >= 3 && modem.stats.badRxPayloads >= 3, 'the drops to be counted');
      await rig.pa.until(() => rig.pa.received.length >= 1, 'the bare-newline frame');
      assert.deepEqual([...rig.pa.received[0]!.bytes], [0xc0, 0xff, 0xee]);
      assert.equal(modem.stats.garbageLines, 3);
      assert.equal(modem.stats.badRxPayloads, 3);
      assert.equal(modem.state, 'ready');
      await assertDelivered(rig, 'b', [9, 9, 9]);
      assert.equal(modem.stats.framesReceived, 2);
    } finally {
      await rig.close();
    }
  });

  it('fails the transmit when a reply never comes, reconfigures the modem, and sends the next frame', async () => {
    const rig = await openRig();
    try {
      const { modem, emu, clock } = rig.a;
      emu.dropReplies(1);
      const since = emu.commands.length;
      const done = rig.pa.done.length;
      modem.transmit(Uint8Array.of(1, 2));
      // A transmit first stops receiving: that command's reply is the one lost. Once the modem has it, a whole
      // command timeout passes with no answer.
      await emu.waitForCommand(/^AT\+PRECV=0$/, since);
      clock.advance(FAST.commandTimeoutMs);
      await rig.pa.until(() => rig.pa.done.length > done, 'the failed transmit');
      assert.equal(rig.pa.done.at(-1)!.ok, false);
      assert.match(rig.pa.done.at(-1)!.error ?? '', /did not answer/);
      await until(modem, () => modem.state === 'ready' && modem.stats.recoveries >= 1, 'recovery');
      assert.equal(modem.stats.timeouts, 1);
      assert.equal(emu.rxMode, 'continuous');
      await assertDelivered(rig, 'a', [4, 2]);
      await assertDelivered(rig, 'b', [2, 4]);
    } finally {
      await rig.close();
    }
  });

  it('retries AT_BUSY_ERROR a bounded number of times, then fails the transmit but keeps listening', async () => {
    const rig = await openRig({ busyRetries: 3 });
    try {
      const { modem, emu } = rig.a;
      emu.busyOnNextSends(2);
      await assertDelivered(rig, 'a', [7, 7]);
      assert.equal(modem.stats.busyReplies, 2);

      emu.busyOnNextSends(10);
      const done = rig.pa.done.length;
      modem.transmit(Uint8Array.of(8));
      await rig.pa.until(() => rig.pa.done.length > done, 'the busy transmit to give up');
      assert.equal(rig.pa.done.at(-1)!.ok, false);
      assert.match(rig.pa.done.at(-1)!.error ?? '', /busy/i);
      assert.equal(modem.stats.busyReplies, 6, 'one try and three retries');
      assert.equal(modem.state, 'ready');
      emu.busyOnNextSends(0);
      await assertDelivered(rig, 'b', [5]);
    } finally {
      await rig.close();
    }
  });

  it('reconfigures a modem that rebooted on its own (also into LoRaWAN) and hears again', async () => {
    const rig = await openRig();
    try {
      const { modem, emu } = rig.a;
      emu.reboot();
      await until(modem, () => modem.stats.resets === 1 && modem.stats.recoveries === 1 && modem.state === 'ready', 'recovery from the reboot');
      assert.equal(emu.config.frequencyHz, PARAMS.frequencyHz);
      assert.equal(emu.rxMode, 'continuous');
      await assertDelivered(rig, 'b', [6, 1]);

      emu.reboot({ factoryReset: true });
      await until(modem, () => modem.stats.resets === 2 && modem.stats.recoveries === 2 && modem.state === 'ready', 'recovery from the factory reset');
      assert.equal(emu.workMode, 0);
      await assertDelivered(rig, 'b', [6, 2]);
      await assertDelivered(rig, 'a', [6, 3]);
    } finally {
      await rig.close();
    }
  });

  it('fails the pending transmit on unplug, reconnects after replug and keeps working', async () => {
    // The driver opens the adapter by a link that, as udev's /dev/serial/by-id ones, exists only while the module
    // is there: opened any earlier, the port would take the driver's first AT before the module could hear it.
    const dir = await mkdtemp(join(tmpdir(), 'unibos-dev-'));
    const link = join(dir, 'ttyLORA0');
    const rig = await openRig({}, [{}, {}], link).catch(async (err: unknown) => {
      await rm(dir, { recursive: true, force: true });
      throw err;
    });
    try {
      const { modem, emu, pty } = rig.a;
      emu.txDelayMs = 60_000; // the frame is still on the air when the cable goes
      const since = emu.commands.length;
      const done = rig.pa.done.length;
      modem.transmit(Uint8Array.of(1, 2, 3));
      await emu.waitForCommand(/^AT\+PSEND=/, since);
      assert.equal(modem.isChannelBusy(), true);

      await pty.unplug();
      await emu.detach(); // the module loses power with its adapter
      await rm(link);
      await rig.pa.until(() => rig.pa.done.length > done, 'the pending transmit to fail');
      assert.equal(rig.pa.done.at(-1)!.ok, false);
      assert.match(rig.pa.done.at(-1)!.error ?? '', /unplugged/);
      assert.equal(modem.state, 'recovering');
      assert.equal(modem.isChannelBusy(), false);

      await pty.plug();
      emu.txDelayMs = 5;
      await emu.attach(pty.devicePath);
      await symlink(pty.hostPath, link);
      await until(modem, () => modem.state === 'ready' && modem.stats.reconnects === 1, 'the driver to reconnect');
      await assertDelivered(rig, 'a', [4, 5, 6]);
      await assertDelivered(rig, 'b', [6, 5, 4]);
    } finally {
      await rig.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sets the mesh sync word, IQ and no encryption on a module a previous owner left on 3444, and hears a peer at 1424', async () => {
    const mesh = { syncWord: sx126xSyncWord(MESH_SYNC_WORD), iqInverted: false, encrypted: false };
    // The peer's flash already holds the mesh's word; ours holds RUI3's public default and more from its last owner.
    const rig = await openRig({}, [{ link: { syncWord: RUI3_LINK_DEFAULTS.syncWord, iqInverted: true, encrypted: true } }, { link: mesh }]);
    const { a } = rig;
    try {
      assert.deepEqual(a.emu.link, mesh);
      assert.equal(a.modem.warning, undefined);
      await assertDelivered(rig, 'b', [0x12, 0x14, 0x24]);
      await assertDelivered(rig, 'a', [0x24, 0x14, 0x12]);
      // RUI3 keeps the word in flash: a restart alone does not lose it.
      a.emu.reboot();
      await until(a.modem, () => a.modem.stats.recoveries === 1 && a.modem.state === 'ready', 'recovery from the reboot');
      assert.deepEqual(a.emu.link, mesh);
    } finally {
      await rig.close();
    }
  });

  it('opens a module whose older RUI3 lacks AT+SYNCWORD, warning that it may not hear the mesh and to update RUI3', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }));
    const side = await openSide(new ModemAir(), { logger }, { withoutLinkCommands: true });
    try {
      assert.equal(side.modem.state, 'ready');
      assert.equal(side.emu.rxMode, 'continuous');
      const warning = side.modem.warning ?? '';
      assert.match(warning, /AT\+SYNCWORD/);
      assert.match(warning, /may not hear/);
      assert.match(warning, /update .*RUI3/i);
      assert.ok(lines.some((l) => l.includes('"level":40') && l.includes('AT+SYNCWORD')), 'the warning is logged');
    } finally {
      await closeSide(side);
    }
  });

  it(`refuses a frame over the mesh's ${MESH_MAX_FRAME} bytes at the door and sends one of ${MESH_MAX_FRAME}`, async () => {
    const rig = await openRig();
    try {
      const { modem, emu } = rig.a;
      const since = emu.commands.length;
      const failures = modem.stats.transmitFailures;
      const done = rig.pa.done.length;
      modem.transmit(new Uint8Array(MESH_MAX_FRAME + 1).fill(0x51));
      await rig.pa.until(() => rig.pa.done.length > done, 'the refusal');
      assert.equal(rig.pa.done.at(-1)!.ok, false);
      assert.match(rig.pa.done.at(-1)!.error ?? '', new RegExp(`too long.*${MESH_MAX_FRAME}`));
      assert.equal(modem.stats.transmitFailures, failures + 1);
      assert.deepEqual(emu.commands.slice(since), [], 'nothing was sent to the modem');
      await assertDelivered(rig, 'a', Array.from({ length: MESH_MAX_FRAME }, (_, i) => i & 0xff));
    } finally {
      await rig.close();
    }
  });

  it('fails only the frame the modem answers AT_PARAM_ERROR to, without recovering, and keeps listening', async () => {
    const rig = await openRig();
    try {
      const { modem, emu } = rig.a;
      emu.psendMaxDigits = 200; // a build that takes less than RUI3's 500 digits
      const states: string[] = [];
      modem.onStateChange((state) => states.push(state));
      const done = rig.pa.done.length;
      modem.transmit(new Uint8Array(150).fill(0x2a));
      await rig.pa.until(() => rig.pa.done.length > done, 'the refused transmit');
      assert.equal(rig.pa.done.at(-1)!.ok, false);
      assert.match(rig.pa.done.at(-1)!.error ?? '', /AT_PARAM_ERROR/);
      assert.deepEqual(states, [], 'no recovering/ready flap');
      assert.equal(modem.stats.recoveries, 0);
      assert.equal(emu.rxMode, 'continuous');
      await assertDelivered(rig, 'b', [1, 5, 0]);
      await assertDelivered(rig, 'a', [0, 5, 1]);
      assert.deepEqual(states, []);
    } finally {
      await rig.close();
    }
  });

  it('waits out a slow restart after AT+NWM=0, which RUI3 answers with its banner instead of OK', async () => {
    const pty = await PtyPair.create();
    const emu = new Rui3ModemEmulator({ air: new ModemAir(), workMode: 1 });
    const clock = new HeldTimeoutScheduler(HOLD_FROM_MS);
    const modem = new SerialLoraModem({ path: pty.hostPath, params: PARAMS, ...FAST, scheduler: clock });
    try {
      await emu.attach(pty.devicePath);
      const opening = modem.open();
      await emu.waitForCommand(/^AT\+NWM=0$/);
      // On the driver's clock the restart that command began lasts far longer than any command may take, and
      // only just within the boot timeout. (The emulator's banner waits for a timer of its own, which cannot run
      // before this: the wait above ends in the same turn the command arrives.)
      clock.advance(FAST.bootTimeoutMs - 1);
      await opening;
      assert.equal(modem.state, 'ready');
      assert.equal(emu.workMode, 0);
      assert.equal(modem.stats.timeouts, 0);
      assert.equal(emu.rxMode, 'continuous');
    } finally {
      clock.release();
      await modem.close();
      await emu.detach();
      await pty.dispose();
    }
  });

  it('sends AT+PBW as an index when the module refuses kHz, ending at 250 kHz', async () => {
    const rig = await openRig({}, [{ pbwForm: 'index' }, {}]);
    const { a } = rig;
    try {
      assert.equal(a.modem.state, 'ready');
      assert.equal(a.emu.config.bandwidthKhz, 250);
      assert.deepEqual(a.emu.commands.filter((c) => c.startsWith('AT+PBW')), ['AT+PBW=250', 'AT+PBW=1']);
      await assertDelivered(rig, 'a', [2, 5, 0]);
    } finally {
      await rig.close();
    }
  });

  it('sees replugs promptly when the device node directory (/dev/serial/by-id) vanishes and comes back', async () => {
    const root = await mkdtemp(join(tmpdir(), 'unibos-dev-'));
    const byId = join(root, 'serial', 'by-id');
    const path = join(byId, 'usb-RAKwireless_RAK3172-if00');
    const pty = await PtyPair.create();
    const emu = new Rui3ModemEmulator({ air: new ModemAir() });
    // Backoff far beyond the test's patience: only the watch on the device node can make reconnects prompt.
    const clock = new HeldTimeoutScheduler(HOLD_FROM_MS);
    const modem = new SerialLoraModem({ path, params: PARAMS, ...FAST, scheduler: clock, reconnectMinMs: 60_000, reconnectMaxMs: 60_000 });
    const plug = async (): Promise<void> => {
      await pty.plug();
      await emu.attach(pty.devicePath);
      // udev creates the directory and the link last, once the device is there.
      await mkdir(byId, { recursive: true });
      await symlink(pty.hostPath, path);
    };
    const unplug = async (): Promise<void> => {
      await pty.unplug();
      await emu.detach();
      await rm(join(root, 'serial'), { recursive: true, force: true }); // the last adapter takes the directories with it
    };
    try {
      await mkdir(byId, { recursive: true });
      await symlink(pty.hostPath, path);
      await emu.attach(pty.devicePath);
      await modem.open();
      for (let n = 1; n <= 2; n++) {
        await unplug();
        await until(modem, () => modem.state === 'recovering', `unplug ${n} to be seen`);
        await plug();
        await until(modem, () => modem.state === 'ready' && modem.stats.reconnects === n, `replug ${n} to be seen`);
      }
    } finally {
      clock.release();
      await modem.close();
      await emu.detach();
      await pty.dispose();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('reconnects at once when the device node comes back while the reopen that missed it is still under way', async () => {
    const root = await mkdtemp(join(tmpdir(), 'unibos-dev-'));
    const byId = join(root, 'by-id');
    const path = join(byId, 'usb-RAKwireless_RAK3172-if00');
    await mkdir(byId);
    const pty = await PtyPair.create();
    const emu = new Rui3ModemEmulator({ air: new ModemAir() });
    // The test hands the driver the watch's events itself, so it chooses when the driver hears of the node.
    let tell: ((event: string, filename: string | null) => void) | undefined;
    const watchDirectory: WatchDirectory = (dir, listener) => {
      if (dir === byId) tell = listener;
      return Object.assign(new EventEmitter(), { close: () => undefined }) as unknown as FSWatcher;
    };
    // Backoff far beyond the test's patience: only hearing the node come back can make the reconnect prompt.
    const clock = new HeldTimeoutScheduler(HOLD_FROM_MS);
    const modem = new SerialLoraModem({ path, params: PARAMS, ...FAST, scheduler: clock, reconnectMinMs: 60_000, reconnectMaxMs: 60_000, watchDirectory });
    try {
      await symlink(pty.hostPath, path);
      await emu.attach(pty.devicePath);
      await modem.open();
      // The link goes: the driver lets the port go and at once tries to open the node again, which is not there.
      unlinkSync(path);
      tell!('rename', basename(path));
      assert.equal(modem.state, 'recovering');
      // That open runs on libuv's thread pool; the machine is busy with something else meanwhile, so the driver
      // has not yet heard how it went when the link comes back and it is told so.
      busyMachinePause(50);
      symlinkSync(pty.hostPath, path);
      tell!('rename', basename(path));
      await until(modem, () => modem.state === 'ready' && modem.stats.reconnects === 1, 'the replug to be seen');
    } finally {
      clock.release();
      await modem.close();
      await emu.detach();
      await pty.dispose();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('rejects open() on a missing port with E_MODEM_UNAVAILABLE naming the path', async () => {
    const path = '/tmp/unibos-no-such-dir/ttyLORA0';
    const modem = new SerialLoraModem({ path, params: PARAMS, ...FAST });
    await assert.rejects(modem.open(), (err: unknown) => {
      assert.ok(err instanceof FirmwareError);
      assert.equal(err.code, 'E_MODEM_UNAVAILABLE');
      assert.ok(err.message.includes(path), err.message);
      return true;
    });
    assert.equal(modem.state, 'closed');
  });

  it('rejects open() with E_MODEM_TIMEOUT when nothing answers on the port', async () => {
    const pty = await PtyPair.create();
    try {
      // Real time and short: nothing will ever answer, so no answer can be late.
      const modem = new SerialLoraModem({ path: pty.hostPath, params: PARAMS, ...FAST, commandTimeoutMs: 300, syncAttempts: 2 });
      await assert.rejects(modem.open(), (err: unknown) => {
        assert.ok(err instanceof FirmwareError);
        assert.equal(err.code, 'E_MODEM_TIMEOUT');
        assert.match(err.message, /did not answer AT/);
        return true;
      });
      assert.equal(modem.state, 'closed');
    } finally {
      await pty.dispose();
    }
  });
});

describe('RUI3 line parser', () => {
  const KINDS = new Set<ModemLine['kind']>(['blank', 'ok', 'error', 'tx-done', 'rx', 'bad-rx', 'rx-timeout', 'restarted', 'banner', 'value', 'event', 'garbage']);

  it('never throws on random bytes, and classifies every line', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => KINDS.has(parseModemLine(Buffer.from(bytes).toString('latin1')).kind)),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => KINDS.has(parseModemLine(text).kind)),
      { numRuns: 2000 },
    );
  });

  it('turns any tail after +EVT:RXP2P: into a frame or a counted bad payload', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 600 }), (tail) => {
        const kind = parseModemLine(`+EVT:RXP2P:${tail}`).kind;
        return kind === 'rx' || kind === 'bad-rx';
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips every frame size with its RSSI and SNR', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 255 }), fc.integer({ min: -140, max: 0 }), fc.integer({ min: -20, max: 15 }), (bytes, rssi, snr) => {
        const line = parseModemLine(`+EVT:RXP2P:${rssi}:${snr}:${bytesToHex(bytes)}\r`);
        assert.equal(line.kind, 'rx');
        if (line.kind !== 'rx') return;
        assert.deepEqual([...line.bytes], [...bytes]);
        assert.equal(line.rssi, rssi);
        assert.equal(line.snr, snr);
      }),
      { numRuns: 500 },
    );
  });

  it('reads the replies and events the driver depends on', () => {
    assert.deepEqual(parseModemLine('OK\r'), { kind: 'ok' });
    assert.deepEqual(parseModemLine('AT_BUSY_ERROR'), { kind: 'error', code: 'AT_BUSY_ERROR' });
    assert.deepEqual(parseModemLine('+EVT:TXP2P DONE'), { kind: 'tx-done' });
    assert.deepEqual(parseModemLine('+EVT:RXP2P RECEIVE TIMEOUT'), { kind: 'rx-timeout' });
    assert.deepEqual(parseModemLine('Current Work Mode: LoRa P2P.'), { kind: 'restarted', workMode: 'LoRa P2P' });
    assert.deepEqual(parseModemLine('AT+NWM=1'), { kind: 'value', command: 'NWM', value: '1' });
    assert.equal(parseModemLine('+EVT:RXP2P:-60:11:AABBCCD').kind, 'bad-rx');
    assert.equal(parseModemLine('+EVT:RXP2P:-60:11:').kind, 'bad-rx');
    assert.equal(parseModemLine(`+EVT:RXP2P:-60:11:${'00'.repeat(256)}`).kind, 'bad-rx');
    assert.deepEqual(p2pSettings(PARAMS).bandwidthKhz, 250);
  });
});
