// The GPIO boundary: the device's one button, status LED and buzzer, as the node loop sees them.
// Implemented with johnny-five components over raspi-io on a Pi, or over a virtual IO plugin.

/** A short press says "I am safe"; a long press (held past the hold time) sends SOS. */
export type ButtonPress = 'short' | 'long';

/**
 * The SOS as the LED shows it: pending = no gateway has taken it yet (still resending); taken = a
 * gateway queued it for the hub, or the hub has it; acknowledged = an admin saw it. A resolved or
 * cancelled SOS is 'none'.
 */
export type SosState = 'none' | 'pending' | 'taken' | 'acknowledged';

export interface PanelStatus {
  gpsFix: boolean;
  sos: SosState;
}

export interface DevicePanel {
  start(): Promise<void>;
  stop(): Promise<void>;
  onButton(listener: (press: ButtonPress) => void): void;
  /** The LED pattern follows this state: SOS pending > taken > acknowledged > GPS fix/no fix. */
  setStatus(status: PanelStatus): void;
  /** A short LED blink for mesh activity (a frame sent or received), on top of the pattern. */
  flashActivity(): void;
  /** Sounds the buzzer for an incoming alert or SOS. */
  alert(kind: 'sos' | 'alert'): void;
}
