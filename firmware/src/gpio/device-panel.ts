// The GPIO boundary: the device's one button, status LED and buzzer, as the node loop sees them.
// Implemented with johnny-five components over raspi-io on a Pi, or over a virtual IO plugin.

/** A short press says "I am safe"; a long press (held past the hold time) sends SOS. */
export type ButtonPress = 'short' | 'long';

export type SosState = 'none' | 'pending' | 'acknowledged';

export interface PanelStatus {
  gpsFix: boolean;
  sos: SosState;
}

export interface DevicePanel {
  start(): Promise<void>;
  stop(): Promise<void>;
  onButton(listener: (press: ButtonPress) => void): void;
  /** The LED pattern follows this state: SOS pending > SOS acknowledged > GPS fix/no fix. */
  setStatus(status: PanelStatus): void;
  /** A short LED blink for mesh activity (a frame sent or received), on top of the pattern. */
  flashActivity(): void;
  /** Sounds the buzzer for an incoming alert or SOS. */
  alert(kind: 'sos' | 'alert'): void;
}
