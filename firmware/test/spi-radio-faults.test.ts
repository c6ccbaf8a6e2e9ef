// Faults a real SX1262 or SX1276 shows on a Pi, injected in the twins: BUSY stuck high, a
// spurious interrupt, a frame with a bad CRC and a chip that resets itself mid-transmission.
// Each is counted and the radio comes back to sending and receiving.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loraParams } from '@unibos/mesh-protocol';
import { RadioProbe } from './contract/radio-contract.ts';
import { realMedium, twinRadio, type TwinRadio } from './support/spi-twin-rig.ts';
import { waveshareSx1262Hat } from '../src/boards/waveshare-sx1262-hat.ts';
import { adafruitRfm9xBonnet } from '../src/boards/adafruit-rfm9x-bonnet.ts';
import type { BoardProfile } from '../src/boards/board-profile.ts';
import type { SpiRadioState } from '../src/radio/spi/spi-lora-radio.ts';
import type { Sx127xTwin } from '../src/radio/spi/sx127x-twin.ts';
import type { Sx126xTwin } from '../src/radio/spi/sx126x-twin.ts';

const params = loraParams('ShortFast', { frequencyHz: 869_525_000 });

async function rig(board: BoardProfile) {
  const medium = realMedium(params);
  const a = await twinRadio(medium, 1, board, params, {}, { busyTimeoutMs: 50 });
  const b = await twinRadio(medium, 2, board, params);
  const pa = new RadioProbe(a.radio);
  const pb = new RadioProbe(b.radio);
  return {
    a,
    b,
    pa,
    pb,
    close: async () => {
      await a.radio.close();
      await b.radio.close();
      a.twin.dispose();
      b.twin.dispose();
    },
  };
}

function reaches(side: TwinRadio, state: SpiRadioState): Promise<void> {
  if (side.radio.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const off = side.radio.onStateChange((s) => {
      if (s !== state) return;
      off();
      resolve();
    });
  });
}

/** Sends one frame a->b and waits for it, proving the pair works. */
async function roundTrip(r: Awaited<ReturnType<typeof rig>>, tag: number): Promise<void> {
  const before = r.pb.received.length;
  r.a.radio.transmit(Uint8Array.of(0xaa, tag));
  await r.pb.until(() => r.pb.received.length > before, `b to receive frame ${tag}`);
  assert.deepEqual([...r.pb.received.at(-1)!.bytes], [0xaa, tag]);
}

for (const board of [waveshareSx1262Hat, adafruitRfm9xBonnet]) {
  describe(`${board.chip.toUpperCase()} faults (${board.name})`, () => {
    it('drops a frame with a CRC error, counts it, and hears the next one', async () => {
      const r = await rig(board);
      try {
        r.b.twin.corruptNextReception();
        const doneBefore = r.pa.done.length;
        r.a.radio.transmit(Uint8Array.of(1, 2, 3));
        await r.pa.until(() => r.pa.done.length > doneBefore, 'a done');
        await r.pb.until(() => r.b.radio.stats.crcErrors === 1, 'b to count the CRC error');
        assert.equal(r.pb.received.length, 0, 'a frame that failed its CRC is not delivered');
        await roundTrip(r, 1);
        assert.deepEqual(r.b.twin.violations, []);
      } finally {
        await r.close();
      }
    });

    it('counts a spurious interrupt and carries on', async () => {
      const r = await rig(board);
      try {
        r.b.twin.spuriousIrq();
        await r.pb.until(() => r.b.radio.stats.spuriousIrqs === 1, 'b to count the spurious IRQ');
        await roundTrip(r, 2);
        assert.equal(r.b.radio.state, 'ready');
        assert.deepEqual(r.b.twin.violations, []);
      } finally {
        await r.close();
      }
    });

    it('notices a chip that reset itself mid-transmission, fails that frame, resets it and sends again', async () => {
      const r = await rig(board);
      try {
        const resetsBefore = r.a.radio.stats.hardwareResets;
        const doneBefore = r.pa.done.length;
        // Cut the chip's power once it is really on air.
        r.a.twin.onTransmitStart = () => setImmediate(() => r.a.twin.glitchReset());
        r.a.radio.transmit(new Uint8Array(120).fill(7));
        await r.pa.until(() => r.pa.done.length > doneBefore, 'a done');
        assert.equal(r.pa.done.at(-1)!.ok, false, 'the frame cut short is reported failed');
        await reaches(r.a, 'ready');
        assert.equal(r.a.radio.stats.unexpectedResets, 1);
        assert.equal(r.a.radio.stats.recoveries, 1);
        assert.equal(r.a.radio.stats.hardwareResets, resetsBefore + 1, 'recovery pulses RESET once');
        r.a.twin.onTransmitStart = undefined;
        await roundTrip(r, 3);
        assert.deepEqual(r.a.twin.violations, []);
      } finally {
        await r.close();
      }
    });

    it('reopens its GPIO when the link breaks on its own (its gpiomon died), then sends and hears again', async () => {
      const r = await rig(board);
      try {
        // From here on the pins the driver holds are dead: no interrupt would ever arrive on them.
        r.a.twin.failPins('gpiomon watching GPIO 16 on gpiochip0 exited (SIGKILL)');
        await reaches(r.a, 'ready');
        assert.equal(r.a.radio.stats.linkFaults, 1);
        assert.equal(r.a.radio.stats.recoveries, 1, 'it went through a recovery');
        await roundTrip(r, 5);
        const before = r.pa.received.length;
        r.b.radio.transmit(Uint8Array.of(0xbb, 6));
        await r.pa.until(() => r.pa.received.length > before, 'a to hear b on its new pins');
        assert.deepEqual(r.a.twin.violations, []);
      } finally {
        await r.close();
      }
    });
  });
}

