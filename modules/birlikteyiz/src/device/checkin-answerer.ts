// The device side of birlikteyiz: on a field node, a check-in question (an EARTHQUAKE or WARNING
// alert asking "are you safe?") is answered by the person: a short press of the button is
// "I am safe", a long press asks for help (the firmware's own button handling; `unibos sos
// --safe` and `unibos sos` do the same). This handler adds what a node without a person needs:
// in a simulation (the demo) or on an unattended sensor node it answers by itself after a delay.

import type { DeviceHandler, DeviceHandlerFactory, DeviceMessage } from '@unibos/module-api';

export interface CheckinAnswererOptions {
  /** safe | help | none (let the person answer). */
  answer?: 'safe' | 'help' | 'none';
  /** How long after hearing the question it answers, ms. */
  delayMs?: number;
}

// The question in either language the hub may be set to (alert-wording.ts).
const ASKS = /are you safe\?|güvende misiniz\?/i;

export function isCheckinQuestion(m: DeviceMessage): boolean {
  return m.kind === 'alert' && (m.level === 'EARTHQUAKE' || m.level === 'WARNING') && ASKS.test(m.text);
}

const checkinAnswerer: DeviceHandlerFactory = (device, options) => {
  const o = options as CheckinAnswererOptions;
  const answer = o.answer ?? 'none';
  // The node's own timers: it clears them when the module stops and contains a throw in them.
  const cancels = new Set<() => void>();
  const off = device.onMessage((m) => {
    if (answer === 'none' || !isCheckinQuestion(m)) return;
    const cancel = device.after(o.delayMs ?? 5_000, () => {
      cancels.delete(cancel);
      if (answer === 'safe') device.imSafe();
      else device.raiseSos();
    });
    cancels.add(cancel);
  });
  const handler: DeviceHandler = {
    stop() {
      off();
      for (const cancel of cancels) cancel();
      cancels.clear();
    },
  };
  return handler;
};

export default checkinAnswerer;
