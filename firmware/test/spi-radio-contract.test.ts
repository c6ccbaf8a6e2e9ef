// The SX126x and SX127x drivers on their register-level twins pass the same radio contract as
// the RAK3172 driver and the simulated air radio, and the twins saw no command a real chip refuses.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loraParams } from '@unibos/mesh-protocol';
import { RadioProbe, radioContract } from './contract/radio-contract.ts';
import { realMedium, twinRadio, type TwinRadio } from './support/spi-twin-rig.ts';
import { waveshareSx1262Hat } from '../src/boards/waveshare-sx1262-hat.ts';
import { adafruitRfm9xBonnet } from '../src/boards/adafruit-rfm9x-bonnet.ts';
import { e22900m30sHat } from '../src/boards/e22-900m30s-hat.ts';
import type { BoardProfile } from '../src/boards/board-profile.ts';
import type { Sx126xTwin } from '../src/radio/spi/sx126x-twin.ts';
import type { Sx127xTwin } from '../src/radio/spi/sx127x-twin.ts';

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

test('with BUSY and DIO1 heard late, as gpiomon reports them through a pipe, no command reaches an SX1262 while it is busy, and frames flow both ways', async () => {
  const medium = realMedium(params);
  const a = await twinRadio(medium, 1, waveshareSx1262Hat, params, {}, {}, { inputDelayMs: 2 });
  const b = await twinRadio(medium, 2, e22900m30sHat, params, {}, {}, { inputDelayMs: 2 });
  try {
    const pa = new RadioProbe(a.radio);
    const pb = new RadioProbe(b.radio);
    a.radio.transmit(new TextEncoder().encode('after calibration'));
    await pb.until(() => pb.received.length === 1, 'b to receive');
    b.radio.transmit(new TextEncoder().encode('and back'));
    await pa.until(() => pa.received.length === 1, 'a to receive');
    assert.equal(new TextDecoder().decode(pb.received[0]!.bytes), 'after calibration');
    assert.equal(new TextDecoder().decode(pa.received[0]!.bytes), 'and back');
    assertClean(a);
    assertClean(b);
  } finally {
    await a.radio.close();
    await b.radio.close();
    a.twin.dispose();
    b.twin.dispose();
  }
});

test('an SX1262 or SX1268 asked for 14 dBm sets the full-power PA row and 14 dBm in SetTxParams, so the power is cut once, not twice', async () => {
  const { makeChip, makeTwin } = await import('../src/radio/spi/spi-radio-factory.ts');
  const { SpiLoraRadio } = await import('../src/radio/spi/spi-lora-radio.ts');
  const sx1268: BoardProfile = { ...waveshareSx1262Hat, name: 'sx1268-test', chip: 'sx1268' };
  for (const [board, paRow] of [[waveshareSx1262Hat, '04 07 00 01'], [sx1268, '04 06 00 01']] as const) {
    const p = { ...params, txPowerDbm: 14 };
    const medium = realMedium(p);
    const twin = makeTwin(board, { antenna: medium.radio(1) });
    const sent: Uint8Array[] = [];
    const chip = makeChip(board, async () => {
      const link = twin.link();
      return { pins: link.pins, bus: { name: link.bus.name, close: link.bus.close, transfer: (tx: Uint8Array) => (sent.push(Uint8Array.from(tx)), link.bus.transfer(tx)) } };
    });
    const radio = new SpiLoraRadio({ chip, params: p, board: board.name, healthCheckMs: 0 });
    await radio.open();
    try {
      const hex = (op: number): string[] => sent.filter((f) => f[0] === op).map((f) => [...f.subarray(1)].map((b) => b.toString(16).padStart(2, '0')).join(' '));
      assert.deepEqual(hex(0x95), [paRow], `${board.chip} SetPaConfig`);
      assert.deepEqual(hex(0x8e), ['0e 04'], `${board.chip} SetTxParams: +14 dBm, 200 us ramp`);
      const done = new Promise<boolean>((resolve) => radio.attach({ onReceive: () => undefined, onTransmitDone: (ok) => resolve(ok) }));
      radio.transmit(Uint8Array.of(1, 2, 3));
      assert.equal(await done, true);
      assert.deepEqual(twin.violations, []);
    } finally {
      await radio.close();
      twin.dispose();
    }
  }
});

test('on a TCXO board (E22) the probe reports no device errors: the power-on XOSC start error is cleared once DIO3 feeds the TCXO, and the TX clamp fix is set', async () => {
  const { probeRadio } = await import('../src/radio/spi/radio-probe.ts');
  const report = await probeRadio({ board: e22900m30sHat, params, region: 'EU868', preset: 'ShortFast', twin: true });
  assert.deepEqual(report.steps.filter((s) => !s.ok), [], 'every probe step passes');
  assert.ok(report.steps.some((s) => s.what === 'device errors: none'));
  const medium = realMedium(params);
  const a = await twinRadio(medium, 1, e22900m30sHat, params);
  try {
    const { Sx126xTwin } = await import('../src/radio/spi/sx126x-twin.ts');
    assert.ok(a.twin instanceof Sx126xTwin);
    assert.equal(a.twin.register(0x08d8) & 0x1e, 0x1e, 'TxClampConfig bits 4:1 set (datasheet 15.2)');
  } finally {
    await a.radio.close();
    a.twin.dispose();
  }
});

test('an SX1262 at 500 kHz clears bit 2 of register 0x0889 before it sends (datasheet 15.1)', async () => {
  const wide = loraParams('ShortFast', { frequencyHz: 915_000_000, bandwidthHz: 500_000 });
  const medium = realMedium(wide);
  const a = await twinRadio(medium, 1, waveshareSx1262Hat, wide);
  const b = await twinRadio(medium, 2, waveshareSx1262Hat, wide);
  const pb = new RadioProbe(b.radio);
  try {
    a.radio.attach({ onReceive: () => undefined, onTransmitDone: () => undefined });
    a.radio.transmit(new TextEncoder().encode('wide'));
    await pb.until(() => pb.received.length === 1, 'b to hear the 500 kHz frame');
    assert.deepEqual(a.twin.violations, [], 'the chip sent distorted 500 kHz chirps');
    assert.equal((a.twin as Sx126xTwin).register(0x0889) & 0x04, 0);
  } finally {
    await a.radio.close();
    await b.radio.close();
    a.twin.dispose();
    b.twin.dispose();
  }
});

for (const [bandwidthHz, frequencyHz, expected] of [
  [250_000, 869_525_000, { 0x31: 0x43, 0x2f: 0x40, 0x30: 0x00, 0x36: 0x03 }],
  [500_000, 915_000_000, { 0x31: 0xc3, 0x36: 0x02, 0x3a: 0x64 }],
  [500_000, 433_175_000, { 0x31: 0xc3, 0x36: 0x02, 0x3a: 0x7f }],
] as const) {
  test(`an SX1276 at ${bandwidthHz / 1000} kHz on ${frequencyHz / 1e6} MHz listens with the errata note's receiver settings (2.1 sensitivity, 2.3 spurious reception)`, async () => {
    const p = loraParams('ShortFast', { frequencyHz, bandwidthHz });
    const a = await twinRadio(realMedium(p), 1, adafruitRfm9xBonnet, p);
    try {
      const twin = a.twin as Sx127xTwin;
      for (const [address, value] of Object.entries(expected)) assert.equal(twin.register(Number(address)), value, `register 0x${Number(address).toString(16)}`);
      assert.deepEqual(a.twin.violations, []);
    } finally {
      await a.radio.close();
      a.twin.dispose();
    }
  });
}
