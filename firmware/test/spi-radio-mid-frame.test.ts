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

/** A radio on a twin whose every SPI frame `afterTransfer` sees once the chip answered it. */
async function watchedRadio(medium: SimMedium, id: number, board: BoardProfile, afterTransfer: (tx: Uint8Array) => void) {
  const twin = makeTwin(board, { antenna: medium.radio(id) });
  const chip = makeChip(board, async () => {
    const link = twin.link();
    return {
      pins: link.pins,
      bus: {
        name: link.bus.name,
        close: () => link.bus.close(),
        transfer: async (tx: Uint8Array) => {
          const rx = await link.bus.transfer(tx);
          afterTransfer(tx);
          return rx;
        },
      },
    };
  });
  const radio = new SpiLoraRadio({ chip, params, board: board.name, healthCheckMs: 0, reconnectMinMs: 10, reconnectMaxMs: 100, txMarginMs: 500, random: () => 0.5 });
  await radio.open();
  return { twin, radio };
}

/** SetCad on an SX126x; RegOpMode written with mode CAD on an SX127x. */
const startsCad = (board: BoardProfile, tx: Uint8Array): boolean => (board.chip === 'sx1276' ? tx[0] === 0x81 && tx.length === 2 && (tx[1]! & 7) === 7 : tx[0] === 0xc5);

for (const board of [waveshareSx1262Hat, adafruitRfm9xBonnet]) {
  test(`${board.chip.toUpperCase()}: the frame whose preamble a CAD detected is heard intact, not cut off by the next CAD after the backoff`, async () => {
    const medium = realMedium(params);
    // B sends without listening first, so its frame starts while A's first CAD is running.
    const b = await twinRadio(medium, 2, board, params, { listenBeforeTalk: false });
    const long = Uint8Array.from({ length: 200 }, (_, i) => (i * 3) & 0xff);
    let cads = 0;
    const a = await watchedRadio(medium, 1, board, (tx) => {
      if (startsCad(board, tx) && ++cads === 1) b.radio.transmit(long);
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
