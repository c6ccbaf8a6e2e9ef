// The device panel as a person in the field meets it: press timing, what the LED and buzzer do and
// when, and clean failure without a Pi. johnny-five runs over the virtual IO plugin on simulated time.

import { strict as assert } from 'node:assert';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import five from 'johnny-five';
import { SimScheduler, type Scheduler } from '@unibos/mesh-protocol';
import { EventWaiter } from '@unibos/test-support';
import type { ButtonPress } from '../src/gpio/device-panel.ts';
import {
  ACTIVITY_FLASH_MS,
  BUZZER_PATTERNS,
  DEFAULT_PANEL_PINS,
  JohnnyFivePanel,
  loadRaspiIo,
  type JohnnyFivePanelOptions,
} from '../src/gpio/johnny-five-panel.ts';
import { LED_PATTERNS, SOS_ACK_SOLID_MS, dutyCycle } from '../src/gpio/led-patterns.ts';
import { PressClassifier } from '../src/gpio/press-classifier.ts';
import { VirtualIo, type PinWrite } from '../src/gpio/virtual-io.ts';
import { FirmwareError } from '../src/firmware-error.ts';

const BUTTON = DEFAULT_PANEL_PINS.button;
const LED = DEFAULT_PANEL_PINS.led;
const BUZZER = DEFAULT_PANEL_PINS.buzzer;
const PRESSED = 0; // pull-up wiring: the button shorts the line to ground
const RELEASED = 1;

interface Rig {
  sched: SimScheduler;
  io: VirtualIo;
  panel: JohnnyFivePanel;
  presses: Array<{ press: ButtonPress; atMs: number }>;
}

async function startRig(options: Omit<JohnnyFivePanelOptions, 'io' | 'scheduler'> = {}, before?: (io: VirtualIo) => void): Promise<Rig> {
  const sched = new SimScheduler();
  const io = new VirtualIo({ scheduler: sched });
  before?.(io);
  const panel = new JohnnyFivePanel({ ...options, io, scheduler: sched });
  const presses: Rig['presses'] = [];
  panel.onButton((press) => presses.push({ press, atMs: sched.now() }));
  await panel.start();
  return { sched, io, panel, presses };
}

/** Drives the button line: each [time, level] happens after everything due by then has run. */
function drive(rig: Rig, edges: Array<[number, 0 | 1]>): void {
  for (const [atMs, level] of edges) {
    rig.sched.runUntil(atMs);
    rig.io.setInput(BUTTON, level);
  }
}

/** Times the pin went high within [fromMs, toMs); the panel writes only changes, so each 1 is a rising edge. */
function risingEdges(writes: PinWrite[], fromMs: number, toMs: number): number[] {
  return writes.filter((w) => w.value > 0 && w.atMs >= fromMs && w.atMs < toMs).map((w) => w.atMs);
}

/** Total time the pin was high within [fromMs, toMs). */
function onTimeMs(writes: PinWrite[], fromMs: number, toMs: number): number {
  let total = 0;
  let onSince: number | undefined;
  for (const w of writes) {
    if (w.value > 0 && onSince === undefined) onSince = w.atMs;
    if (w.value === 0 && onSince !== undefined) {
      total += Math.max(0, Math.min(w.atMs, toMs) - Math.max(onSince, fromMs));
      onSince = undefined;
    }
  }
  if (onSince !== undefined) total += Math.max(0, toMs - Math.max(onSince, fromMs));
  return total;
}

/** Lengths of the high stretches, in order. */
function onLengths(writes: PinWrite[]): number[] {
  const lengths: number[] = [];
  for (let i = 0; i + 1 < writes.length; i++) {
    if (writes[i]!.value > 0 && writes[i + 1]!.value === 0) lengths.push(writes[i + 1]!.atMs - writes[i]!.atMs);
  }
  return lengths;
}

