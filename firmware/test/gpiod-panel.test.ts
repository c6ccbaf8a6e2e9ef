// The panel as the stock image runs it: io 'gpiod', as the unprivileged `unibos` user, through
// libgpiod's tools. Stand-ins for the tools (test/fixtures/fake-gpiod) keep a level per line,
// refuse a line another process holds (EBUSY) and play the edges a test appends; the panel's
// timing runs on simulated time, so each step waits for the edge or write it depends on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimScheduler } from '@unibos/mesh-protocol';
import type { ButtonPress } from '../src/gpio/device-panel.ts';
import { GpiodIo } from '../src/gpio/gpiod-io.ts';
import { DEFAULT_HOLD_MS, DEFAULT_DEBOUNCE_MS, JohnnyFivePanel, type JohnnyFivePanelOptions } from '../src/gpio/johnny-five-panel.ts';
import type { FirmwareError } from '../src/firmware-error.ts';
import { useFakeGpiod } from './support/fake-gpiod.ts';

const gpiod = useFakeGpiod('unibos-gpiod-panel-');
const { level, changes, free } = gpiod;

// The default pins: button GPIO17, LED GPIO23, buzzer GPIO24.
const BUTTON = 17;
const LED = 23;
const BUZZER = 24;

// A step waits for an edge that never comes when the panel misreads the line: each test has a timeout (fail, not hang).
interface Rig {
  sched: SimScheduler;
  panel: JohnnyFivePanel;
  io: GpiodIo;
  presses: Array<{ press: ButtonPress; atMs: number }>;
}

async function startRig(options: Omit<JohnnyFivePanelOptions, 'io' | 'scheduler'> = {}): Promise<Rig> {
  const sched = new SimScheduler();
  const panel = new JohnnyFivePanel({ ...options, io: 'gpiod', scheduler: sched });
  const presses: Rig['presses'] = [];
  panel.onButton((press) => presses.push({ press, atMs: sched.now() }));
  await panel.start();
  const io = panel.boardIo;
  assert.ok(io instanceof GpiodIo, `io 'gpiod' runs the panel over GpiodIo, not ${io?.name}`);
  return { sched, panel, io, presses };
}

/** The button line goes to `value` (0 = pressed, to ground); resolves once the panel's IO has seen the edge. */
async function setButton(rig: Rig, value: 0 | 1): Promise<void> {
  const seen = once(rig.io, `digital-read-${BUTTON}`);
  writeFileSync(join(gpiod.dir, `line-${BUTTON}.level`), `${value}\n`);
  appendFileSync(join(gpiod.dir, 'edges'), `${BUTTON} ${value}\n`);
  const [got] = await seen;
  assert.equal(got, value);
}

// That the button line gets its pull-up shows in the next test: without it the button reads
// pressed from the start and no press is ever seen.
test("io 'gpiod' opens LED and buzzer low, through the header chip gpiodetect finds, and stop() leaves no line held", { timeout: 20_000 }, async (t) => {
  gpiod.fresh(t);
  const rig = await startRig();
  try {
    await rig.io.flush();
    assert.equal(rig.io.name, 'gpiod gpiochip0');
    assert.equal(changes(LED)[0], `set ${LED}=0`, 'the LED line opens low');
    assert.equal(level(LED), '1', 'then the no-fix pattern starts with a blink');
    assert.deepEqual(changes(BUZZER), [`set ${BUZZER}=0`], 'the buzzer line opens low and stays so');
  } finally {
    await rig.panel.stop();
  }
  assert.ok(free(LED) && free(BUZZER), 'stop() leaves nothing holding the lines');
});

