// `unibos radio` as someone with a LoRa HAT runs it: list the boards, probe one (here its
// emulated chip, and the real bus, which this machine does not have), and `unibos node --radio
// spi` saying what to fix when SPI is off.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Proc, procs, unibos } from './support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'unibos-radio-'));
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

test('radio boards lists the built-in SX1262 and SX1276 boards', async () => {
  const r = await unibos(['radio', 'boards']);
  assert.equal(r.code, 0);
  for (const name of ['waveshare-sx1262-hat', 'rak6421-rak13300-slot1', 'rak6421-rak13302-slot2', 'e22-900m30s-hat', 'adafruit-rfm9x-bonnet']) assert.match(r.stdout, new RegExp(`^${name} `, 'm'));
});

test('radio probe --twin finds the emulated chip, configures it and leaves it listening', async () => {
  for (const [board, evidence] of [
    ['waveshare-sx1262-hat', /ok {3}chip answers: SX1262, status 0x[0-9a-f]{2} \(STBY_RC\), LoRa sync word 0x1424/],
    ['adafruit-rfm9x-bonnet', /ok {3}chip answers: SX1276, RegVersion 0x12/],
  ] as const) {
    const r = await unibos(['radio', 'probe', '--board', board, '--twin', '--data-dir', join(root, 'probe')]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, evidence);
    assert.match(r.stdout, /ok {3}listening: chip mode RX/);
    assert.match(r.stdout, /^plan {5}EU868 LongFast: 869\.525 MHz, SF11, 250 kHz/m);
    assert.match(r.stdout, /probe ok/);
  }
});

test('radio probe on a machine without SPI says to enable it, with the board\'s chip-select overlay', async () => {
  const r = await unibos(['radio', 'probe', '--board', 'e22-900m30s-hat', '--data-dir', join(root, 'probe')]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAIL \/dev\/spidev0\.0 not found\n {5}fix: enable SPI \(dtparam=spi=on in \/boot\/firmware\/config\.txt\) and add "dtoverlay=spi0-1cs,cs0_pin=21"/);
});

test('a custom board profile is taken from a path, and a wrong one is refused naming the field', async () => {
  const good = join(root, 'my-hat.json');
  writeFileSync(good, JSON.stringify({ name: 'my-hat', chip: 'sx1262', spi: { bus: 0, chipSelect: 1 }, pins: { reset: 5, busy: 6, irq: 13 }, tcxoVoltage: 1.8, dio2AsRfSwitch: true, maxChipPowerDbm: 22, frequencyRangeMhz: [863, 928] }));
  const r = await unibos(['radio', 'probe', '--board', good, '--twin', '--data-dir', join(root, 'probe')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /pins {5}RESET GPIO 5, BUSY GPIO 6, DIO1 GPIO 13/);
  const bad = join(root, 'bad-hat.json');
  writeFileSync(bad, JSON.stringify({ name: 'bad', chip: 'sx1262', spi: { bus: 0, chipSelect: 0 }, pins: { reset: 5, irq: 13 }, maxChipPowerDbm: 22, frequencyRangeMhz: [863, 928] }));
  const r2 = await unibos(['radio', 'probe', '--board', bad, '--twin', '--data-dir', join(root, 'probe')]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /board profile .*bad-hat\.json: an SX1262 needs pins\.busy/);
});

test('unibos node --radio spi needs a board, knows the board names, and checks the band', async () => {
  const noBoard = await unibos(['node', '--radio', 'spi', '--data-dir', join(root, 'n1')]);
  assert.equal(noBoard.code, 2);
  assert.match(noBoard.stderr, /--radio spi needs --board NAME \(waveshare-sx1262-hat, /);
  const unknown = await unibos(['node', '--radio', 'spi', '--board', 'no-such-hat', '--data-dir', join(root, 'n1')]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown board "no-such-hat": choose one of/);
  const band = await unibos(['node', '--radio', 'spi', '--board', 'rak6421-rak13300-slot1', '--region', 'EU433', '--data-dir', join(root, 'n1')]);
  assert.equal(band.code, 2);
  assert.match(band.stderr, /433\.875 MHz is outside what the RAK6421 Pi HAT with RAK13300 in IO slot 1 is built for \(863-928 MHz\)/);
});

test('unibos node --radio spi without SPI keeps running and says how to enable it', async () => {
  const node = new Proc(['node', '--radio', 'spi', '--board', 'waveshare-sx1262-hat', '--data-dir', join(root, 'n2'), '--http-port', 'off']);
  const line = await node.waitFor((l) => JSON.stringify(l).includes('enable SPI'), 'the radio failure');
  assert.match(JSON.stringify(line), /\/dev\/spidev0\.0 not found: enable SPI \(dtparam=spi=on/);
  assert.equal(await node.stop(), 0);
});

test('unibos node --radio spi-twin: an emulated SX1262 and SX1276 talk to a simulated node on unibos air', { timeout: 120_000 }, async () => {
  const air = new Proc(['air', '--port', '0', '--preset', 'ShortFast']);
  const airPort = Number((await air.waitFor((l) => l.msg === 'simulated air listening', 'the air')).port);
  const node = (name: string, lon: number, radio: string[]) =>
    new Proc(['node', ...radio, '--data-dir', join(root, name), '--name', name, '--preset', 'ShortFast', '--air', `127.0.0.1:${airPort}`, '--lat', '41', '--lon', String(lon), '--http-port', 'off']);
  const a = node('sx1262', 29, ['--radio', 'spi-twin', '--board', 'waveshare-sx1262-hat']);
  const b = node('sx1276', 29.01, ['--radio', 'spi-twin', '--board', 'adafruit-rfm9x-bonnet']);
  const c = node('sim', 29.02, ['--radio', 'sim']);
  const started = async (p: Proc) => (await p.waitFor((l) => l.msg === 'node started', 'node start')).nodeId as string;
  const [, , idC] = [await started(a), await started(b), await started(c)];
  await a.waitFor((l) => l.msg === 'chip found' && l.chip === 'SX1262', 'the SX1262 twin found');
  await b.waitFor((l) => l.msg === 'chip found' && l.chip === 'SX1276', 'the SX1276 twin found');
  const sent = await unibos(['send', 'from an emulated SX1262', '--to', idC, '--data-dir', join(root, 'sx1262')]);
  assert.equal(sent.code, 0, sent.stderr);
  await c.waitFor((l) => l.msg === 'text received', 'the simulated node to receive the text');
  const status = await unibos(['status', '--data-dir', join(root, 'sx1276')]);
  assert.match(status.stdout, /radio {5}spi-twin, ready/);
  for (const p of [a, b, c, air]) assert.equal(await p.stop(), 0);
});
