// radio.type none: a node with nothing on air. A flashed card whose unibos.json never named a
// board and region starts with it, so that it cannot transmit on a band it may not use; the node
// still runs (its status, its button's SOS waiting in the outbox) until the card is set up.

import type { LoRaParams, RadioListener } from '@unibos/mesh-protocol';
import type { ManagedRadio } from '../node/managed-radio.ts';

export class NoRadio implements ManagedRadio {
  /** Never 'ready': the outbox holds every message, as for a radio that is down. */
  readonly state = 'off';
  readonly warning = 'no radio is set up: nothing goes on air (on a flashed card, put a unibos.json naming the board and region on its boot partition and reboot)';
  private listener: RadioListener | undefined;

  constructor(readonly params: LoRaParams) {}

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  onStateChange(): void {}

  attach(listener: RadioListener): void {
    this.listener = listener;
  }

  transmit(): void {
    queueMicrotask(() => this.listener?.onTransmitDone(false, 'no radio'));
  }

  isChannelBusy(): boolean {
    return false;
  }
}
