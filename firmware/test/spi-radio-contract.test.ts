// The SX126x and SX127x drivers on their register-level twins pass the same radio contract as
// the RAK3172 driver and the simulated air radio, and the twins saw no command a real chip refuses.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loraParams } from '@unibos/mesh-protocol';
import { radioContract } from './contract/radio-contract.ts';
import { realMedium, twinRadio, type TwinRadio } from './support/spi-twin-rig.ts';
import { waveshareSx1262Hat } from '../src/boards/waveshare-sx1262-hat.ts';
import { adafruitRfm9xBonnet } from '../src/boards/adafruit-rfm9x-bonnet.ts';
import { e22900m30sHat } from '../src/boards/e22-900m30s-hat.ts';
import type { BoardProfile } from '../src/boards/board-profile.ts';

const params = loraParams('ShortFast', { frequencyHz: 869_525_000 });

function pairOn(boardA: BoardProfile, boardB: BoardProfile) {
  return async () => {
    const medium = realMedium(params);
    const a = await twinRadio(medium, 1, boardA, params);
    const b = await twinRadio(medium, 2, boardB, params);
    return {
      a: a.radio,
      b: b.radio,
      close: async () => {
        await a.radio.close();
        await b.radio.close();
        assertClean(a);
        assertClean(b);
        a.twin.dispose();
        b.twin.dispose();
      },
    };
  };
}

function assertClean(side: TwinRadio): void {
  assert.deepEqual(side.twin.violations, [], `${side.twin.chipName} twin saw commands a real chip refuses`);
}

radioContract('SX1262 driver (Waveshare HAT profile) on its register-level twin', pairOn(waveshareSx1262Hat, waveshareSx1262Hat));
radioContract('SX1276 driver (Adafruit RFM9x bonnet) on its register-level twin', pairOn(adafruitRfm9xBonnet, adafruitRfm9xBonnet));

test('an SX1262 (E22 HAT: TCXO, TXEN/RXEN) and an SX1276 hear each other on the same air', async () => {
  const medium = realMedium(params);
  const a = await twinRadio(medium, 1, e22900m30sHat, params);
  const b = await twinRadio(medium, 2, adafruitRfm9xBonnet, params);
  try {
    const got: Uint8Array[] = [];
    const heard = new Promise<void>((resolve) =>
      b.radio.attach({
        onReceive: (p) => {
          got.push(p.bytes);
          resolve();
        },
        onTransmitDone: () => undefined,
      }),
    );
    a.radio.attach({ onReceive: () => undefined, onTransmitDone: () => undefined });
    a.radio.transmit(new TextEncoder().encode('hello from an SX1262'));
    await heard;
    assert.equal(new TextDecoder().decode(got[0]), 'hello from an SX1262');
    assert.deepEqual(a.twin.violations, []);
    assert.deepEqual(b.twin.violations, []);
  } finally {
    await a.radio.close();
    await b.radio.close();
    a.twin.dispose();
    b.twin.dispose();
  }
});

test('on an E22 whose GPIO takes a moment to change (a gpioset to restart), TXEN is up before the chip sends', async () => {
  const medium = realMedium(params);
  const a = await twinRadio(medium, 1, e22900m30sHat, params, {}, {}, { gpioDelayMs: 3 });
  const b = await twinRadio(medium, 2, adafruitRfm9xBonnet, params);
  try {
    const heard = new Promise<Uint8Array>((resolve) => b.radio.attach({ onReceive: (p) => resolve(p.bytes), onTransmitDone: () => undefined }));
    const sent = new Promise<boolean>((resolve) => a.radio.attach({ onReceive: () => undefined, onTransmitDone: (ok) => resolve(ok) }));
    a.radio.transmit(new TextEncoder().encode('through the PA'));
    assert.equal(await sent, true);
    assert.deepEqual(a.twin.violations, [], 'SetTx came after TXEN was high: the frame went through the PA, not into the LNA');
    assert.equal(new TextDecoder().decode(await heard), 'through the PA');
  } finally {
    await a.radio.close();
    await b.radio.close();
    a.twin.dispose();
    b.twin.dispose();
  }
});
