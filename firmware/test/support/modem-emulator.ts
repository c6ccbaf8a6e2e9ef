// A RAK3172 (RUI3 firmware, LoRa P2P) emulator that answers AT commands on the device end of a
// PtyPair, with knobs for misbehaving; emulators sharing one ModemAir hear each other's AT+PSEND.

import { SerialPort } from 'serialport';
import { ReadlineParser } from '@serialport/parser-readline';
import { EventWaiter } from '@unibos/test-support';

export interface EmulatedP2pConfig {
  frequencyHz: number;
  sf: number;
  bandwidthKhz: number;
  /** 0 = 4/5 .. 3 = 4/8, as RUI3 numbers them. */
  codingRateIndex: number;
  preamble: number;
  txPowerDbm: number;
}

/** What a RUI3 module comes up with when it has forgotten its settings. */
export const RUI3_DEFAULTS: Readonly<EmulatedP2pConfig> = {
  frequencyHz: 868_000_000,
  sf: 7,
  bandwidthKhz: 125,
  codingRateIndex: 0,
  preamble: 8,
  txPowerDbm: 14,
};

/** What RUI3 keeps in flash across restarts: only modules that agree on all three hear each other. */
export interface EmulatedLinkConfig {
  /** Two-byte (STM32WL) form; RUI3's default 0x3444 is LoRaWAN's public word. */
  syncWord: number;
  iqInverted: boolean;
  encrypted: boolean;
}

export const RUI3_LINK_DEFAULTS: Readonly<EmulatedLinkConfig> = { syncWord: 0x3444, iqInverted: false, encrypted: false };

export type EmulatedRxMode = 'off' | 'continuous' | 'single' | 'window';

/** The shared medium: a frame one emulator sends reaches every other one tuned the same way. */
export class ModemAir {
  private readonly modems = new Set<Rui3ModemEmulator>();
  private heard = 0;

  join(modem: Rui3ModemEmulator): void {
    this.modems.add(modem);
  }

  leave(modem: Rui3ModemEmulator): void {
    this.modems.delete(modem);
  }

  send(from: Rui3ModemEmulator, payload: Uint8Array, config: EmulatedP2pConfig, link: EmulatedLinkConfig): void {
    for (const modem of this.modems) {
      if (modem === from) continue;
      // Deterministic but varied figures in the range a nearby node shows.
      const n = this.heard++;
      modem.hear(payload, config, link, -48 - ((n * 7) % 50), 9 - ((n * 3) % 12));
    }
  }
}

export interface EmulatorOptions {
  air: ModemAir;
  /** Work mode at power-up; modules leave the factory in LoRaWAN (1). */
  workMode?: number;
  /** Time between AT+PSEND's OK and +EVT:TXP2P DONE (the emulated time on air). */
  txDelayMs?: number;
  /** Time a restart takes before the banner; commands sent meanwhile are lost. */
  bootDelayMs?: number;
  /** ATE: echo every command line back before the reply. */
  echo?: boolean;
  /** Sync word, IQ and encryption in flash at power-up (e.g. left by a previous owner); RUI3's defaults otherwise. */
  link?: Partial<EmulatedLinkConfig>;
  /** An older RUI3 without AT+SYNCWORD, AT+IQINVER and AT+ENCRY: they get AT_COMMAND_NOT_FOUND. */
  withoutLinkCommands?: boolean;
  /** 'index': AT+PBW takes 0 = 125, 1 = 250, 2 = 500 kHz (the RUI3 4.x help text) and refuses kHz. */
  pbwForm?: 'khz' | 'index';
}

/** AT+PBW's index form, as RUI3 4.x help lists it (LoRa bandwidths in kHz). */
const PBW_INDEX = [125, 250, 500, 7.8, 10.4, 15.63, 20.83, 31.25, 41.67, 62.5];

type Reply = { lines: string[]; after?: () => void } | undefined;

const within = (min: number, max: number) => (v: number): boolean => v >= min && v <= max;

/** The P2P settings: which config field each AT command sets and the values RUI3 accepts for it. */
const SETTINGS = {
  PFREQ: { field: 'frequencyHz', accepts: within(150_000_000, 960_000_000) },
  PSF: { field: 'sf', accepts: within(5, 12) },
  PBW: { field: 'bandwidthKhz', accepts: (v: number) => v === 125 || v === 250 || v === 500 },
  PCR: { field: 'codingRateIndex', accepts: within(0, 3) },
  PPL: { field: 'preamble', accepts: within(2, 65_535) },
  PTP: { field: 'txPowerDbm', accepts: within(5, 22) },
} satisfies Record<string, { field: keyof EmulatedP2pConfig; accepts: (v: number) => boolean }>;
type SettingName = keyof typeof SETTINGS;

