// The edges of the SPI path that meet the real system: libgpiod's tool output, the SPI device
// node and the spi-device addon, and board profiles read from a user's JSON file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { headerChip, openGpiodPins, parseEdge, parseGpiodetect } from '../src/radio/spi/gpiod-tools-pins.ts';
import { openSpiDevice } from '../src/radio/spi/spi-device-bus.ts';
import { parseBoardProfile } from '../src/boards/board-profile.ts';
import { BOARDS, resolveBoard } from '../src/boards/board-catalog.ts';
import { waveshareSx1262Hat } from '../src/boards/waveshare-sx1262-hat.ts';
import { adafruitRfm9xBonnet } from '../src/boards/adafruit-rfm9x-bonnet.ts';
import { FirmwareError } from '../src/firmware-error.ts';

test('the header GPIO chip is found by label on a Pi 4 and on a Pi 5 of either kernel numbering', () => {
  const pi4 = parseGpiodetect('gpiochip0 [pinctrl-bcm2711] (58 lines)\ngpiochip1 [raspberrypi-exp-gpio] (8 lines)\n');
  assert.equal(headerChip(pi4)?.name, 'gpiochip0');
  const pi5Old = parseGpiodetect('gpiochip0 [gpio-brcmstb@107d508500] (32 lines)\ngpiochip1 [gpio-brcmstb@107d508520] (4 lines)\ngpiochip4 [pinctrl-rp1] (54 lines)\n');
  assert.equal(headerChip(pi5Old)?.name, 'gpiochip4');
  const pi5New = parseGpiodetect('gpiochip0 [pinctrl-rp1] (54 lines)\ngpiochip10 [gpio-brcmstb@107d508500] (32 lines)\n');
  assert.equal(headerChip(pi5New)?.name, 'gpiochip0');
  assert.equal(headerChip(parseGpiodetect('gpiochip0 [some-expander] (16 lines)')), undefined);
});

test('gpiomon edge lines of libgpiod 1.6 (1/0) and 2.x (1/2) are read, anything else ignored', () => {
  assert.deepEqual(parseEdge('16 1'), { offset: 16, level: 1 });
  assert.deepEqual(parseEdge('16 0'), { offset: 16, level: 0 });
  assert.deepEqual(parseEdge('20 2'), { offset: 20, level: 0 });
  assert.equal(parseEdge('event: RISING EDGE offset: 16'), undefined);
  fc.assert(fc.property(fc.string(), (s) => {
    const e = parseEdge(s);
    return e === undefined || (Number.isInteger(e.offset) && (e.level === 0 || e.level === 1));
  }));
});

test('a missing /dev/spidev says to enable SPI, naming the board\'s chip-select overlay', async () => {
  await assert.rejects(openSpiDevice(adafruitRfm9xBonnet, { exists: () => false }), (err: FirmwareError) => {
    assert.equal(err.code, 'E_MODEM_UNAVAILABLE');
    assert.equal(err.message, '/dev/spidev0.1 not found: enable SPI (dtparam=spi=on in /boot/firmware/config.txt) and reboot');
    return true;
  });
  await assert.rejects(openSpiDevice(waveshareSx1262Hat, { exists: () => false }), /dtoverlay=spi0-1cs,cs0_pin=21/);
  // The addon itself, asked for a device node that is not there, gives the same answer.
  await assert.rejects(openSpiDevice(waveshareSx1262Hat, { exists: () => true }), /\/dev\/spidev0\.0 not found: enable SPI|spi-device module is missing/);
});

test('without libgpiod\'s tools the fix is to install them', async () => {
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    await assert.rejects(openGpiodPins('auto'), /gpioset not found: install libgpiod's tools \(sudo apt install gpiod\)/);
  } finally {
    process.env.PATH = path;
  }
});

test('built-in boards are all valid, named uniquely, and each says where its numbers come from', () => {
  assert.equal(new Set(BOARDS.map((b) => b.name)).size, BOARDS.length);
  for (const b of BOARDS) {
    assert.ok(b.sources.length > 0, `${b.name} has sources`);
    assert.deepEqual(parseBoardProfile(JSON.parse(JSON.stringify(b)), b.name), b, `${b.name} survives a JSON round trip`);
    assert.equal(resolveBoard(b.name), b);
  }
});

test('a board profile from a file either parses or is refused with E_CONFIG, never a crash', () => {
  const base = JSON.parse(JSON.stringify(waveshareSx1262Hat)) as Record<string, unknown>;
  const value = fc.oneof(fc.constant(undefined), fc.integer({ min: -5, max: 600 }), fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer({ min: -1, max: 40 })), fc.object());
  fc.assert(
    fc.property(fc.constantFrom(...Object.keys(base), 'pins', 'spi'), value, fc.option(fc.constantFrom('reset', 'busy', 'irq', 'enable', 'bus', 'chipSelect')), (key, v, sub) => {
      const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
      if (sub && typeof copy[key] === 'object' && copy[key] !== null) (copy[key] as Record<string, unknown>)[sub] = v;
      else copy[key] = v;
      try {
        parseBoardProfile(copy, 'fuzz');
        return true;
      } catch (err) {
        return err instanceof FirmwareError && err.code === 'E_CONFIG';
      }
    }),
    { numRuns: 500 },
  );
});
