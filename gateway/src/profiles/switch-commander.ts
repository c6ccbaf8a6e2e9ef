// Commands back to devices: the hub asks for a switch of a sensor it knows (by the sensor id its
// readings arrive under) to be ON, OFF or toggled; the device's family profile says which topic and
// payload do that (Tasmota cmnd/<topic>/POWER<n>, Shelly Gen1 relay command, Shelly Gen2 RPC
// Switch.Set, Zigbee2MQTT <name>/set, ESPHome <node>/switch/<name>/command), and the answer waits for the device's own state topic to
// report the new state: "confirmed" means the device said so, not that we sent it. What it learnt of
// each device (its family, its switches' last states) is kept in the gateway's database
// (switch-memory.ts), so a restart does not make it refuse switches it knew until they report again.

import Database from 'better-sqlite3';
import type { ProfileRouter } from './profile-router.ts';
import { FAMILY_PROFILES, type DeviceProfile } from './device-profiles.ts';
import { SwitchMemory } from './switch-memory.ts';

export interface SwitchRequest {
  readonly sensor: string;
  readonly state: 'ON' | 'OFF' | 'TOGGLE';
  readonly channel: number | null;
  /** The switch's name, for families that name their switches (ESPHome). */
  readonly name?: string | null;
}

export type SwitchOutcome =
  | { readonly status: 'confirmed'; readonly state: 'ON' | 'OFF' }
  | { readonly status: 'refused'; readonly error: string }
  | { readonly status: 'unconfirmed'; readonly error: string };

export interface SwitchCommanderOptions {
  readonly router: Pick<ProfileRouter, 'knownDevice' | 'on' | 'off'>;
  readonly publish: (topic: string, payload: string) => Promise<void>;
  /** Name the gateway uses as RPC source towards Shelly Gen2 devices. */
  readonly source: string;
  /** How long a device has to report its new state. Default 10 s. */
  readonly confirmWithinMs?: number;
  /**
   * The gateway's database (gateway.db), where what was learnt of devices' switches outlives a
   * restart. Without it, it is kept in memory, for this process only.
   */
  readonly db?: Database.Database | undefined;
  /** The families a remembered device may be of (default FAMILY_PROFILES). */
  readonly profiles?: readonly DeviceProfile[];
}

export class SwitchCommander {
  /**
   * Each device's family (sensor id -> profile and device name) and each switch's last reported
   * state (`sensor/metric` -> 0 or 1, what a TOGGLE must change); bounded, the least recently
   * reported forgotten.
   */
  private readonly memory: SwitchMemory;

  constructor(private readonly options: SwitchCommanderOptions) {
    this.memory = new SwitchMemory(options.db ?? new Database(':memory:'));
    options.router.on('reading', (e: { reading: { sensor: string; metric: string; value: number; deviceClass?: string | undefined } }) => {
      const r = e.reading;
      const family = options.router.knownDevice(r.sensor);
      if (family?.profile.command) this.memory.rememberDevice(r.sensor, { profile: family.profile.name, device: family.device });
      if (r.deviceClass !== 'switch' || (r.value !== 0 && r.value !== 1)) return;
      this.memory.rememberState(`${r.sensor}/${r.metric}`, r.value);
    });
  }

  /** The family and device name of `sensor`: seen in this run, or remembered from an earlier one. */
  private knownDevice(sensor: string): ReturnType<SwitchCommanderOptions['router']['knownDevice']> {
    const seen = this.options.router.knownDevice(sensor);
    if (seen) return seen;
    const remembered = this.memory.device(sensor);
    const profile = remembered && (this.options.profiles ?? FAMILY_PROFILES).find((p) => p.name === remembered.profile && p.command);
    return profile && remembered ? { profile, device: remembered.device } : null;
  }

  async run(req: SwitchRequest): Promise<SwitchOutcome> {
    const known = this.knownDevice(req.sensor);
    if (!known) return { status: 'refused', error: `no readings seen from ${req.sensor} on this gateway: its family is not known yet` };
    const { profile, device } = known;
    if (!profile.command || !profile.switchMetrics) return { status: 'refused', error: `${profile.name} devices have no switch the gateway can set` };
    const target = { channel: req.channel, name: req.name ?? null };
    let command;
    try {
      command = profile.command(device, target, req.state, this.options.source);
    } catch (err) {
      return { status: 'refused', error: (err as Error).message };
    }
    const metrics = profile.switchMetrics(target);
    const metric = metrics.join(' or ');
    // A TOGGLE wants the opposite of the state last reported: a periodic report of the old state
    // arriving before the device's answer would otherwise "confirm" it. Never reported: any state.
    const before = metrics.map((m) => this.memory.state(`${req.sensor}/${m}`)).find((v) => v !== undefined);
    const want = req.state === 'ON' ? 1 : req.state === 'OFF' ? 0 : before === undefined ? null : 1 - before;
    const confirmed = new Promise<SwitchOutcome>((resolve) => {
      const onReading = (e: { reading: { sensor: string; metric: string; value: number } }): void => {
        const r = e.reading;
        if (r.sensor !== req.sensor || !metrics.includes(r.metric) || (want !== null && r.value !== want)) return;
        done({ status: 'confirmed', state: r.value === 1 ? 'ON' : 'OFF' });
      };
      const timer = setTimeout(() => done({ status: 'unconfirmed', error: `${req.sensor} did not report ${metric} ${req.state} within ${this.options.confirmWithinMs ?? 10_000} ms` }), this.options.confirmWithinMs ?? 10_000);
      const done = (o: SwitchOutcome): void => {
        clearTimeout(timer);
        this.options.router.off('reading', onReading);
        resolve(o);
      };
      this.options.router.on('reading', onReading);
    });
    try {
      await this.options.publish(command.topic, command.payload);
    } catch (err) {
      return { status: 'refused', error: `could not publish ${command.topic}: ${(err as Error).message}` };
    }
    return confirmed;
  }
}
