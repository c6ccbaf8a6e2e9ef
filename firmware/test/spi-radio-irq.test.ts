// The SPI radio's interrupt handling against the register-level twins, with frames handed to the
// twin's antenna at exact moments: one landing while an interrupt is half serviced, one landing
// just as the node starts to send.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loraParams, type LoRaParams, type Radio, type RadioListener } from '@unibos/mesh-protocol';
import { RadioProbe } from './contract/radio-contract.ts';
import { makeChip, makeTwin } from '../src/radio/spi/spi-radio-factory.ts';
import { SpiLoraRadio } from '../src/radio/spi/spi-lora-radio.ts';
import { Sx126xTwin } from '../src/radio/spi/sx126x-twin.ts';
import type { SpiBus } from '../src/radio/spi/spi-bus.ts';
import type { BoardProfile } from '../src/boards/board-profile.ts';
import { waveshareSx1262Hat } from '../src/boards/waveshare-sx1262-hat.ts';
import { adafruitRfm9xBonnet } from '../src/boards/adafruit-rfm9x-bonnet.ts';

const params = loraParams('ShortFast', { frequencyHz: 869_525_000 });

/** An antenna whose air the test holds: frames arrive when the test says, and what is sent is kept. */
class HandAir implements Radio {
  readonly sent: Uint8Array[] = [];
  private listener: RadioListener | undefined;
  constructor(readonly params: LoRaParams) {}
  attach(listener: RadioListener): void {
    this.listener = listener;
  }
  transmit(frame: Uint8Array): void {
    this.sent.push(Uint8Array.from(frame));
    setImmediate(() => this.listener?.onTransmitDone(true));
  }
  isChannelBusy(): boolean {
    return false;
  }
  deliver(text: string): void {
    this.listener!.onReceive({ bytes: new TextEncoder().encode(text), rssi: -90, snr: 5 });
  }
}

/** A radio on a twin on a HandAir; `afterTransfer` sees every SPI frame once the chip answered it. */
async function handRig(board: BoardProfile, afterTransfer: (tx: Uint8Array) => void = () => undefined) {
  const air = new HandAir(params);
  const twin = makeTwin(board, { antenna: air });
  const chip = makeChip(board, async () => {
    const link = twin.link();
    const bus: SpiBus = {
      name: link.bus.name,
      close: () => link.bus.close(),
      transfer: async (tx) => {
        const rx = await link.bus.transfer(tx);
        afterTransfer(tx);
        return rx;
      },
    };
    return { bus, pins: link.pins };
  });
  const radio = new SpiLoraRadio({ chip, params, board: board.name, healthCheckMs: 0, listenBeforeTalk: false });
  await radio.open();
  const probe = new RadioProbe(radio);
  return {
    air,
    twin,
    radio,
    probe,
    close: async () => {
      await radio.close();
      twin.dispose();
    },
  };
}

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

test('an SX1262 frame that lands between GetIrqStatus and ClearIrqStatus is still read, and the node hears the next one', async () => {
  let raceFrame: (() => void) | undefined;
  const r = await handRig(waveshareSx1262Hat, (tx) => {
    if (tx[0] !== 0x12 || !raceFrame) return; // GetIrqStatus has just answered
    const deliver = raceFrame;
    raceFrame = undefined;
    deliver();
  });
  try {
    // A header error raises DIO1; while its flags are being read, a good frame completes.
    (r.twin as Sx126xTwin).breakNextHeader();
    raceFrame = () => r.air.deliver('landed mid-service');
    r.air.deliver('broken header');
    await r.probe.until(() => r.probe.received.length === 1, 'the frame that landed mid-service', 3000);
    r.air.deliver('the next one');
    await r.probe.until(() => r.probe.received.length === 2, 'the next frame', 3000);
    assert.deepEqual(r.probe.received.map((p) => text(p.bytes)), ['landed mid-service', 'the next one']);
    assert.equal(r.radio.stats.headerErrors, 1);
    assert.deepEqual(r.twin.violations, []);
  } finally {
    await r.close();
  }
});

for (const board of [waveshareSx1262Hat, adafruitRfm9xBonnet]) {
  test(`${board.chip.toUpperCase()}: a frame received just as the node starts to send is delivered intact, not overwritten by the outgoing one`, async () => {
    const r = await handRig(board);
    try {
      r.radio.transmit(new TextEncoder().encode('OUTGOING FRAME, LONGER THAN THE OTHER'));
      // Its interrupt is queued behind the transmission the node has already begun.
      r.air.deliver('incoming');
      await r.probe.until(() => r.probe.received.length === 1 && r.probe.done.length === 1, 'the frame in and the frame out', 3000);
      assert.equal(text(r.probe.received[0]!.bytes), 'incoming');
      assert.equal(r.probe.done[0]!.ok, true);
      assert.equal(text(r.air.sent[0]!), 'OUTGOING FRAME, LONGER THAN THE OTHER');
      assert.deepEqual(r.twin.violations, []);
    } finally {
      await r.close();
    }
  });
}
