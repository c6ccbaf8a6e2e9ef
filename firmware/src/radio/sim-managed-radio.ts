// The simulated twin of a managed radio: a radio on the in-process simulated medium with the node
// loop's open/close/state on top, so several nodes run on simulated time (tests, the gateway's
// bridge tests) and a radio can be taken "down" (unplugged).

import type { LoRaParams, RadioListener, Scheduler, SimRadio } from '@unibos/mesh-protocol';
import type { ManagedRadio } from '../node/managed-radio.ts';

export class SimManagedRadio implements ManagedRadio {
  private stateValue = 'closed';
  private readonly listeners: Array<(s: string) => void> = [];
  transmissions = 0;

  constructor(
    private readonly inner: SimRadio,
    private readonly scheduler: Scheduler,
  ) {}

  get params(): LoRaParams {
    return this.inner.params;
  }

  get state(): string {
    return this.stateValue;
  }

  onStateChange(fn: (s: string) => void): void {
    this.listeners.push(fn);
  }

  async open(): Promise<void> {
    this.set('ready');
  }

  async close(): Promise<void> {
    this.set('closed');
  }

  /** Simulates an unplugged modem ('recovering') or its return ('ready'). */
  set(state: string): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    for (const fn of this.listeners) fn(state);
  }

  attach(listener: RadioListener): void {
    // A radio that is down hears nothing either.
    this.inner.attach({
      onReceive: (p) => this.stateValue === 'ready' && listener.onReceive(p),
      onTransmitDone: (ok, error) => listener.onTransmitDone(ok, error),
    });
  }

  transmit(frame: Uint8Array): void {
    if (this.stateValue !== 'ready') {
      this.scheduler.schedule(0, () => this.inner.listener?.onTransmitDone(false, 'radio down'));
      return;
    }
    this.transmissions++;
    this.inner.transmit(frame);
  }

  isChannelBusy(): boolean {
    return this.inner.isChannelBusy();
  }
}
