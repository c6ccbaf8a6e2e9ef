// The device side of a module: what a node runtime hands a module's device handler. The handler
// sees what the node receives and may answer through the same calls the button and the CLI use;
// it never reaches the radio, the outbox or the node's files. The node checks each call against the
// module's manifest: a call it does not allow is refused (counted and logged, `false` returned,
// nothing thrown), so a handler cannot crash the node by asking for too much.
//
// A node runs each handler in its own worker thread (firmware's module-thread.ts): the handler
// shares no globals with the node, and every call below is passed to the node and answered there
// (synchronously, as before). A handler that stops answering the node's watchdog for about 5 s (a
// loop that never ends), or outgrows 64 MB of heap or 64 MB of Buffers, has its thread ended and
// its module shown failed until the node restarts; `process.exit()` ends only its own thread.

import type { AlertLevel } from '@unibos/mesh-protocol';

export interface DeviceMessage {
  from: number;
  kind: 'text' | 'alert';
  level: string | null;
  text: string;
  packetId: number;
  rxMs: number;
}

/** A module's own small key-value store on the node (a few KiB of JSON; `node_only` data lives here). */
export interface DeviceStore {
  get(key: string): unknown;
  /** False when refused: the value is not JSON or the store would outgrow its limit. */
  set(key: string, value: unknown): boolean;
  delete(key: string): void;
  keys(): string[];
}

export interface DeviceSide {
  readonly nodeId: number;
  readonly name: string;
  /**
   * Subscribes to received texts (`events.subscribe: ["mesh.text"]`) and alerts (`"mesh.alert"`);
   * only the kinds the manifest names arrive. Returns the unsubscribe function.
   */
  onMessage(listener: (m: DeviceMessage) => void): () => void;
  /**
   * "Safe" on behalf of the node: an alert frame, `mesh.max_priority: "alert"`. Nobody pressed
   * anything, so the node sends it flagged automatic (`Alert.automatic`): a hub counts it apart from a
   * person's "I am safe" (the short button press, `unibos sos --safe`). Refused while the node's SOS is open.
   */
  imSafe(): boolean;
  /** Ask for help (the long button press, `unibos sos`): an alert frame, `mesh.max_priority: "alert"`. */
  raiseSos(): boolean;
  /** A text to `to` (default everyone): `mesh.max_priority` `normal` or `alert`. */
  sendText(text: string, to?: number): boolean;
  /** An alert frame, ahead of every text: `mesh.max_priority: "alert"`. */
  sendAlert(level: AlertLevel, text: string, to?: number): boolean;
  /** Sounds the buzzer as for an incoming alert or SOS: `hardware: ["buzzer"]`. */
  buzzer(kind?: 'alert' | 'sos'): boolean;
  /** A short LED blink: `hardware: ["led"]`. */
  led(): boolean;
  /** Button presses (the node still does its own SOS / "I am safe" with them): `hardware: ["button"]`. */
  onButton(listener: (press: 'short' | 'long') => void): () => void;
  /** Runs `fn` after `ms` unless cancelled; a throw there is contained like a listener's. Ends on unload. */
  after(ms: number, fn: () => void): () => void;
  readonly store: DeviceStore;
}

export interface DeviceHandler {
  stop(): void;
  /** One line on its own state for `unibos status` while loaded (a camera module: each camera live, or why not). */
  status?(): string | null;
}

/** The device entry's default export. */
export type DeviceHandlerFactory = (device: DeviceSide, options: Record<string, unknown>) => DeviceHandler;
