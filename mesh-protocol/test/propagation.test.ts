// Propagation model: path loss, noise floor, demodulation limits, range and per-link shadowing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loraParams } from '../src/phy/lora-params.ts';
import {
  DEFAULT_PROPAGATION,
  linkBudget,
  linkShadowingDb,
  noiseFloorDbm,
  pathLossDb,
  rangeM,
  snrFloorDb,
} from '../src/sim/propagation.ts';

const close = (actual: number, expected: number, eps = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) < eps, `expected ${expected}, got ${actual}`);

test('demodulation floors per spreading factor follow the SX127x datasheet', () => {
  const expected: Array<[number, number]> = [
    [7, -7.5],
    [8, -10],
    [9, -12.5],
    [10, -15],
    [11, -17.5],
    [12, -20],
  ];
  for (const [sf, floor] of expected) assert.equal(snrFloorDb(sf), floor);
  assert.throws(() => snrFloorDb(13), { name: 'RangeError', message: /13/ });
  assert.throws(() => snrFloorDb(9.5), RangeError);
});

test('noise floor: -174 dBm/Hz + 10·log10(BW) + NF, giving the datasheet -137 dBm sensitivity at SF12/BW125', () => {
  close(noiseFloorDbm(125_000, 6), -174 + 10 * Math.log10(125_000) + 6);
  close(noiseFloorDbm(250_000, 0) - noiseFloorDbm(125_000, 0), 10 * Math.log10(2));
  assert.ok(Math.abs(noiseFloorDbm(125_000) + snrFloorDb(12) - -137) < 0.1);
  assert.throws(() => noiseFloorDbm(0), RangeError);
});

test('path loss is the reference loss at 1 m and grows 10·n dB per decade', () => {
  close(pathLossDb(1), DEFAULT_PROPAGATION.referenceLossDb);
  close(pathLossDb(0.1), DEFAULT_PROPAGATION.referenceLossDb);
  close(pathLossDb(0), DEFAULT_PROPAGATION.referenceLossDb);
  close(pathLossDb(1000) - pathLossDb(100), 10 * DEFAULT_PROPAGATION.pathLossExponent);
  assert.throws(() => pathLossDb(-1), RangeError);
  assert.throws(() => pathLossDb(Number.NaN), RangeError);
});

test('RSSI and SNR fall monotonically with distance; shadowing is extra loss', () => {
  const p = loraParams('LongFast');
  let previous = linkBudget(1, p);
  for (let d = 10; d <= 50_000; d *= 1.5) {
    const now = linkBudget(d, p);
    assert.ok(now.rssi < previous.rssi && now.snr < previous.snr, `not decreasing at ${d} m`);
    close(now.rssi - now.snr, noiseFloorDbm(p.bandwidthHz));
    previous = now;
  }
  close(linkBudget(2000, p, 6).rssi, linkBudget(2000, p, 0).rssi - 6);
});

test('a link is audible exactly up to rangeM, where the mean SNR meets the floor', () => {
  const p = loraParams('LongFast');
  const r = rangeM(p);
  close(linkBudget(r, p).snr, snrFloorDb(11), 1e-6);
  assert.equal(linkBudget(r * 0.99, p).audible, true);
  assert.equal(linkBudget(r * 1.01, p).audible, false);
  // A few km for ground-level LongFast at 14 dBm with the default model.
  assert.ok(r > 3000 && r < 15_000, `LongFast range ${r} m`);
});

test('range grows with spreading factor and with transmit power', () => {
  let previous = 0;
  for (let sf = 7; sf <= 12; sf++) {
    const r = rangeM(loraParams('LongFast', { sf }));
    assert.ok(r > previous, `SF${sf} range ${r} not above ${previous}`);
    previous = r;
  }
  assert.ok(rangeM(loraParams('LongFast', { txPowerDbm: 20 })) > rangeM(loraParams('LongFast', { txPowerDbm: 14 })));
  // 10·n dB more budget buys exactly one decade of range.
  const n = DEFAULT_PROPAGATION.pathLossExponent;
  close(rangeM(loraParams('LongFast', { txPowerDbm: 14 + 10 * n })) / rangeM(loraParams('LongFast')), 10, 1e-9);
});

test('range is 0 when even 1 m does not close the link', () => {
  assert.equal(rangeM(loraParams('ShortFast', { txPowerDbm: -100 })), 0);
});

test('link shadowing is symmetric, deterministic per seed, and differs between links and seeds', () => {
  const values = new Set<number>();
  for (let a = 1; a <= 20; a++) {
    for (let b = a + 1; b <= 20; b++) {
      const ab = linkShadowingDb(42, a, b);
      assert.equal(ab, linkShadowingDb(42, b, a));
      assert.equal(ab, linkShadowingDb(42, a, b));
      assert.ok(Number.isFinite(ab));
      values.add(ab);
    }
  }
  assert.equal(values.size, (20 * 19) / 2, 'every link has its own value');
  assert.notEqual(linkShadowingDb(1, 5, 9), linkShadowingDb(2, 5, 9));
  assert.ok(Number.isFinite(linkShadowingDb(7, 0xffffffff, 0)));
});

test('link shadowing is zero-mean with the requested sigma', () => {
  const sigma = 6;
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  for (let a = 0; a < 200; a++) {
    for (let b = a + 1; b < 200; b++) {
      const s = linkShadowingDb(2024, a, b, sigma);
      sum += s;
      sumSq += s * s;
      count++;
    }
  }
  const mean = sum / count;
  const sd = Math.sqrt(sumSq / count - mean * mean);
  assert.ok(Math.abs(mean) < 0.1, `mean ${mean}`);
  assert.ok(Math.abs(sd - sigma) < 0.15, `sd ${sd}`);
  assert.equal(Math.abs(linkShadowingDb(2024, 3, 4, 0)), 0);
});