function settingValue(config: EmulatedP2pConfig, name: SettingName): number {
  return config[SETTINGS[name].field];
}

/** Applies one setting with RUI3's ranges; false means AT_PARAM_ERROR. */
function applySetting(config: EmulatedP2pConfig, name: SettingName, text: string): boolean {
  if (!/^\d{1,10}$/.test(text)) return false;
  const v = Number(text);
  const setting = SETTINGS[name];
  if (!setting.accepts(v)) return false;
  config[setting.field] = v;
  return true;
}

/** P2P link settings RUI3 keeps in flash; older builds lack the commands. */
const LINK_COMMANDS = new Set(['SYNCWORD', 'IQINVER', 'ENCRY']);

function isSetting(name: string): name is SettingName {
  return Object.hasOwn(SETTINGS, name);
}

export class Rui3ModemEmulator {
  /** Every command line received while powered and booted, in order. */
  readonly commands: string[] = [];
  txDelayMs: number;
  config: EmulatedP2pConfig = { ...RUI3_DEFAULTS };
  /** Kept across restarts, as RUI3 keeps it in flash. */
  link: EmulatedLinkConfig;
  rxMode: EmulatedRxMode = 'off';
  workMode: number;
  /** RUI3 takes AT+PSEND payloads of 2..500 hex digits; lower it to play a build that takes less. */
  psendMaxDigits = 500;

  private readonly air: ModemAir;
  private readonly bootDelayMs: number;
  private readonly withoutLinkCommands: boolean;
  private readonly pbwForm: 'khz' | 'index';
  private echo: boolean;
  private port: SerialPort | undefined;
  private booting = false;
  private transmitting = false;
  private dropNext = 0;
  private busyNext = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly commandArrivals = new EventWaiter();

  constructor(options: EmulatorOptions) {
    this.air = options.air;
    this.workMode = options.workMode ?? 1;
    this.txDelayMs = options.txDelayMs ?? 5;
    this.bootDelayMs = options.bootDelayMs ?? 20;
    this.echo = options.echo ?? false;
    this.link = { ...RUI3_LINK_DEFAULTS, ...options.link };
    this.withoutLinkCommands = options.withoutLinkCommands ?? false;
    this.pbwForm = options.pbwForm ?? 'khz';
  }

