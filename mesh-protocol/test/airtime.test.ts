// Time on air against the SX127x datasheet example and hand-computed cases.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loraParams, type LoRaParams } from '../src/phy/lora-params.ts';
import { lowDataRateOn, payloadSymbols, slotTimeMs, symbolTimeMs, timeOnAirMs } from '../src/phy/airtime.ts';

const close = (actual: number, expected: number, eps = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) < eps, `expected ${expected}, got ${actual}`);

function params(overrides: Partial<LoRaParams>): LoRaParams {
  return loraParams('LongFast', {
    sf: 9,
    bandwidthHz: 125_000,
    codingRate: 1,
    preambleSymbols: 8,
    explicitHeader: true,
    crc: true,
    ...overrides,
  });
}

test('datasheet example: SF9/BW125/CR4-5, 8-symbol preamble, explicit, CRC, 13 bytes', () => {
  const p = params({});
  assert.equal(payloadSymbols(p, 13), 28);
  close(symbolTimeMs(p), 4.096);
  close(timeOnAirMs(p, 13), 164.864);
  assert.equal(lowDataRateOn(p), false);
});

test('SF7/BW125, 10 bytes: 28 payload symbols, 41.216 ms', () => {
  const p = params({ sf: 7 });
  assert.equal(payloadSymbols(p, 10), 28);
  close(timeOnAirMs(p, 10), 12.25 * 1.024 + 28 * 1.024);
});

test('SF12/BW125 switches low-data-rate optimisation on automatically (32.768 ms symbols)', () => {
  const p = params({ sf: 12 });
  assert.equal(lowDataRateOn(p), true);
  // ceil((160 - 48 + 28 + 16) / (4 * 10)) = 4 blocks of 5 symbols; without LDRO it would be ceil(156/48) = 4 too,
  // so use 30 bytes where the two differ: ceil(236/40) = 6 vs ceil(236/48) = 5.
  assert.equal(payloadSymbols(p, 20), 28);
  close(timeOnAirMs(p, 20), 1318.912);
  assert.equal(payloadSymbols(p, 30), 8 + 6 * 5);
  assert.equal(payloadSymbols({ ...p, lowDataRateOptimize: false }, 30), 8 + 5 * 5);
});

test('an explicit low-data-rate setting overrides the automatic choice', () => {
  assert.equal(lowDataRateOn(params({ sf: 7, lowDataRateOptimize: true })), true);
  assert.equal(lowDataRateOn(params({ sf: 12, lowDataRateOptimize: false })), false);
  // SF11/BW125 is exactly 16.384 ms per symbol: on; SF11/BW250 is 8.192 ms: off.
  assert.equal(lowDataRateOn(params({ sf: 11 })), true);
  assert.equal(lowDataRateOn(params({ sf: 11, bandwidthHz: 250_000 })), false);
});

test('implicit header saves the 20-bit header term', () => {
  const p = params({ explicitHeader: false });
  // ceil((104 - 36 + 28 + 16 - 20) / 36) = 3 blocks
  assert.equal(payloadSymbols(p, 13), 23);
  close(timeOnAirMs(p, 13), 50.176 + 23 * 4.096);
});

test('CRC off removes the 16-bit CRC term', () => {
  const p = params({ sf: 7, crc: false });
  // ceil((80 - 28 + 28) / 28) = 3 blocks
  assert.equal(payloadSymbols(p, 10), 23);
  close(timeOnAirMs(p, 10), 12.544 + 23 * 1.024);
});

test('coding rate 4/8 stretches each block to 8 symbols', () => {
  assert.equal(payloadSymbols(params({ codingRate: 4 }), 13), 8 + 4 * 8);
});

test('255 bytes on LongFast (SF11/BW250, 16-symbol preamble) takes 2156.544 ms', () => {
  const p = loraParams('LongFast');
  // ceil((2040 - 44 + 28 + 16) / 44) = 47 blocks of 5
  assert.equal(payloadSymbols(p, 255), 243);
  close(timeOnAirMs(p, 255), 20.25 * 8.192 + 243 * 8.192);
});

test('an empty implicit frame without CRC never has a negative symbol count', () => {
  assert.equal(payloadSymbols(params({ sf: 12, explicitHeader: false, crc: false }), 0), 8);
});

test('time on air never decreases as the payload grows', () => {
  for (const preset of ['LongFast', 'LongSlow', 'MediumFast', 'ShortFast'] as const) {
    const p = loraParams(preset);
    let previous = 0;
    for (let bytes = 0; bytes <= 255; bytes++) {
      const t = timeOnAirMs(p, bytes);
      assert.ok(t >= previous, `${preset}: ${bytes} bytes took ${t} ms < ${previous} ms`);
      previous = t;
    }
    assert.ok(timeOnAirMs(p, 255) > timeOnAirMs(p, 0));
  }
});

test('slot time is 2.5 symbols + 7.6 ms (28.08 ms on LongFast)', () => {
  close(slotTimeMs(loraParams('LongFast')), 28.08);
  close(slotTimeMs(params({ sf: 7 })), 2.5 * 1.024 + 7.6);
});

test('invalid parameters throw a RangeError naming the problem', () => {
  const p = params({});
  assert.throws(() => timeOnAirMs({ ...p, sf: 5 }, 10), { name: 'RangeError', message: /spreading factor.*5/ });
  assert.throws(() => timeOnAirMs({ ...p, sf: 13 }, 10), { name: 'RangeError', message: /spreading factor/ });
  assert.throws(() => timeOnAirMs({ ...p, codingRate: 0 }, 10), { name: 'RangeError', message: /coding rate/ });
  assert.throws(() => timeOnAirMs({ ...p, codingRate: 5 }, 10), { name: 'RangeError', message: /coding rate/ });
  assert.throws(() => timeOnAirMs({ ...p, bandwidthHz: 0 }, 10), { name: 'RangeError', message: /bandwidth/ });
  assert.throws(() => timeOnAirMs({ ...p, bandwidthHz: -125_000 }, 10), { name: 'RangeError', message: /bandwidth/ });
  assert.throws(() => timeOnAirMs(p, -1), { name: 'RangeError', message: /payload.*-1/ });
  assert.throws(() => timeOnAirMs(p, 256), { name: 'RangeError', message: /payload.*256/ });
  assert.throws(() => symbolTimeMs({ sf: 6.5, bandwidthHz: 125_000 }), RangeError);
  assert.throws(() => slotTimeMs({ sf: 9, bandwidthHz: Number.NaN }), RangeError);
});
