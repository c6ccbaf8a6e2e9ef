// The real GPIO boundary (gpiod-tools-pins.ts) against stand-ins for libgpiod's tools that keep
// the kernel's one rule that matters here: a line held by one process cannot be requested by
// another (EBUSY). Output changes of one line take effect in order, nothing is left holding a line
// after close(), and a helper process that fails or dies is reported.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { openGpiodPins } from '../src/radio/spi/gpiod-tools-pins.ts';
import type { FirmwareError } from '../src/firmware-error.ts';
import { useFakeGpiod } from './support/fake-gpiod.ts';

const gpiod = useFakeGpiod();
const { level, changes, free } = gpiod;

test('a RESET pulse asked for in two quick calls goes low then high, ends high, and close() leaves nothing holding the line', async (t) => {
  gpiod.fresh(t);
  for (let run = 0; run < 5; run++) {
    const pins = await openGpiodPins('gpiochip0');
    const reset = await pins.output(18, 1);
    // As a driver may: the second change asked for before the first is in effect.
    const low = reset.set(0);
    const high = reset.set(1);
    await Promise.all([low, high]);
    assert.equal(level(18), '1', `run ${run}: RESET is high again (the chip is out of reset)`);
    assert.deepEqual(changes(18).slice(-3), ['set 18=1', 'set 18=0', 'set 18=1'], `run ${run}: the pulse happened, in order`);
    await pins.close();
    assert.ok(free(18), `run ${run}: no gpioset is left holding GPIO 18 after close()`);
  }
});

test('of several changes asked for while one is under way, only the latest is made, and every caller hears when it is', async (t) => {
  gpiod.fresh(t);
  const pins = await openGpiodPins('gpiochip0');
  try {
    const txen = await pins.output(13, 0);
    await Promise.all([txen.set(1), txen.set(0), txen.set(1), txen.set(0)]);
    assert.equal(level(13), '0');
    assert.deepEqual(changes(13), ['set 13=0', 'set 13=1', 'set 13=0']);
  } finally {
    await pins.close();
  }
  assert.ok(free(13));
});

// Without the escalation to SIGKILL this test hung forever: the timeout turns that into a failure.
test('a gpioset that ignores SIGTERM still lets the level change and close() finish, and leaves nothing holding the line', { timeout: 30_000 }, async (t) => {
  gpiod.fresh(t);
  process.env.FAKE_GPIOSET_IGNORES_TERM = '1';
  t.after(() => {
    delete process.env.FAKE_GPIOSET_IGNORES_TERM;
  });
  const pins = await openGpiodPins('gpiochip0');
  const reset = await pins.output(18, 1);
  await reset.set(0);
  assert.equal(level(18), '0', 'the holder of the old level was ended and the new level made');
  await pins.close();
  assert.ok(free(18), 'no gpioset is left holding GPIO 18 after close()');
});

test('a line another program holds is refused with EBUSY and the reason', async (t) => {
  gpiod.fresh(t);
  // Another program holds GPIO 18.
  const holder = spawn('bash', ['-c', `exec 9>"${join(gpiod.dir, 'line-18.lock')}"; flock -n 9 && echo locked && exec sleep 60`], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => {
    holder.kill('SIGTERM');
  });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`the lock holder exited (${code})`)));
  });
  const pins = await openGpiodPins('gpiochip0');
  try {
    await assert.rejects(pins.output(18, 1), (err: FirmwareError) => {
      assert.equal(err.code, 'E_MODEM_UNAVAILABLE');
      assert.match(err.message, /could not set GPIO 18 on gpiochip0: gpioset: error setting the GPIO line values: Device or resource busy \(another program holds the line/);
      return true;
    });
  } finally {
    await pins.close();
  }
});

test('a gpioset that stops holding its line is reported, so the radio can reopen its pins', async (t) => {
  gpiod.fresh(t);
  process.env.FAKE_GPIOSET_HOLDER_FAILS = 'Device or resource busy';
  t.after(() => {
    delete process.env.FAKE_GPIOSET_HOLDER_FAILS;
  });
  const pins = await openGpiodPins('gpiochip0');
  try {
    const fault = new Promise<Error>((resolve) => pins.onFault!(resolve));
    await pins.output(18, 1);
    const err = await fault;
    assert.match(err.message, /gpioset holding GPIO 18 on gpiochip0 at 1 exited \(code 1\): gpioset: error setting the GPIO line values: Device or resource busy/);
  } finally {
    await pins.close();
  }
});

test('a gpiomon that dies is reported, so the radio can reopen its pins', async (t) => {
  gpiod.fresh(t);
  process.env.FAKE_GPIOMON_DIES = 'No such device';
  t.after(() => {
    delete process.env.FAKE_GPIOMON_DIES;
  });
  const pins = await openGpiodPins('gpiochip0');
  try {
    const fault = new Promise<Error>((resolve) => pins.onFault!(resolve));
    await pins.input(20);
    const err = await fault;
    assert.match(err.message, /gpiomon watching GPIO 20 on gpiochip0 exited \(code 1\): gpiomon: error waiting for events: No such device/);
  } finally {
    await pins.close();
  }
});
