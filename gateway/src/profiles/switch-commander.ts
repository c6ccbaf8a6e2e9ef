// Commands back to devices: the hub asks for a switch of a sensor it knows (by the sensor id its
// readings arrive under) to be ON, OFF or toggled; the device's family profile says which topic and
// payload do that (Tasmota cmnd/<topic>/POWER<n>, Shelly Gen1 relay command, Shelly Gen2 RPC
// Switch.Set, Zigbee2MQTT <name>/set, ESPHome <node>/switch/<name>/command), and the answer waits for the device's own state topic to
// report the new state: "confirmed" means the device said so, not that we sent it.

import type { ProfileRouter } from './profile-router.ts';

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
}

/** Switch states remembered for TOGGLE (a gateway's devices have tens; a device inventing names must not grow it). */
const MAX_SWITCHES_REMEMBERED = 4096;

export class SwitchCommander {
  /**
   * Each switch's last reported state (`sensor/metric` -> 0 or 1): what a TOGGLE must change. Only
   * switches' readings, and at most MAX_SWITCHES_REMEMBERED, the least recently reported forgotten.
   */
  private readonly lastState = new Map<string, number>();

  constructor(private readonly options: SwitchCommanderOptions) {
    options.router.on('reading', (e: { reading: { sensor: string; metric: string; value: number; deviceClass?: string | undefined } }) => {
      const r = e.reading;
      if (r.deviceClass !== 'switch' || (r.value !== 0 && r.value !== 1)) return;
      const key = `${r.sensor}/${r.metric}`;
      this.lastState.delete(key);
      this.lastState.set(key, r.value);
      if (this.lastState.size > MAX_SWITCHES_REMEMBERED) this.lastState.delete(this.lastState.keys().next().value!);
    });
  }

  async run(req: SwitchRequest): Promise<SwitchOutcome> {
    const known = this.options.router.knownDevice(req.sensor);
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
    const before = metrics.map((m) => this.lastState.get(`${req.sensor}/${m}`)).find((v) => v !== undefined);
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