  /** Powers the module up on `path` (the device end of a PtyPair); a replug is a fresh power-up. */
  async attach(path: string): Promise<void> {
    await this.detach();
    this.powerOn();
    const port = new SerialPort({ path, baudRate: 115_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'latin1' })).on('data', (line: string) => {
      if (this.port === port) this.onCommand(line);
    });
    port.on('close', () => {
      if (this.port !== port) return;
      this.port = undefined;
      this.powerOff();
    });
    port.on('error', () => undefined);
    this.port = port;
    this.air.join(this);
  }

  /** Powers the module down and lets go of the pty. */
  async detach(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    this.powerOff();
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  get attached(): boolean {
    return this.port !== undefined;
  }

  // --- misbehaviour knobs -------------------------------------------------------------------

  /** Prints lines no RUI3 module would print (noise, a wrong baud rate, a half-written line). */
  emitGarbage(lines: string[]): void {
    for (const line of lines) this.write(line);
  }

  /** Writes raw text, line endings included, e.g. to end a line with a bare '\n'. */
  writeRaw(text: string): void {
    this.port?.write(Buffer.from(text, 'latin1'));
  }

  /** The next `n` commands are executed but their replies (values and status) never arrive. */
  dropReplies(n: number): void {
    this.dropNext = n;
  }

  /** The next `n` AT+PSEND commands get AT_BUSY_ERROR (as with CAD finding the channel busy). */
  busyOnNextSends(n: number): void {
    this.busyNext = n;
  }

  /**
   * Restarts as after a brown-out or watchdog: forgets the P2P settings and the receive mode (the
   * sync word, IQ and encryption stay, as in flash), then prints the boot banner. A factory reset
   * also falls back to LoRaWAN mode and RUI3's sync word, IQ and encryption.
   */
  reboot(options: { factoryReset?: boolean } = {}): void {
    this.powerOff();
    this.powerOn();
    if (options.factoryReset) {
      this.workMode = 1;
      this.link = { ...RUI3_LINK_DEFAULTS };
    }
    this.boot();
  }

  /** Prints a receive event whose payload cannot be decoded. */
  emitCorruptRx(kind: 'odd-length' | 'not-hex' | 'missing-fields'): void {
    const line = {
      'odd-length': '+EVT:RXP2P:-71:6:A1B2C',
      'not-hex': '+EVT:RXP2P:-71:6:G0DZ',
      'missing-fields': '+EVT:RXP2P:-71',
    }[kind];
    this.write(line);
  }

  /** Resolves with the first command matching `pattern` received at or after index `since`. */
  async waitForCommand(pattern: RegExp, since = 0, timeoutMs = 5000): Promise<string> {
    const find = (): string | undefined => this.commands.slice(since).find((c) => pattern.test(c));
    await this.commandArrivals.until(() => find() !== undefined, `the emulated modem to receive a command matching ${pattern}`, timeoutMs);
    return find()!;
  }

  // --- the air ----------------------------------------------------------------------------------

  /** Another emulator sent `payload`; it is heard only if tuned alike, on the same sync word and IQ, and listening. */
  hear(payload: Uint8Array, config: EmulatedP2pConfig, link: EmulatedLinkConfig, rssi: number, snr: number): void {
    if (!this.port || this.booting || this.workMode !== 0 || this.rxMode === 'off' || this.transmitting) return;
    const c = this.config;
    if (c.frequencyHz !== config.frequencyHz || c.sf !== config.sf || c.bandwidthKhz !== config.bandwidthKhz || c.codingRateIndex !== config.codingRateIndex) {
      return;
    }
    // A radio on another sync word or IQ never detects the packet; encrypted bytes fail a non-encrypting module's decode.
    const l = this.link;
    if (l.syncWord !== link.syncWord || l.iqInverted !== link.iqInverted || l.encrypted !== link.encrypted) return;
    this.write(`+EVT:RXP2P:${rssi}:${snr}:${Buffer.from(payload).toString('hex').toUpperCase()}`);
    if (this.rxMode === 'single' || this.rxMode === 'window') this.rxMode = 'off';
  }

  // --- the module ---------------------------------------------------------------------------

  private powerOn(): void {
    this.config = { ...RUI3_DEFAULTS };
    this.rxMode = 'off';
    this.transmitting = false;
    this.booting = false;
  }

  private powerOff(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.transmitting = false;
    this.rxMode = 'off';
    this.booting = false;
    if (!this.port) this.air.leave(this);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private boot(): void {
    this.booting = true;
    this.later(this.bootDelayMs, () => {
      this.booting = false;
      // RUI3 4.x banner (AT command manual, ATZ example); the last line is what marks "ready".
      this.write('');
      this.write('RAKwireless RAK3172');
      this.write('------------------------------------------------------');
      this.write('Version: RUI_4.0.6_RAK3172-E');
      this.write(`Current Work Mode: ${this.workMode === 0 ? 'LoRa P2P' : 'LoRaWAN'}.`);
    });
  }

  private write(line: string): void {
    this.port?.write(Buffer.from(`${line}\r\n`, 'latin1'));
  }

  private onCommand(raw: string): void {
    const line = raw.trim();
    if (line === '' || this.booting) return;
    this.commands.push(line);
    this.commandArrivals.wake();
    if (this.echo) this.write(line);
    const reply = this.execute(line);
    if (!reply) return;
    if (this.dropNext > 0) this.dropNext--;
    else for (const l of reply.lines) this.write(l);
    reply.after?.();
  }

  private execute(line: string): Reply {
    const ok: Reply = { lines: ['OK'] };
    const err = (code: string): Reply => ({ lines: [code] });
    const upper = line.toUpperCase();
    if (upper === 'AT') return ok;
    if (upper === 'ATZ') {
      this.reboot();
      return undefined;
    }
    if (upper === 'ATE') {
      this.echo = !this.echo;
      return ok;
    }
    const m = /^AT\+([A-Z0-9]+)(?:=(.*))?$/i.exec(line);
    if (!m) return err('AT_COMMAND_NOT_FOUND');
    const name = m[1]!.toUpperCase();
    const arg = m[2];
    const query = arg === '?';
    if (name === 'VER' && query) return { lines: ['AT+VER=RUI_4.0.6_RAK3172-E', 'OK'] };
    if (name === 'NWM') {
      if (query) return { lines: [`AT+NWM=${this.workMode}`, 'OK'] };
      if (arg !== '0' && arg !== '1' && arg !== '2') return err('AT_PARAM_ERROR');
      const mode = Number(arg);
      if (mode === this.workMode) return ok;
      // The manual: no OK; the module restarts into the new mode and prints its banner.
      return {
        lines: [],
        after: () => {
          this.powerOff();
          this.powerOn();
          this.workMode = mode;
          this.boot();
        },
      };
    }
    if (LINK_COMMANDS.has(name) && this.withoutLinkCommands) return err('AT_COMMAND_NOT_FOUND');
    if (this.workMode !== 0 && (isSetting(name) || LINK_COMMANDS.has(name) || name === 'PRECV' || name === 'PSEND' || name === 'P2P')) {
      return err('AT_MODE_NO_SUPPORT');
    }
    if (LINK_COMMANDS.has(name)) return this.linkSetting(name, arg);
    if (name === 'PBW' && this.pbwForm === 'index' && arg !== undefined && arg !== '?') {
      if (this.rxMode !== 'off') return err('AT_BUSY_ERROR');
      const khz = /^\d$/.test(arg) ? PBW_INDEX[Number(arg)] : undefined;
      if (khz === undefined) return err('AT_PARAM_ERROR');
      this.config.bandwidthKhz = khz;
      return ok;
    }
    if (isSetting(name)) {
      if (query) return { lines: [`AT+${name}=${settingValue(this.config, name)}`, 'OK'] };
      if (arg === undefined) return err('AT_PARAM_ERROR');
      if (this.rxMode !== 'off') return err('AT_BUSY_ERROR');
      return applySetting(this.config, name, arg) ? ok : err('AT_PARAM_ERROR');
    }
    if (name === 'PRECV') return this.precv(arg);
    if (name === 'PSEND') return this.psend(arg);
    return err('AT_COMMAND_NOT_FOUND');
  }

  private linkSetting(name: string, arg: string | undefined): Reply {
    const l = this.link;
    if (arg === '?') {
      const value = name === 'SYNCWORD' ? l.syncWord.toString(16).toUpperCase().padStart(4, '0') : Number(name === 'IQINVER' ? l.iqInverted : l.encrypted);
      return { lines: [`AT+${name}=${value}`, 'OK'] };
    }
    if (arg === undefined) return { lines: ['AT_PARAM_ERROR'] };
    if (this.rxMode !== 'off') return { lines: ['AT_BUSY_ERROR'] };
    if (name === 'SYNCWORD') {
      if (!/^[0-9A-Fa-f]{4}$/.test(arg)) return { lines: ['AT_PARAM_ERROR'] };
      l.syncWord = Number.parseInt(arg, 16);
    } else {
      if (arg !== '0' && arg !== '1') return { lines: ['AT_PARAM_ERROR'] };
      if (name === 'IQINVER') l.iqInverted = arg === '1';
      else l.encrypted = arg === '1';
    }
    return { lines: ['OK'] };
  }

  private precv(arg: string | undefined): Reply {
    const ms = this.rxMode === 'continuous' ? 65_534 : 0;
    if (arg === '?') return { lines: [`AT+PRECV=${ms}`, 'OK'] };
    if (arg === undefined || !/^\d{1,5}$/.test(arg) || Number(arg) > 65_535) return { lines: ['AT_PARAM_ERROR'] };
    const value = Number(arg);
    if (value === 0) {
      this.rxMode = 'off';
      return { lines: ['OK'] };
    }
    // Documented: with a receive window open, only AT+PRECV=0 is accepted.
    if (this.rxMode !== 'off' || this.transmitting) return { lines: ['AT_BUSY_ERROR'] };
    if (value === 65_534) this.rxMode = 'continuous';
    else if (value === 65_535) this.rxMode = 'single';
    else {
      this.rxMode = 'window';
      this.later(value, () => {
        if (this.rxMode !== 'window') return;
        this.rxMode = 'off';
        this.write('+EVT:RXP2P RECEIVE TIMEOUT');
      });
    }
    return { lines: ['OK'] };
  }

  private psend(arg: string | undefined): Reply {
    if (arg === undefined || arg.length < 2 || arg.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(arg)) return { lines: ['AT_PARAM_ERROR'] };
    if (arg.length > this.psendMaxDigits) return { lines: ['AT_PARAM_ERROR'] };
    if (this.busyNext > 0) {
      this.busyNext--;
      return { lines: ['AT_BUSY_ERROR'] };
    }
    // Documented: AT+PSEND is refused while continuous receive is on.
    if (this.rxMode !== 'off' || this.transmitting) return { lines: ['AT_BUSY_ERROR'] };
    const payload = Uint8Array.from(Buffer.from(arg, 'hex'));
    const config = { ...this.config };
    const link = { ...this.link };
    this.transmitting = true;
    this.later(this.txDelayMs, () => {
      this.transmitting = false;
      this.air.send(this, payload, config, link);
      this.write('+EVT:TXP2P DONE');
    });
    return { lines: ['OK'] };
  }
}
