// A node asked to send while its chip is in the middle of receiving a frame: the frame must not be
// cut off by the standby that a CAD or a transmission starts with. Drivers, twins and the air are
// the real code (the twins lose a frame whose reception they left, as the chips do).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loraParams, timeOnAirMs } from '@unibos/mesh-protocol';
import { RadioProbe } from './contract/radio-contract.ts';
import { realMedium, twinRadio } from './support/spi-twin-rig.ts';
import { makeChip, makeTwin } from '../src/radio/spi/spi-radio-factory.ts';
import { SpiLoraRadio } from '../src/radio/spi/spi-lora-radio.ts';
import type { BoardProfile } from '../src/boards/board-profile.ts';
import type { SimMedium } from '@unibos/mesh-protocol';
import { waveshareSx1262Hat } from '../src/boards/waveshare-sx1262-hat.ts';
import { adafruitRfm9xBonnet } from '../src/boards/adafruit-rfm9x-bonnet.ts';

// MediumFast: a 200-byte frame is about half a second on air, so "a third of the way in" is well
// inside it even on a loaded machine.
const params = loraParams('MediumFast', { frequencyHz: 869_525_000 });

for (const board of [waveshareSx1262Hat, adafruitRfm9xBonnet]) {
  test(`${board.chip.toUpperCase()}: a frame being received when the node is asked to send is heard intact, and the node's own frame goes out after it`, async () => {
    const medium = realMedium(params);
    const a = await twinRadio(medium, 1, board, params);
    const b = await twinRadio(medium, 2, board, params);
    const pa = new RadioProbe(a.radio);
    const pb = new RadioProbe(b.radio);
    try {
      const long = Uint8Array.from({ length: 200 }, (_, i) => i & 0xff);
      const airMs = timeOnAirMs(params, long.length);
      // A is asked to send a third of the way into B's frame: past its preamble and header, with
      // most of its payload still to come.
      b.twin.onTransmitStart = () => {
        b.twin.onTransmitStart = undefined;
        setTimeout(() => a.radio.transmit(new TextEncoder().encode('reply from a')), airMs / 3);
      };
      b.radio.transmit(long);
      await pa.until(() => pa.received.length === 1 && pa.done.length === 1, "b's frame at a, and a's own frame sent", 5000);
      assert.deepEqual(pa.received[0]!.bytes, long);
      assert.deepEqual(pa.done[0], { ok: true });
      await pb.until(() => pb.received.length === 1, "a's frame at b", 5000);
      assert.equal(new TextDecoder().decode(pb.received[0]!.bytes), 'reply from a');
      assert.equal(a.twin.counters.cutOff, 0, 'the chip left receive in the middle of a frame');
      assert.ok(a.radio.stats.receptionsWaitedFor >= 1, 'the radio waited for the frame it was receiving');
      assert.deepEqual(a.twin.violations, []);
      assert.deepEqual(b.twin.violations, []);
    } finally {
      await a.radio.close();
      await b.radio.close();
      a.twin.dispose();
      b.twin.dispose();
    }
  });
}

/** A radio on a twin whose every SPI frame `beforeTransfer` sees, and may hold, before the chip gets it. */
async function watchedRadio(medium: SimMedium, id: number, board: BoardProfile, beforeTransfer: (tx: Uint8Array) => Promise<void> | void) {
  const twin = makeTwin(board, { antenna: medium.radio(id) });
  const chip = makeChip(board, async () => {
    const link = twin.link();
    return {
      pins: link.pins,
      bus: {
        name: link.bus.name,
        close: () => link.bus.close(),
        transfer: async (tx: Uint8Array) => {
          await beforeTransfer(tx);
          return link.bus.transfer(tx);
        },
      },
    };
  });
  // The driver's wait for CadDone runs from before SetCad, so it includes whatever `beforeTransfer` holds SetCad
  // for: it gets all the time a loaded machine may need, as that timeout is not what these tests are about.
  const radio = new SpiLoraRadio({ chip, params, board: board.name, healthCheckMs: 0, reconnectMinMs: 10, reconnectMaxMs: 100, txMarginMs: 500, cadTimeoutMs: 30_000, random: () => 0.5 });
  await radio.open();
  return { twin, radio };
}

/** SetCad on an SX126x; RegOpMode written with mode CAD on an SX127x. */
const startsCad = (board: BoardProfile, tx: Uint8Array): boolean => (board.chip === 'sx1276' ? tx[0] === 0x81 && tx.length === 2 && (tx[1]! & 7) === 7 : tx[0] === 0xc5);

for (const board of [waveshareSx1262Hat, adafruitRfm9xBonnet]) {
  test(`${board.chip.toUpperCase()}: the frame whose preamble a CAD detected is heard intact, not cut off by the next CAD after the backoff`, async () => {
    const medium = realMedium(params);
    // B sends without listening first; A's first CAD reaches its chip only once B's frame is on the air, so
    // that CAD hears its preamble however slowly B's driver got there (a CAD lasts a few symbols, ~8 ms here).
    const b = await twinRadio(medium, 2, board, params, { listenBeforeTalk: false });
    const long = Uint8Array.from({ length: 200 }, (_, i) => (i * 3) & 0xff);
    const bOnAir = new Promise<void>((resolve) => {
      b.twin.onTransmitStart = () => {
        b.twin.onTransmitStart = undefined;
        resolve();
      };
    });
    let cads = 0;
    const a = await watchedRadio(medium, 1, board, async (tx) => {
      if (!startsCad(board, tx) || ++cads !== 1) return;
      b.radio.transmit(long);
      await bOnAir;
    });
    const pa = new RadioProbe(a.radio);
    const pb = new RadioProbe(b.radio);
    try {
      a.radio.transmit(new TextEncoder().encode('after the long one'));
      await pa.until(() => pa.received.length === 1 && pa.done.length === 1, "b's frame at a, and a's own frame sent", 5000);
      assert.deepEqual(pa.received[0]!.bytes, long);
      assert.deepEqual(pa.done[0], { ok: true });
      assert.ok(a.radio.stats.cadBusy >= 1, "a's first CAD heard b's preamble");
      assert.equal(a.twin.counters.cutOff, 0, 'the chip left receive in the middle of a frame');
      await pb.until(() => pb.received.length === 1, "a's frame at b", 5000);
      assert.deepEqual(a.twin.violations, []);
    } finally {
      await a.radio.close();
      await b.radio.close();
      a.twin.dispose();
      b.twin.dispose();
    }
  });
}
