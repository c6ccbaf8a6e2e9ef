// What one module's device handler gets of the node: the DeviceSide of @unibos/module-api, each
// call checked against the module's manifest (mesh priority, hardware, the message kinds it may
// hear). A refused call is counted and logged and answers false; it never throws into the handler.
// Every listener and timer of the handler runs inside a guard: a throw there unloads the module
// (its subscriptions and timers end) and the node carries on.

import type { Logger } from 'pino';
import { ALERT_LEVELS, BROADCAST, type AlertLevel } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import type { DeviceMessage, DeviceSide, DeviceStore, ModuleManifest } from '@unibos/module-api';
import type { ButtonPress } from '../gpio/device-panel.ts';
import type { Device } from './device.ts';
import type { InboxMessage } from './inbox.ts';
import { ModuleStore } from './module-store.ts';

/** The longest delay one Node timer takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The node calls a module may make, with what its manifest must declare for each. */
export type ModuleCall = 'onMessage' | 'imSafe' | 'raiseSos' | 'sendText' | 'sendAlert' | 'buzzer' | 'led' | 'onButton' | 'store.set';

export interface ModuleCounters {
  /** Calls the manifest does not allow (or a full store). */
  refused: number;
  /** Calls the node could not do (a text too long for a frame, storage failing). */
  failed: number;
}

export interface ModuleDeviceSideOptions {
  name: string;
  manifest: ModuleManifest;
  device: Device;
  dataDir: string;
  log: Logger;
  /** A listener, timer or the setup threw: the owner unloads the module. */
  onThrow(err: unknown, where: string): void;
}

export class ModuleDeviceSide {
  readonly counters: ModuleCounters = { refused: 0, failed: 0 };
  readonly side: DeviceSide;
  private readonly disposers = new Set<() => void>();
  private readonly warned = new Set<string>();
  private revoked = false;

  constructor(private readonly o: ModuleDeviceSideOptions) {
    const p = o.manifest.permissions;
    const hears = new Set((p.events?.subscribe ?? []).filter((t) => t === 'mesh.text' || t === 'mesh.alert').map((t) => t.slice('mesh.'.length)));
    const priority = p.mesh?.max_priority;
    const hardware = new Set<string>(p.hardware ?? []);
    const device = o.device;
    const store = new ModuleStore(o.dataDir, o.name);
    const needAlert = 'mesh.max_priority "alert"';

    const storeSide: DeviceStore = {
      get: (key) => store.get(String(key)),
      keys: () => store.keys(),
      delete: (key) => void this.attempt('store.set', () => store.delete(String(key))),
      set: (key, value) => {
        if (this.revoked) return false;
        const refusal = this.attemptValue('store.set', () => store.set(String(key), value));
        if (refusal === undefined) return false;
        if (refusal === null) return true;
        return this.refuse('store.set', refusal === 'full' ? 'its store would pass its size limit' : 'the value is not JSON');
      },
    };

    this.side = {
      nodeId: device.nodeId,
      name: device.name,
      onMessage: (listener) => {
        if (hears.size === 0) return this.refuseListener('onMessage', 'events.subscribe "mesh.text" or "mesh.alert"');
        const fn = (m: InboxMessage): void => {
          // A private message is for the person at this node, never for a module.
          if (m.kind === 'private' || !hears.has(m.kind)) return;
          const message: DeviceMessage = { from: m.from, kind: m.kind, level: m.level, text: m.text, packetId: m.packetId, rxMs: m.rxMs };
          this.guard('onMessage listener', () => listener(message));
        };
        device.on('message', fn);
        return this.track(() => device.off('message', fn));
      },
      imSafe: () =>
        priority === 'alert'
          ? this.attempt('imSafe', () =>
              // Nobody pressed anything: a module's "safe" goes out flagged automatic (a hub counts it apart
              // from a person's), and never calls off an SOS open on the node (the device refuses it then).
              device.answeredAutomatically(),
            )
          : this.refuse('imSafe', needAlert),
      raiseSos: () => (priority === 'alert' ? this.attempt('raiseSos', () => device.raiseSos()) : this.refuse('raiseSos', needAlert)),
      sendText: (text, to = BROADCAST) => (priority ? this.attempt('sendText', () => device.sendText(text, to)) : this.refuse('sendText', 'a mesh.max_priority')),
      sendAlert: (level: AlertLevel, text, to = BROADCAST) => {
        if (priority !== 'alert') return this.refuse('sendAlert', needAlert);
        return this.attempt('sendAlert', () => {
          // SOS and "I am safe" have their own calls: those go through the SOS tracker, with its resends and stages.
          if (!ALERT_LEVELS.includes(level) || level === 'SOS' || level === 'SAFE') throw new FirmwareError('E_BAD_REQUEST', `alert level ${String(level)} cannot be sent this way (SOS and SAFE use raiseSos and imSafe)`);
          return device.sendAlert(level, text, to);
        });
      },
      buzzer: (kind = 'alert') => (hardware.has('buzzer') ? this.attemptValue('buzzer', () => device.moduleSignal('buzzer', kind)) === true : this.refuse('buzzer', 'hardware "buzzer"')),
      led: () => (hardware.has('led') ? this.attemptValue('led', () => device.moduleSignal('led', 'alert')) === true : this.refuse('led', 'hardware "led"')),
      onButton: (listener) => {
        if (!hardware.has('button')) return this.refuseListener('onButton', 'hardware "button"');
        const fn = (press: ButtonPress): void => this.guard('onButton listener', () => listener(press));
        device.on('press', fn);
        return this.track(() => device.off('press', fn));
      },
      after: (ms, fn) => {
        if (this.revoked) return () => {};
        // A Node timer holds at most 2^31 - 1 ms (24.8 days) and fires at once past it: longer waits go in steps.
        let left = Math.max(0, Number(ms) || 0);
        let t: NodeJS.Timeout;
        const arm = (): void => {
          const step = Math.min(left, MAX_TIMER_MS);
          left -= step;
          t = setTimeout(() => {
            if (left > 0) return arm();
            dispose();
            this.guard('timer', fn);
          }, step);
        };
        arm();
        const dispose = this.track(() => clearTimeout(t));
        return dispose;
      },
      store: storeSide,
    };
  }

