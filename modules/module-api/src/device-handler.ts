// The device side of a module: what a node runtime hands a module's device handler. The handler
// sees what the node receives and may answer through the same calls the button and the CLI use;
// it never reaches the radio, the outbox or the node's files.

export interface DeviceMessage {
  from: number;
  kind: 'text' | 'alert';
  level: string | null;
  text: string;
  packetId: number;
  rxMs: number;
}

export interface DeviceSide {
  readonly nodeId: number;
  readonly name: string;
  /** Subscribes to received texts and alerts; returns the unsubscribe function. */
  onMessage(listener: (m: DeviceMessage) => void): () => void;
  /** "I am safe" (the short button press, `unibos sos --safe`). */
  imSafe(): void;
  /** Ask for help (the long button press, `unibos sos`). */
  raiseSos(): void;
  sendText(text: string): void;
}

export interface DeviceHandler {
  stop(): void;
}

/** The device entry's default export. */
export type DeviceHandlerFactory = (device: DeviceSide, options: Record<string, unknown>) => DeviceHandler;
