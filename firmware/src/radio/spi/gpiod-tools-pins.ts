// GPIO on the kernel's character device through libgpiod's own tools (Debian package `gpiod`):
// gpiodetect finds the header's chip by label, gpiomon streams edges of the input lines, gpioset
// sets and holds each output. A helper that fails or dies is reported (onFault), so the radio can
// open the pins again. No native addon to build, and the same code runs on libgpiod 1.6 (Raspberry
// Pi OS bookworm) and 2.x (trixie), whose tools differ only in how they take the chip. Line
// numbers are offsets on that chip (the BCM numbers), so the 512+ renumbering of the deprecated
// sysfs interface on recent kernels does not matter.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { FirmwareError } from '../../firmware-error.ts';
import type { GpioInput, GpioOutput, GpioPins, Level } from './gpio-pins.ts';

/** Labels of the GPIO controller that owns the 40-pin header on each Raspberry Pi generation. */
const HEADER_LABELS = /^pinctrl-(bcm2835|bcm2711|bcm2712|rp1)$/;

export interface GpiodChip {
  name: string;
  label: string;
  lines: number;
}

/** Parses `gpiodetect` ("gpiochip0 [pinctrl-bcm2711] (58 lines)"), the same in 1.6 and 2.x. */
export function parseGpiodetect(text: string): GpiodChip[] {
  const out: GpiodChip[] = [];
  for (const line of text.split('\n')) {
    const m = /^(gpiochip\d+)\s+\[([^\]]*)\]\s+\((\d+) lines\)/.exec(line.trim());
    if (m) out.push({ name: m[1]!, label: m[2]!, lines: Number(m[3]) });
  }
  return out;
}

/** The header's chip among those listed. */
export function headerChip(chips: GpiodChip[]): GpiodChip | undefined {
  return chips.find((c) => HEADER_LABELS.test(c.label));
}

/** Parses one gpiomon line printed with --format="%o %e": "<offset> <event>", 1 = rising in both versions. */
export function parseEdge(line: string): { offset: number; level: Level } | undefined {
  const m = /^(\d+)\s+(\d+)$/.exec(line.trim());
  if (!m) return undefined;
  return { offset: Number(m[1]), level: m[2] === '1' ? 1 : 0 };
}

/** How long the gpioset that makes a change keeps the level before it exits: past an SX126x's 100 us reset pulse. */
const SET_HOLD_US = 200;
/** A libgpiod tool that has not finished by then is hung. */
const TOOL_TIMEOUT_MS = 5000;

