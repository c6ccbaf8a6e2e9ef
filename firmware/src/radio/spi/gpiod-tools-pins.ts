// GPIO on the kernel's character device through libgpiod's own tools (Debian package `gpiod`):
// gpiodetect finds the header's chip by label, gpiomon streams edges of the input lines, gpioset
// holds each output. No native addon to build, and the same code runs on libgpiod 1.6 (Raspberry
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

interface Tools {
  /** libgpiod 2.x takes the chip as `-c CHIP`; 1.6 as the first argument. */
  v2: boolean;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 5000 }, (err, stdout, stderr) => {
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

export async function openGpiodPins(chipSetting: string): Promise<GpioPins> {
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

class GpiodToolsPins implements GpioPins {
  private readonly outputs = new Map<number, ChildProcess>();
  private readonly levels = new Map<number, Level>();
  private readonly listeners = new Map<number, Set<(l: Level) => void>>();
  private monitor: ChildProcess | undefined;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly tools: Tools,
  ) {}

  private chipArgs(): string[] {
    return this.tools.v2 ? ['-c', this.name] : [this.name];
  }

  async output(offset: number, initial: Level): Promise<GpioOutput> {
    await this.hold(offset, initial);
    return {
      set: (level) => {
        void this.hold(offset, level).catch(() => undefined);
      },
    };
  }

  /** gpioset keeps the line requested at `level` until it is stopped; a new level means a new gpioset. */
  private async hold(offset: number, level: Level): Promise<void> {
    if (this.closed) return;
    const old = this.outputs.get(offset);
    if (old) await stop(old);
    const args = this.tools.v2 ? [...this.chipArgs(), `${offset}=${level}`] : ['--mode=signal', ...this.chipArgs(), `${offset}=${level}`];
    const child = spawn('gpioset', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.outputs.set(offset, child);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err) => reject(new FirmwareError('E_MODEM_UNAVAILABLE', `gpioset for GPIO ${offset} on ${this.name}: ${err.message}`, { cause: err })));
    });
  }

  async input(offset: number): Promise<GpioInput> {
    if (!this.listeners.has(offset)) this.listeners.set(offset, new Set());
    const args = this.tools.v2 ? ['--numeric', ...this.chipArgs(), String(offset)] : [...this.chipArgs(), String(offset)];
    if (this.monitor) await stop(this.monitor);
    const level = (await run('gpioget', args)).trim();
    this.levels.set(offset, level === '1' ? 1 : 0);
    this.startMonitor();
    return {
      read: () => this.levels.get(offset) ?? 0,
      onChange: (fn) => {
        const set = this.listeners.get(offset)!;
        set.add(fn);
        return () => set.delete(fn);
      },
    };
  }

  /** One gpiomon for every input line: their edges arrive in order on one stream. */
  private startMonitor(): void {
    const offsets = [...this.listeners.keys()].map(String);
    const args = this.tools.v2 ? ['-c', this.name, '--format=%o %e', ...offsets] : ['--format=%o %e', this.name, ...offsets];
    const child = spawn('gpiomon', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.monitor = child;
    let rest = '';
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
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.outputs.values(), ...(this.monitor ? [this.monitor] : [])];
    this.outputs.clear();
    this.monitor = undefined;
    await Promise.all(all.map(stop));
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