  /** Ends every subscription and timer the handler holds; later calls are refused quietly. */
  revoke(): void {
    this.revoked = true;
    for (const d of [...this.disposers]) d();
    this.disposers.clear();
  }

  /** Runs handler code (its factory, a listener, a timer); a throw or a rejected promise goes to onThrow. */
  guard(where: string, fn: () => unknown): void {
    if (this.revoked) return;
    try {
      const r = fn();
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, (err: unknown) => this.o.onThrow(err, where));
    } catch (err) {
      this.o.onThrow(err, where);
    }
  }

  private track(dispose: () => void): () => void {
    let done = false;
    const once = (): void => {
      if (done) return;
      done = true;
      this.disposers.delete(once);
      dispose();
    };
    this.disposers.add(once);
    return once;
  }

  private refuse(call: ModuleCall, needs: string): false {
    if (this.revoked) return false;
    this.counters.refused++;
    const first = !this.warned.has(call);
    this.warned.add(call);
    // The first refusal of each kind is worth a warning; a handler retrying in a loop is not worth a full log.
    this.o.log[first ? 'warn' : 'debug']({ module: this.o.name, call, code: 'E_MODULE_PERMISSION', refused: this.counters.refused }, `module ${this.o.name}: ${call} refused: its manifest does not declare ${needs}`);
    return false;
  }

  private refuseListener(call: ModuleCall, needs: string): () => void {
    this.refuse(call, needs);
    return () => {};
  }

  private attempt(call: ModuleCall, fn: () => unknown): boolean {
    return this.attemptValue(call, () => (fn(), true)) === true;
  }

  /** The node's answer, or undefined when the node could not do it (counted and logged). */
  private attemptValue<T>(call: ModuleCall, fn: () => T): T | undefined {
    if (this.revoked) return undefined;
    try {
      return fn();
    } catch (err) {
      this.counters.failed++;
      this.o.log.warn({ module: this.o.name, call, err: (err as Error).message, code: (err as { code?: string }).code }, `module ${this.o.name}: ${call} failed: ${(err as Error).message}`);
      return undefined;
    }
  }
}