interface Tools {
  /** libgpiod 2.x takes the chip as `-c CHIP`; 1.6 as the first argument. */
  v2: boolean;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: TOOL_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') reject(new FirmwareError('E_MODEM_UNAVAILABLE', `${cmd} not found: install libgpiod's tools (sudo apt install gpiod)`, { cause: err }));
        else reject(new FirmwareError('E_MODEM_UNAVAILABLE', `${cmd} ${args.join(' ')} failed: ${(stderr || err.message).trim()}`, { cause: err }));
      } else resolve(stdout);
    });
  });
}

export async function listGpioChips(): Promise<GpiodChip[]> {
  return parseGpiodetect(await run('gpiodetect', []));
}

/** The pull resistor an input line is requested with ('as-is' leaves the chip's setting alone). */
export type GpiodBias = 'as-is' | 'pull-up' | 'pull-down';

export interface GpiodInputOptions {
  /** libgpiod 1.5+ and 2.x take it as --bias; one gpiomon watches every input, so all inputs share one bias. */
  bias?: GpiodBias;
}

/** GpioPins on libgpiod's tools; an input may also ask for a pull resistor (a button to ground needs a pull-up). */
export interface GpiodPins extends GpioPins {
  input(offset: number, options?: GpiodInputOptions): Promise<GpioInput>;
  onFault(fn: (err: FirmwareError) => void): () => void;
}

export async function openGpiodPins(chipSetting: string): Promise<GpiodPins> {
  const version = await run('gpioset', ['--version']);
  const tools: Tools = { v2: /v2\./.test(version) };
  let chip = chipSetting;
  if (chipSetting === 'auto') {
    const chips = await listGpioChips();
    const found = headerChip(chips);
    if (!found) {
      throw new FirmwareError('E_MODEM_UNAVAILABLE', `no Raspberry Pi header GPIO chip found (gpiodetect lists ${chips.map((c) => `${c.name} [${c.label}]`).join(', ') || 'none'}): set "gpioChip" in a custom board profile`);
    }
    chip = found.name;
  }
  return new GpiodToolsPins(chip, tools);
}

/** One output line: the gpioset holding it, and the change under way or waiting. */
interface OutputLine {
  offset: number;
  holder: ChildProcess | undefined;
  /** The change being made now (the previous gpioset stopping, the next one starting). */
  changing: boolean;
  /** The level asked for while a change was under way: only the latest is made, then all its callers are answered. */
  next: { level: Level; waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> } | undefined;
}

class GpiodToolsPins implements GpiodPins {
  private readonly lines = new Map<number, OutputLine>();
  /** Every process we started and that has not exited, whatever its job, so close() ends them all. */
  private readonly children = new Set<ChildProcess>();
  private readonly levels = new Map<number, Level>();
  private readonly listeners = new Map<number, Set<(l: Level) => void>>();
  private readonly faultListeners = new Set<(err: FirmwareError) => void>();
  private monitor: ChildProcess | undefined;
  private bias: GpiodBias = 'as-is';
  private closed = false;

  constructor(
    readonly name: string,
    private readonly tools: Tools,
  ) {}

  private chipArgs(): string[] {
    return this.tools.v2 ? ['-c', this.name] : [this.name];
  }

  async output(offset: number, initial: Level): Promise<GpioOutput> {
    if (this.lines.has(offset)) throw new FirmwareError('E_CONFIG', `GPIO ${offset} on ${this.name} is claimed twice: check the board profile's pins`);
    const line: OutputLine = { offset, holder: undefined, changing: false, next: undefined };
    this.lines.set(offset, line);
    try {
      await this.change(line, initial);
    } catch (err) {
      this.lines.delete(offset);
      throw err;
    }
    return { set: (level) => this.change(line, level) };
  }

  /**
   * Sets `line` to `level`; resolves once the level is in effect. Changes of one line are made one
   * at a time, each after the previous one is in effect, so two gpiosets of ours never compete for
   * the line (the loser would fail with EBUSY). A level asked for while a change is under way waits
   * for it; if several wait, only the latest is made, and all of them resolve with it.
   */
  private change(line: OutputLine, level: Level): Promise<void> {
    let done: Promise<void>;
    if (!line.changing) {
      done = this.run(line, level);
    } else {
      done = new Promise<void>((resolve, reject) => {
        line.next ??= { level, waiters: [] };
        line.next.level = level;
        line.next.waiters.push({ resolve, reject });
      });
    }
    // A caller that does not wait still must not meet an unhandled rejection: failures are also reported through onFault.
    done.catch(() => undefined);
    return done;
  }

  private async run(line: OutputLine, level: Level): Promise<void> {
    line.changing = true;
    try {
      await this.hold(line, level);
    } finally {
      line.changing = false;
      const next = line.next;
      line.next = undefined;
      if (next) {
        this.run(line, next.level).then(
          () => next.waiters.forEach((w) => w.resolve()),
          (err: Error) => next.waiters.forEach((w) => w.reject(err)),
        );
      }
    }
  }

  /**
   * A new level in two steps. First a gpioset that sets the line, keeps it there for a moment and
   * exits: its exit says the level is in effect (or, failing, why not: EBUSY when another program
   * holds the line). Then one that holds the line at that level until the next change, so no other
   * program takes it and the level stays defined (libgpiod does not promise it after release).
   */
  private async hold(line: OutputLine, level: Level): Promise<void> {
    const { offset } = line;
    const old = line.holder;
    line.holder = undefined;
    if (old) await stop(old);
    this.checkOpen(offset);
    const spec = `${offset}=${level}`;
    await this.setOnce(offset, this.tools.v2 ? ['-p', `${SET_HOLD_US}us`, '-t', '0', ...this.chipArgs(), spec] : ['--mode=time', `--usec=${SET_HOLD_US}`, ...this.chipArgs(), spec]);
    this.checkOpen(offset);
    const child = this.start('gpioset', this.tools.v2 ? [...this.chipArgs(), spec] : ['--mode=signal', ...this.chipArgs(), spec]);
    line.holder = child;
    const stderr = collect(child);
    // A holder that ends on its own (another program took the line in between; killed from
    // outside) no longer holds the level: the radio must hear of it.
    child.once('exit', (code, signal) => {
      if (line.holder !== child || this.closed) return;
      line.holder = undefined;
      this.fault(`gpioset holding GPIO ${offset} on ${this.name} at ${level} exited (${signal ?? `code ${code}`})${stderr() ? `: ${stderr()}` : ''}`);
    });
    await spawned(child, () => `gpioset for GPIO ${offset} on ${this.name}`);
  }

  /** Runs a gpioset that sets the line and exits; resolves once it exited 0. */
  private setOnce(offset: number, args: string[]): Promise<void> {
    const child = this.start('gpioset', args);
    const stderr = collect(child);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), TOOL_TIMEOUT_MS);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new FirmwareError('E_MODEM_UNAVAILABLE', `gpioset for GPIO ${offset} on ${this.name}: ${err.message}`, { cause: err }));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new FirmwareError('E_MODEM_UNAVAILABLE', `could not set GPIO ${offset} on ${this.name}: ${stderr() || `gpioset exited (${signal ?? `code ${code}`})`}${/busy/i.test(stderr()) ? ' (another program holds the line: see gpioinfo)' : ''}`));
      });
    });
  }

  private checkOpen(offset: number): void {
    if (this.closed) throw new FirmwareError('E_MODEM_UNAVAILABLE', `GPIO ${offset} on ${this.name}: the pins were closed`);
  }

  async input(offset: number, options: GpiodInputOptions = {}): Promise<GpioInput> {
    const bias = options.bias ?? 'as-is';
    if (this.listeners.size > 0 && bias !== this.bias) {
      throw new FirmwareError('E_CONFIG', `GPIO ${offset} on ${this.name}: inputs with different pull resistors (${this.bias}, ${bias}) cannot share one gpiomon`);
    }
    this.bias = bias;
    if (!this.listeners.has(offset)) this.listeners.set(offset, new Set());
    const args = [...this.biasArgs(), ...(this.tools.v2 ? ['--numeric', ...this.chipArgs(), String(offset)] : [...this.chipArgs(), String(offset)])];
    const monitor = this.monitor;
    this.monitor = undefined; // stopped on purpose: no fault
    if (monitor) await stop(monitor);
    const level = (await run('gpioget', args)).trim();
    this.levels.set(offset, level === '1' ? 1 : 0);
    await this.startMonitor();
    return {
      read: () => this.levels.get(offset) ?? 0,
      onChange: (fn) => {
        const set = this.listeners.get(offset)!;
        set.add(fn);
        return () => set.delete(fn);
      },
    };
  }

  /** Asked of gpioget as well as gpiomon, so the first level read is already the pulled one. */
  private biasArgs(): string[] {
    return this.bias === 'as-is' ? [] : [`--bias=${this.bias}`];
  }

  onFault(fn: (err: FirmwareError) => void): () => void {
    this.faultListeners.add(fn);
    return () => this.faultListeners.delete(fn);
  }

  /** One gpiomon for every input line: their edges arrive in order on one stream. */
  private async startMonitor(): Promise<void> {
    const offsets = [...this.listeners.keys()].map(String);
    this.checkOpen(Number(offsets[0]));
    const args = [...this.biasArgs(), ...(this.tools.v2 ? ['-c', this.name, '--format=%o %e', ...offsets] : ['--format=%o %e', this.name, ...offsets])];
    const child = this.start('gpiomon', args, true);
    this.monitor = child;
    let rest = '';
    const stderr = collect(child);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const edge = parseEdge(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
        if (!edge) continue;
        this.levels.set(edge.offset, edge.level);
        for (const fn of [...(this.listeners.get(edge.offset) ?? [])]) fn(edge.level);
      }
    });
    // Without gpiomon no edge arrives: BUSY would look stuck and no interrupt would come.
    child.once('exit', (code, signal) => {
      if (this.monitor !== child || this.closed) return;
      this.monitor = undefined;
      this.fault(`gpiomon watching GPIO ${offsets.join(', ')} on ${this.name} exited (${signal ?? `code ${code}`})${stderr() ? `: ${stderr()}` : ''}`);
    });
    await spawned(child, () => `gpiomon for GPIO ${offsets.join(', ')} on ${this.name}`);
  }

  private start(cmd: string, args: string[], output = false): ChildProcess {
    const child = spawn(cmd, args, { stdio: ['ignore', output ? 'pipe' : 'ignore', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    child.once('error', () => this.children.delete(child));
    return child;
  }

  private fault(message: string): void {
    const err = new FirmwareError('E_MODEM_ERROR', message);
    for (const fn of [...this.faultListeners]) fn(err);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.monitor = undefined;
    for (const line of this.lines.values()) {
      line.holder = undefined;
      const next = line.next;
      line.next = undefined;
      for (const w of next?.waiters ?? []) w.reject(new FirmwareError('E_MODEM_UNAVAILABLE', `GPIO ${line.offset} on ${this.name}: the pins were closed`));
    }
    this.lines.clear();
    await Promise.all([...this.children].map(stop));
  }
}

/** The first KB of what `child` says on stderr, trimmed. */
function collect(child: ChildProcess): () => string {
  let text = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    if (text.length < 1000) text += chunk;
  });
  return () => text.trim();
}

/** Resolves once `child` runs; rejects (E_MODEM_UNAVAILABLE) if it could not be started. */
function spawned(child: ChildProcess, what: () => string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err) => reject(new FirmwareError('E_MODEM_UNAVAILABLE', `${what()}: ${err.message}`, { cause: err })));
  });
}

/**
 * A tool asked to stop that is still there after this long is killed: close() and the next level
 * change must not wait forever on one that missed or ignored SIGTERM (a wedged tool; a shell script
 * standing in for one, whose trap can miss a signal that arrives while it starts a command).
 */
const STOP_GRACE_MS = 1000;

function stop(child: ChildProcess): Promise<void> {
  // Never started (the binary is missing), or already gone: nothing to wait for.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