function isGpioError(code: string, message: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof FirmwareError, `expected a FirmwareError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}

describe('button', () => {
  test('a press released before the hold time is one short press, reported once it settles', async () => {
    const rig = await startRig();
    drive(rig, [
      [1_000, PRESSED],
      [1_500, RELEASED],
    ]);
    rig.sched.runUntil(10_000);
    assert.deepEqual(rig.presses, [{ press: 'short', atMs: 1_530 }]);
    await rig.panel.stop();
  });

  test('a held press is long exactly once, at the hold time, and its release adds nothing', async () => {
    const rig = await startRig();
    drive(rig, [[1_000, PRESSED]]);
    rig.sched.runUntil(3_999);
    assert.deepEqual(rig.presses, [], 'nothing before the hold time');
    rig.sched.runUntil(4_000);
    assert.deepEqual(rig.presses, [{ press: 'long', atMs: 4_000 }]);
    drive(rig, [[9_000, RELEASED]]);
    rig.sched.runUntil(20_000);
    assert.deepEqual(rig.presses, [{ press: 'long', atMs: 4_000 }]);
    await rig.panel.stop();
  });

  test('contact bounce on press and release gives a single press', async () => {
    const rig = await startRig();
    drive(rig, [
      [1_000, PRESSED],
      [1_004, RELEASED],
      [1_009, PRESSED],
      [1_020, RELEASED],
      [1_026, PRESSED],
      [1_400, RELEASED],
      [1_403, PRESSED],
      [1_411, RELEASED],
    ]);
    rig.sched.runUntil(10_000);
    assert.deepEqual(rig.presses, [{ press: 'short', atMs: 1_441 }]);
    await rig.panel.stop();
  });

  test('a spike shorter than the debounce window is not a press', async () => {
    const rig = await startRig();
    drive(rig, [
      [1_000, PRESSED],
      [1_020, RELEASED],
    ]);
    rig.sched.runUntil(10_000);
    assert.deepEqual(rig.presses, []);
    await rig.panel.stop();
  });

  test('hold and debounce are configurable', async () => {
    const rig = await startRig({ holdMs: 1_000, debounceMs: 5 });
    drive(rig, [
      [100, PRESSED],
      [120, RELEASED],
      [500, PRESSED],
    ]);
    rig.sched.runUntil(5_000);
    assert.deepEqual(rig.presses, [
      { press: 'short', atMs: 125 },
      { press: 'long', atMs: 1_500 },
    ]);
    await rig.panel.stop();
  });

  test('pull-up wiring by default; active-high wiring uses the pull-down and reads a high line as pressed', async () => {
    const low = await startRig();
    assert.equal(low.io.pull(BUTTON), 'up');
    await low.panel.stop();

    const high = await startRig({ buttonActiveLow: false });
    assert.equal(high.io.pull(BUTTON), 'down');
    drive(high, [
      [1_000, 1],
      [1_200, 0],
    ]);
    high.sched.runUntil(5_000);
    assert.deepEqual(high.presses, [{ press: 'short', atMs: 1_230 }]);
    await high.panel.stop();
  });

  test('a button already held at start sends nothing until it has been released', async () => {
    const rig = await startRig({}, (io) => io.setInput(BUTTON, PRESSED));
    rig.sched.runUntil(10_000);
    assert.deepEqual(rig.presses, [], 'a jammed button must not raise SOS at boot');
    drive(rig, [
      [10_000, RELEASED],
      [12_000, PRESSED],
      [12_500, RELEASED],
    ]);
    rig.sched.runUntil(20_000);
    assert.deepEqual(rig.presses, [{ press: 'short', atMs: 12_530 }]);
    await rig.panel.stop();
  });
});

describe('status LED', () => {
  test('SOS pending blinks fast; a GPS fix is a rare heartbeat; no fix is a double blink', async () => {
    const rig = await startRig();
    const led = () => rig.io.writes(LED);

    rig.panel.setStatus({ gpsFix: true, sos: 'none' });
    rig.sched.runUntil(20_000);
    assert.deepEqual(risingEdges(led(), 0, 20_000), [0, 5_000, 10_000, 15_000]);
    assert.deepEqual(onLengths(led()).slice(0, 3), [50, 50, 50]);

    rig.panel.setStatus({ gpsFix: true, sos: 'pending' });
    rig.sched.runUntil(22_000);
    assert.equal(risingEdges(led(), 20_000, 22_000).length, 10, '5 Hz for 2 s');

    rig.panel.setStatus({ gpsFix: false, sos: 'none' });
    rig.sched.runUntil(28_000);
    assert.deepEqual(risingEdges(led(), 22_000, 28_000), [22_000, 22_300, 25_000, 25_300]);
    await rig.panel.stop();
  });

  test('the LED is dark almost all the time when nothing is urgent', async () => {
    const rig = await startRig();
    rig.panel.setStatus({ gpsFix: true, sos: 'none' });
    rig.sched.runUntil(60_000);
    assert.ok(onTimeMs(rig.io.writes(LED), 0, 60_000) <= 0.02 * 60_000, 'fix: at most 2 % on');
    rig.panel.setStatus({ gpsFix: false, sos: 'none' });
    rig.sched.runUntil(120_000);
    assert.ok(onTimeMs(rig.io.writes(LED), 60_000, 120_000) <= 0.05 * 60_000, 'no fix: at most 5 % on');
    assert.ok(dutyCycle(LED_PATTERNS['gps-fix']) <= 0.02 && dutyCycle(LED_PATTERNS['no-fix']) <= 0.05);
    await rig.panel.stop();
  });

  test('an acknowledged SOS is solid for its duration, then the normal pattern, without restarting', async () => {
    const rig = await startRig();
    rig.panel.setStatus({ gpsFix: true, sos: 'pending' });
    rig.sched.runUntil(5_050);
    rig.panel.setStatus({ gpsFix: true, sos: 'acknowledged' });
    const ackAt = 5_050;
    assert.equal(rig.io.level(LED), 1, 'on as soon as the acknowledgement arrives');

    rig.sched.runUntil(ackAt + SOS_ACK_SOLID_MS - 1);
    assert.equal(rig.io.writes(LED).filter((w) => w.atMs > ackAt).length, 0, 'solid: no writes during the hold');

    rig.sched.runUntil(ackAt + SOS_ACK_SOLID_MS + 1_000);
    rig.panel.setStatus({ gpsFix: true, sos: 'acknowledged' }); // the node loop repeats its status
    rig.sched.runUntil(ackAt + 30_000);
    const after = ackAt + SOS_ACK_SOLID_MS;
    assert.deepEqual(risingEdges(rig.io.writes(LED), after, ackAt + 30_000), [after + 5_000, after + 10_000, after + 15_000]);
    assert.ok(onTimeMs(rig.io.writes(LED), after + 100, ackAt + 30_000) < 200, 'back to the heartbeat, not solid again');
    await rig.panel.stop();
  });

  test('flashActivity gives one brief blink on top of the pattern', async () => {
    const rig = await startRig();
    rig.panel.setStatus({ gpsFix: true, sos: 'none' });
    rig.sched.runUntil(1_000);
    rig.panel.flashActivity();
    rig.sched.runUntil(1_010);
    rig.panel.flashActivity(); // a burst of frames is still one blink
    rig.sched.runUntil(4_999);
    const inWindow = rig.io.writes(LED).filter((w) => w.atMs >= 1_000 && w.atMs < 5_000);
    assert.deepEqual(inWindow, [
      { atMs: 1_000, value: 1 },
      { atMs: 1_000 + ACTIVITY_FLASH_MS, value: 0 },
    ]);
    await rig.panel.stop();
  });

  test('on a solid LED the activity blink is a brief dark gap', async () => {
    const rig = await startRig();
    rig.panel.setStatus({ gpsFix: false, sos: 'acknowledged' });
    rig.sched.runUntil(2_000);
    rig.panel.flashActivity();
    rig.sched.runUntil(3_000);
    assert.deepEqual(
      rig.io.writes(LED).filter((w) => w.atMs >= 2_000 && w.atMs < 3_000),
      [
        { atMs: 2_000, value: 0 },
        { atMs: 2_000 + ACTIVITY_FLASH_MS, value: 1 },
      ],
    );
    await rig.panel.stop();
  });
});

describe('buzzer', () => {
  test("alert('sos') sounds SOS in Morse twice, then stops", async () => {
    const rig = await startRig();
    rig.sched.runUntil(1_000);
    rig.panel.alert('sos');
    rig.sched.runUntil(2_000);
    rig.panel.alert('sos'); // relays repeat the SOS frame: the pattern plays on, not from the top
    rig.sched.runUntil(3_000);
    rig.panel.alert('alert'); // must not cut the SOS short
    rig.sched.runUntil(60_000);

    const writes = rig.io.writes(BUZZER).filter((w) => w.atMs >= 1_000);
    const sosWord = [100, 100, 100, 300, 300, 300, 100, 100, 100];
    assert.deepEqual(onLengths(writes), [...sosWord, ...sosWord]);
    assert.equal(writes[0]!.atMs, 1_000, 'starts at once');
    const last = writes.at(-1)!;
    assert.equal(last.value, 0);
    assert.ok(last.atMs <= 1_000 + 7_000, `over within a few seconds (ended at ${last.atMs})`);
    assert.equal(rig.io.level(BUZZER), 0);
    await rig.panel.stop();
  });

  test("alert('alert') is a shorter pattern", async () => {
    const rig = await startRig();
    rig.sched.runUntil(1_000);
    rig.panel.alert('alert');
    rig.sched.runUntil(30_000);
    const writes = rig.io.writes(BUZZER).filter((w) => w.atMs >= 1_000);
    assert.deepEqual(onLengths(writes), [150, 150, 150]);
    assert.ok(writes.at(-1)!.atMs - 1_000 < 1_000);
    const total = (steps: { ms: number }[]) => steps.reduce((sum, s) => sum + s.ms, 0);
    assert.ok(total([...BUZZER_PATTERNS.alert.steps]) < total([...BUZZER_PATTERNS.sos.steps]));
    assert.equal(rig.io.level(BUZZER), 0);
    await rig.panel.stop();
  });
});

describe('lifecycle', () => {
  test('stop() leaves LED and buzzer low, cancels every timer and ignores the button', async () => {
    const rig = await startRig();
    rig.panel.setStatus({ gpsFix: true, sos: 'pending' });
    rig.sched.runUntil(1_000);
    rig.panel.alert('sos');
    rig.sched.runUntil(1_050);
    assert.equal(rig.io.level(LED), 1);
    assert.equal(rig.io.level(BUZZER), 1);
    drive(rig, [[1_050, PRESSED]]);

    await rig.panel.stop();
    assert.equal(rig.io.level(LED), 0);
    assert.equal(rig.io.level(BUZZER), 0);
    assert.equal(rig.sched.pending(), 0, 'no pattern, hold or debounce timer left behind');

    const writesAtStop = rig.io.writes(LED).length + rig.io.writes(BUZZER).length;
    drive(rig, [
      [2_000, RELEASED],
      [3_000, PRESSED],
    ]);
    rig.panel.alert('alert');
    rig.panel.flashActivity();
    rig.sched.runUntil(60_000);
    assert.equal(rig.io.writes(LED).length + rig.io.writes(BUZZER).length, writesAtStop);
    assert.deepEqual(rig.presses, []);
  });

  test('johnny-five prints nothing and installs no SIGINT handler', async (t) => {
    const calls = ['log', 'info', 'warn', 'error'].map((name) => t.mock.method(console, name as 'log'));
    const sigintBefore = process.listenerCount('SIGINT');
    const rig = await startRig();
    rig.panel.setStatus({ gpsFix: true, sos: 'pending' });
    rig.sched.runUntil(5_000);
    await rig.panel.stop();
    assert.deepEqual(
      calls.map((c) => c.mock.callCount()),
      [0, 0, 0, 0],
    );
    assert.equal(process.listenerCount('SIGINT'), sigintBefore);
  });

  test("a board that never reports ready fails start() with E_GPIO_UNAVAILABLE after readyTimeoutMs", async () => {
    const sched = new SimScheduler();
    const io = new VirtualIo({ scheduler: sched, autoReady: false });
    // The panel's clock says when something is scheduled on it: the event the test waits for below.
    const armed = new EventWaiter();
    const panelClock: Scheduler = {
      now: () => sched.now(),
      schedule: (delayMs, fn) => {
        const handle = sched.schedule(delayMs, fn);
        armed.wake();
        return handle;
      },
    };
    const panel = new JohnnyFivePanel({ io, scheduler: panelClock, readyTimeoutMs: 5_000 });
    let outcome: unknown = 'pending';
    const started = panel.start().then(
      () => (outcome = 'resolved'),
      (err: unknown) => (outcome = err),
    );
    // Wait for the event that matters: start() has armed its timeout on the scheduler.
    // start() loads johnny-five first (through the module loader, which may answer from another
    // thread), so it may take many turns on a busy machine: the deadline only stops a hung run.
    await armed.until(() => sched.pending() > 0, 'start() to arm its ready timeout', 20_000);
    assert.equal(sched.pending(), 1, 'start() armed its ready timeout');
    sched.runUntil(4_999);
    await Promise.resolve();
    assert.equal(outcome, 'pending');
    sched.runUntil(5_000);
    await started;
    isGpioError('E_GPIO_UNAVAILABLE', /Virtual IO.*did not become ready within 5000 ms/)(outcome);
    assert.equal(panel.running, false);
  });

  test("io 'raspi' off a Pi fails with E_GPIO_UNAVAILABLE and says why", { skip: process.arch.startsWith('arm') }, async () => {
    const panel = new JohnnyFivePanel({ io: 'raspi', scheduler: new SimScheduler() });
    await assert.rejects(panel.start(), isGpioError('E_GPIO_UNAVAILABLE', /Raspberry Pi.*this is \w+\/\w+.*io 'virtual'/));
  });

  const raspiIoPresent = (() => {
    try {
      createRequire(import.meta.url).resolve('raspi-io');
      return true;
    } catch {
      return false;
    }
  })();

  test('on a Pi without raspi-io installed, the error says to install it', { skip: raspiIoPresent }, async () => {
    await assert.rejects(
      loadRaspiIo(DEFAULT_PANEL_PINS, { platform: 'linux', arch: 'arm64' }),
      isGpioError('E_GPIO_UNAVAILABLE', /raspi-io is not installed.*optional dependency/),
    );
  });

  test('bad configuration is refused with E_CONFIG naming the key', async () => {
    assert.throws(() => new JohnnyFivePanel({ io: 'virtual', holdMs: 20, debounceMs: 30 }), isGpioError('E_CONFIG', /gpio\.holdMs/));
    assert.throws(() => new JohnnyFivePanel({ io: 'virtual', pins: { led: 'GPIO17' } }), isGpioError('E_CONFIG', /gpio\.pins/));
    const panel = new JohnnyFivePanel({ io: 'virtual', pins: { led: 'GPIO99' }, scheduler: new SimScheduler() });
    await assert.rejects(panel.start(), isGpioError('E_CONFIG', /gpio\.pins\.led/));
    const aliased = new JohnnyFivePanel({ io: 'virtual', pins: { buzzer: 17 }, scheduler: new SimScheduler() });
    await assert.rejects(aliased.start(), isGpioError('E_CONFIG', /gpio\.pins\.buzzer and gpio\.pins\.button name the same pin/));
  });

  test('a stopped panel starts again: button and LED work as before', async () => {
    const rig = await startRig();
    await rig.panel.stop();
    await rig.panel.start();
    rig.panel.setStatus({ gpsFix: true, sos: 'none' });
    drive(rig, [
      [1_000, PRESSED],
      [1_200, RELEASED],
    ]);
    rig.sched.runUntil(11_000);
    assert.deepEqual(rig.presses, [{ press: 'short', atMs: 1_230 }]);
    assert.deepEqual(risingEdges(rig.io.writes(LED), 1, 11_000), [5_000, 10_000], 'the LED pattern runs again');
    await rig.panel.stop();
  });

  test("io 'virtual' builds its own VirtualIo on the panel's scheduler", async () => {
    const sched = new SimScheduler();
    const panel = new JohnnyFivePanel({ io: 'virtual', scheduler: sched });
    const presses: ButtonPress[] = [];
    panel.onButton((press) => presses.push(press));
    await panel.start();
    const io = panel.virtualIo!;
    sched.runUntil(100);
    io.setInput(BUTTON, PRESSED);
    sched.runUntil(200);
    io.setInput(BUTTON, RELEASED);
    sched.runUntil(1_000);
    assert.deepEqual(presses, ['short']);
    await panel.stop();
  });
});

describe('virtual IO plugin', () => {
  test("johnny-five's own Led drives it like raspi-io: analogWrite on a PWM-capable pin", async () => {
    const sched = new SimScheduler();
    const io = new VirtualIo({ scheduler: sched });
    const board = new five.Board({ io, repl: false, debug: false });
    await new Promise<void>((resolve) => board.on('ready', () => resolve()));
    const led = new five.Led({ pin: 'GPIO5', board });
    sched.runUntil(100);
    led.on();
    sched.runUntil(250);
    led.off();
    assert.equal(io.modeOf('GPIO5'), io.MODES.PWM);
    assert.deepEqual(io.writes(5), [
      { atMs: 100, value: 255 },
      { atMs: 250, value: 0 },
    ]);
    assert.equal(io.level('GPIO5'), 0);
  });

  test('reads report the current level, then each change; outputs refuse setInput', () => {
    const io = new VirtualIo({ scheduler: new SimScheduler(), autoReady: false });
    const seen: number[] = [];
    io.pinMode('GPIO6', io.MODES.INPUT);
    io.digitalWrite('GPIO6', 1); // pull-up
    io.digitalRead('GPIO6', (value) => seen.push(value));
    io.setInput('GPIO6', 0);
    io.setInput('GPIO6', 0);
    io.setInput('GPIO6', 1);
    assert.deepEqual(seen, [1, 0, 1]);
    io.pinMode('GPIO7', io.MODES.OUTPUT);
    assert.throws(() => io.setInput('GPIO7', 1), /not an input/);
    assert.throws(() => io.normalize('GPIO28'), isGpioError('E_CONFIG', /GPIO28/));
  });
});

describe('press classifier properties', () => {
  interface Press {
    /** Gaps between the bounce edges as contact is made (pressed, released, pressed, ...; even count). */
    bounceIn: number[];
    /** From the press's last edge to the release's first edge. */
    heldMs: number;
    bounceOut: number[];
    /** Released time after the release's last edge. */
    idleMs: number;
  }

  const timing = fc
    .integer({ min: 2, max: 60 })
    .chain((debounceMs) => fc.record({ debounceMs: fc.constant(debounceMs), holdMs: fc.integer({ min: debounceMs + 1, max: 4_000 }) }));

  function pressArb(debounceMs: number, holdMs: number): fc.Arbitrary<Press> {
    const bounce = fc
      .array(fc.integer({ min: 1, max: debounceMs - 1 }), { maxLength: 6 })
      .map((gaps) => (gaps.length % 2 === 0 ? gaps : gaps.slice(1)));
    return fc.record({
      bounceIn: bounce,
      heldMs: fc.oneof(fc.integer({ min: debounceMs, max: 2 * holdMs }), fc.constantFrom(holdMs - 1, holdMs, holdMs + 1).filter((ms) => ms >= debounceMs)),
      bounceOut: bounce,
      idleMs: fc.integer({ min: debounceMs, max: 2 * holdMs }),
    });
  }

  test('bounced presses: exactly one classification each, long only when held past the hold time', () => {
    fc.assert(
      fc.property(
        timing.chain(({ debounceMs, holdMs }) =>
          fc.record({ debounceMs: fc.constant(debounceMs), holdMs: fc.constant(holdMs), presses: fc.array(pressArb(debounceMs, holdMs), { minLength: 1, maxLength: 8 }) }),
        ),
        ({ debounceMs, holdMs, presses }) => {
          const sched = new SimScheduler();
          const got: Array<{ press: ButtonPress; atMs: number }> = [];
          const classifier = new PressClassifier({ scheduler: sched, debounceMs, holdMs }, (press) => got.push({ press, atMs: sched.now() }));
          const expected: typeof got = [];
          let t = 100;
          const edge = (pressed: boolean): void => {
            sched.runUntil(t);
            classifier.input(pressed);
          };
          for (const p of presses) {
            edge(true);
            p.bounceIn.forEach((gap, i) => {
              t += gap;
              edge(i % 2 === 1);
            });
            const pressEdge = t;
            t += p.heldMs;
            edge(false);
            p.bounceOut.forEach((gap, i) => {
              t += gap;
              edge(i % 2 === 0);
            });
            expected.push(p.heldMs >= holdMs ? { press: 'long', atMs: pressEdge + holdMs } : { press: 'short', atMs: t + debounceMs });
            t += p.idleMs;
          }
          sched.runUntil(t + holdMs + debounceMs);
          assert.deepEqual(got, expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('arbitrary edge sequences: never more than one classification per debounced press, never long for a short one', () => {
    fc.assert(
      fc.property(
        timing.chain(({ debounceMs, holdMs }) =>
          fc.record({
            debounceMs: fc.constant(debounceMs),
            holdMs: fc.constant(holdMs),
            gaps: fc.array(fc.oneof(fc.integer({ min: 0, max: 2 * debounceMs }), fc.integer({ min: 0, max: 2 * holdMs })), { maxLength: 60 }),
          }),
        ),
        ({ debounceMs, holdMs, gaps }) => {
          const sched = new SimScheduler();
          const got: Array<{ press: ButtonPress; atMs: number }> = [];
          const classifier = new PressClassifier({ scheduler: sched, debounceMs, holdMs }, (press) => got.push({ press, atMs: sched.now() }));
          const edges: Array<{ atMs: number; pressed: boolean }> = [];
          let t = 0;
          gaps.forEach((gap, i) => {
            t += gap;
            edges.push({ atMs: t, pressed: i % 2 === 0 });
          });
          for (const e of edges) {
            sched.runUntil(e.atMs);
            classifier.input(e.pressed);
          }
          sched.runUntil(t + holdMs + debounceMs + 1);

          // Reference: a level counts once it has stood for the debounce window.
          const pressesRef: Array<{ startMs: number; nextEdgeMs: number; releaseEdgeMs: number | undefined }> = [];
          let stable = false;
          edges.forEach((e, i) => {
            const next = edges[i + 1];
            if (next !== undefined && next.atMs - e.atMs < debounceMs) return;
            if (e.pressed === stable) return;
            stable = e.pressed;
            if (stable) pressesRef.push({ startMs: e.atMs, nextEdgeMs: next?.atMs ?? Number.POSITIVE_INFINITY, releaseEdgeMs: undefined });
            else pressesRef.at(-1)!.releaseEdgeMs = e.atMs;
          });

          assert.equal(got.length, pressesRef.length, 'one classification per debounced press');
          pressesRef.forEach((ref, i) => {
            const c = got[i]!;
            assert.ok(c.atMs >= ref.startMs + debounceMs, 'not before the press is accepted');
            if (ref.releaseEdgeMs !== undefined) {
              assert.ok(c.atMs <= ref.releaseEdgeMs + debounceMs, 'not after the release is accepted');
              if (ref.releaseEdgeMs - ref.startMs < holdMs) assert.equal(c.press, 'short', 'released before the hold time');
            }
            if (c.press === 'long') assert.ok(c.atMs >= ref.startMs + holdMs, 'long only once the hold time has passed');
            if (ref.nextEdgeMs >= ref.startMs + holdMs) assert.deepEqual(c, { press: 'long', atMs: ref.startMs + holdMs });
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