test('holding the button for 3 s raises SOS at that moment; a quick press says "safe" once it is let go', { timeout: 20_000 }, async (t) => {
  gpiod.fresh(t);
  const rig = await startRig();
  try {
    rig.sched.runUntil(1_000);
    await setButton(rig, 0);
    rig.sched.runUntil(1_000 + DEFAULT_HOLD_MS - 1);
    assert.deepEqual(rig.presses, [], 'not yet: the hold time has not run out');
    rig.sched.runUntil(1_000 + DEFAULT_HOLD_MS);
    assert.deepEqual(rig.presses, [{ press: 'long', atMs: 1_000 + DEFAULT_HOLD_MS }]);
    rig.sched.runUntil(6_000);
    await setButton(rig, 1);
    rig.sched.runUntil(7_000);
    assert.equal(rig.presses.length, 1, 'letting go after SOS adds nothing');

    await setButton(rig, 0);
    rig.sched.runUntil(7_400);
    await setButton(rig, 1);
    rig.sched.runUntil(8_000);
    assert.deepEqual(rig.presses.slice(1), [{ press: 'short', atMs: 7_400 + DEFAULT_DEBOUNCE_MS }]);
  } finally {
    await rig.panel.stop();
  }
});

test('the LED line follows the status pattern: SOS pending blinks 100 ms on / 100 ms off, and stop() leaves it dark', { timeout: 20_000 }, async (t) => {
  gpiod.fresh(t);
  const rig = await startRig();
  try {
    rig.panel.setStatus({ gpsFix: false, sos: 'pending' });
    const seen: string[] = [];
    for (let atMs = 0; atMs <= 400; atMs += 100) {
      rig.sched.runUntil(atMs);
      await rig.io.flush();
      seen.push(level(LED));
    }
    assert.deepEqual(seen, ['1', '0', '1', '0', '1']);
    rig.panel.alert('alert');
    await rig.io.flush();
    assert.equal(level(BUZZER), '1', 'the buzzer line is driven too');
  } finally {
    await rig.panel.stop();
  }
  assert.equal(level(LED), '0');
  assert.equal(level(BUZZER), '0');
  assert.deepEqual(changes(LED).slice(-2), [`set ${LED}=1`, `set ${LED}=0`]);
});

test('without libgpiod\'s tools, start() fails with E_GPIO_UNAVAILABLE saying what to install', { timeout: 20_000 }, async (t) => {
  gpiod.fresh(t);
  const empty = mkdtempSync(join(tmpdir(), 'unibos-no-tools-'));
  const withTools = process.env.PATH;
  process.env.PATH = empty;
  t.after(() => {
    process.env.PATH = withTools;
    rmSync(empty, { recursive: true, force: true });
  });
  const panel = new JohnnyFivePanel({ io: 'gpiod', scheduler: new SimScheduler() });
  await assert.rejects(panel.start(), (err: FirmwareError) => {
    assert.equal(err.code, 'E_GPIO_UNAVAILABLE');
    assert.match(err.message, /gpiod could not open the panel's GPIO lines .* gpioset not found: install libgpiod's tools \(sudo apt install gpiod\)/);
    return true;
  });
  assert.equal(panel.running, false);
});

test('an LED line another program holds fails start() with the reason, releases the other lines, and a later start() works', { timeout: 20_000 }, async (t) => {
  gpiod.fresh(t);
  const holder = spawn('bash', ['-c', `exec 9>"${join(gpiod.dir, `line-${LED}.lock`)}"; flock -n 9 && echo locked && exec sleep 60`], { stdio: ['ignore', 'pipe', 'ignore'] });
  const holderGone = once(holder, 'exit');
  t.after(() => {
    holder.kill('SIGTERM');
  });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`the lock holder exited (${code})`)));
  });
  const sched = new SimScheduler();
  const panel = new JohnnyFivePanel({ io: 'gpiod', scheduler: sched });
  await assert.rejects(panel.start(), (err: FirmwareError) => {
    assert.equal(err.code, 'E_GPIO_UNAVAILABLE');
    assert.match(err.message, /could not set GPIO 23 on gpiochip0: .*Device or resource busy \(another program holds the line/);
    return true;
  });
  assert.ok(free(BUZZER) && free(BUTTON), 'nothing of ours is left holding a line');

  holder.kill('SIGTERM');
  await holderGone;
  await panel.start();
  try {
    assert.equal(panel.running, true, 'the retry opens the lines once they are free');
  } finally {
    await panel.stop();
  }
});