for (const board of [waveshareSx1262Hat, adafruitRfm9xBonnet]) {
  describe(`${board.chip.toUpperCase()} frame whose header announces no CRC`, () => {
    it('is dropped as unchecked (counted as a CRC error), and the next frame is heard', async () => {
      const r = await rig(board);
      try {
        // The chip checks a payload CRC only when the header announces one (SX1276 RegHopChannel
        // CrcOnPayload, SX126x register 0x076B bit 4).
        (r.b.twin as Sx126xTwin | Sx127xTwin).noCrcOnNextReception();
        const doneBefore = r.pa.done.length;
        r.a.radio.transmit(Uint8Array.of(9, 9, 9));
        await r.pa.until(() => r.pa.done.length > doneBefore, 'a done');
        await r.pb.until(() => r.b.radio.stats.crcErrors === 1, 'b to count the unchecked frame');
        assert.equal(r.pb.received.length, 0, 'a frame nobody checked is not delivered');
        await roundTrip(r, 7);
        assert.deepEqual(r.b.twin.violations, []);
      } finally {
        await r.close();
      }
    });
  });
}

describe('SX1262 BUSY stuck high', () => {
  it('times out on BUSY, resets the chip (counted) and sends again', async () => {
    const r = await rig(waveshareSx1262Hat);
    try {
      const states: string[] = [];
      r.a.radio.onStateChange((s) => states.push(s));
      r.a.twin.stickBusy();
      const doneBefore = r.pa.done.length;
      r.a.radio.transmit(Uint8Array.of(9, 9));
      await r.pa.until(() => r.pa.done.length > doneBefore, 'a done');
      assert.equal(r.pa.done.at(-1)!.ok, false);
      assert.match(r.pa.done.at(-1)!.error ?? '', /BUSY .*stayed high/);
      await reaches(r.a, 'ready');
      assert.deepEqual(states, ['recovering', 'ready']);
      assert.equal(r.a.radio.stats.recoveries, 1);
      assert.equal(r.a.radio.stats.hardwareResets, 2, 'one RESET at open, one to recover');
      await roundTrip(r, 4);
      assert.deepEqual(r.a.twin.violations, [], 'the driver never talked to the chip while BUSY was high');
    } finally {
      await r.close();
    }
  });

  it('a twin refuses a command sent while BUSY is high, as the chip ignores it', async () => {
    const { Sx126xTwin } = await import('../src/radio/spi/sx126x-twin.ts');
    const twin = new Sx126xTwin({ board: waveshareSx1262Hat });
    const { bus } = twin.link();
    await bus.transfer(Uint8Array.of(0x80, 0x00)); // SetStandby: BUSY rises until the command is done
    await bus.transfer(Uint8Array.of(0x8a, 0x01)); // SetPacketType without waiting
    assert.deepEqual(twin.violations, ['SetPacketType sent while BUSY was high']);
    twin.dispose();
  });
});

describe('twins refuse what the chips refuse', () => {
  it('SX1262: LoRa modulation params before SetPacketType(LoRa), a short frame, SetTx before a frequency', async () => {
    const { Sx126xTwin } = await import('../src/radio/spi/sx126x-twin.ts');
    const twin = new Sx126xTwin({ board: waveshareSx1262Hat });
    const { bus, pins } = twin.link();
    const busy = await pins.input(waveshareSx1262Hat.pins.busy!);
    const idle = () => new Promise<void>((resolve) => (busy.read() === 0 ? resolve() : busy.onChange((v) => v === 0 && resolve())));
    await idle();
    await bus.transfer(Uint8Array.of(0x8b, 7, 0x05, 1, 0));
    await idle();
    await bus.transfer(Uint8Array.of(0x86, 0x36));
    await idle();
    await bus.transfer(Uint8Array.of(0x8a, 0x01));
    await idle();
    await bus.transfer(Uint8Array.of(0x83, 0, 0, 0));
    await idle();
    await bus.transfer(Uint8Array.of(0x0e, 200, ...new Uint8Array(100)));
    assert.deepEqual(twin.violations, [
      'SetModulationParams with LoRa parameters before SetPacketType(LoRa)',
      'SetRfFrequency needs 4 parameter bytes, got 1',
      'SetTx before SetRfFrequency',
      'WriteBuffer: 100 bytes at offset 200 run past the 256-byte buffer',
    ]);
    twin.dispose();
  });

  it('SX1276: LoRa mode outside Sleep, modem settings while receiving, FIFO in Sleep', async () => {
    const { Sx127xTwin } = await import('../src/radio/spi/sx127x-twin.ts');
    const twin = new Sx127xTwin({ board: adafruitRfm9xBonnet, bootMs: 0 });
    const { bus } = twin.link();
    await bus.transfer(Uint8Array.of(0x81, 0x81)); // LoRa + standby straight from FSK standby
    await bus.transfer(Uint8Array.of(0x81, 0x00)); // FSK -> LoRa needs Sleep: go to sleep first
    await bus.transfer(Uint8Array.of(0x81, 0x80));
    await bus.transfer(Uint8Array.of(0x80, 1, 2)); // FIFO in Sleep
    await bus.transfer(Uint8Array.of(0x81, 0x85)); // RX continuous
    await bus.transfer(Uint8Array.of(0x9e, 0x74)); // ModemConfig2 while receiving
    assert.deepEqual(twin.violations, [
      'LongRangeMode changed outside Sleep',
      'FIFO accessed in Sleep mode',
      "RX at 125 kHz without the errata note's receiver settings (0x31=0x43, 0x2f=0x40, 0x36=0x3): spurious reception off channel (errata 2.3)",
      'register 0x1e written while in mode 5 (only in Sleep or Standby)',
    ]);
    twin.dispose();
  });
});
