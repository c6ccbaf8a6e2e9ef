// The hub's events: every type the event stream can carry, with the shape of its data. One
// definition for the hub (which raises them), modules (which raise and read them) and the admin
// UI (which reads them through the generated controlplane/public/js/hub-events.js): an event
// raised or matched under a name that is not here fails the typecheck or the vocabulary test.

import type { NodeIdText } from '../core/node-id.ts';
import { MESH_TOPIC_KIND, type MeshTopicKind } from '../mqtt/topics.ts';
import type { SosStage } from './sos-stage.ts';

/** Event-stream topics a client can filter on. */
export const EVENT_TOPICS = ['nodes', 'mesh', 'sensors', 'alerts', 'messages', 'modules', 'messenger'] as const;
export type EventTopic = (typeof EVENT_TOPICS)[number];

export type DeviceKind = 'node' | 'gateway';

export interface NodePosition {
  latitude: number;
  longitude: number;
  altitudeM: number | null;
  time: string;
}

export interface HeardBy {
  gatewayId: string;
  rssi: number | null;
  snr: number | null;
  hops: number | null;
  lastSeen: string;
}

/** A node or gateway as the fleet knows it (`node.*` events, the fleet API). */
export interface FleetNode {
  id: string;
  name: string | null;
  kind: DeviceKind;
  online: boolean;
  lastSeen: string | null;
  battery: number | null;
  voltage: number | null;
  snr: number | null;
  rssi: number | null;
  position: NodePosition | null;
  capabilities: { radio: boolean; gps: boolean; camera: boolean; modules: string[] };
  heardBy: HeardBy[];
  claimed: boolean;
}

export interface Reception {
  gatewayId: string;
  rssi: number | null;
  snr: number | null;
  hops: number | null;
  time: string;
}

/** A heard frame, once, with every gateway that heard it (`mesh.*` events, the records API). */
export interface MeshRecord {
  id: number;
  nodeId: string;
  /** The sender's name when the frame came in (null: not known then); a later rename leaves it. */
  nodeName: string | null;
  kind: string;
  packetId: number;
  time: string;
  data: Record<string, unknown>;
  receptions: Reception[];
}

export interface SensorAvailabilityEvent {
  sensorId: string;
  state: 'online' | 'offline';
  /** Since when (when the gateway took the report). */
  since: string;
  gatewayId: string;
  /** The gateway's name when the report came in (null: not yet known). */
  gatewayName: string | null;
}

export interface SensorReadingEvent {
  sensorId: string;
  metric: string;
  value: number | null;
  raw?: unknown;
  unit?: string;
  /** Home Assistant's device class (temperature, power, switch, ...), when the sensor said. */
  deviceClass?: string;
  /** When the device measured it, when it said. */
  measuredAt?: string;
  gatewayId: string;
  /** The gateway's name when the reading came in (null: not yet known). */
  gatewayName?: string | null;
  /** When the gateway took it (its clock); when the hub got it if the gateway did not say or its clock was absurd. */
  time: string;
  /** When the hub got it (later than `time` by as long as the gateway held it). */
  receivedAt?: string;
}

export type AlertState = 'open' | 'acknowledged' | 'resolved';

export interface AlertStage {
  stage: SosStage;
  at: string;
  /** Who acknowledged or resolved: a display name or email (what the node is told). */
  by: string | null;
}

export interface HubAlert {
  id: number;
  nodeId: string;
  level: string;
  text: string;
  position: { latitude: number; longitude: number } | null;
  state: AlertState;
  raisedAt: string;
  lastHeardAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** The SOS's request id (what the node's stage answers name); null for other alerts or old rows. */
  requestId: number | null;
  /** When the hub stored it (raisedAt is when the gateway heard it). */
  receivedAt: string | null;
  acknowledgedNote: string | null;
  /** Why it was closed when nobody resolved it by hand (e.g. "superseded by a new SOS"); null otherwise. */
  resolvedNote: string | null;
  /** The stages so far, oldest first: gateway (heard), hub, acknowledged, resolved. */
  stages: AlertStage[];
}

/** An alert event carries the node's name as it was known when it happened. */
export type AlertEvent = HubAlert & { nodeName: string | null };

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'failed';

/** A `message.status` event names the recipient as it was known then (null: everyone, or not yet known). */
export type DownlinkEvent = DownlinkMessage & { toName: string | null };

/** A text or alert sent from the hub into the mesh (`message.status` events, the messages API). */
export interface DownlinkMessage {
  id: string;
  to: string;
  kind: 'text' | 'alert';
  text: string;
  level: string | null;
  magnitude: number | null;
  status: MessageStatus;
  gateways: string[];
  packetId: number | null;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  error: string | null;
}

export type SwitchStatus = 'sent' | 'queued' | 'confirmed' | 'unconfirmed' | 'refused';

/**
 * A device switch the hub asked a gateway to set (`switch.status` events, the switches API):
 * sent (on the gateway's tx topic) -> queued (the gateway took it) -> confirmed (the device's own
 * state topic showed it), unconfirmed (the device did not say so in time) or refused.
 */
export interface SwitchCommand {
  ref: string;
  gatewayId: NodeIdText;
  sensor: string;
  requested: 'ON' | 'OFF' | 'TOGGLE';
  channel: number | null;
  /** The switch's name, for families that name their switches (ESPHome). */
  name: string | null;
  status: SwitchStatus;
  /** The state the device reported, once confirmed. */
  state: 'ON' | 'OFF' | null;
  error: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** A gateway gave up on a message because the hub kept refusing it. */
export interface DeadLetterEvent {
  gatewayId: NodeIdText;
  deadLetters: number;
  seq: number;
  topic: string | null;
  source: string | null;
  reason: string;
  failedAt: string | null;
}

// 'mesh': a direct message to or from a mesh node, sealed end to end with the node (target: the node id).
export type MessengerMessageKind = 'message' | 'edit' | 'delete' | 'reaction' | 'read' | 'sender-key' | 'typing' | 'mesh';

/**
 * A messenger message as its conversation's members are told of it (`message.*` events): the
 * metadata the hub sees anyway, never ciphertext. The client then reads its device's inbox.
 */
export interface MessengerMessageEvent {
  conversationId: string;
  messageId: string;
  senderUser: string;
  senderDevice: string;
  kind: MessengerMessageKind;
  /** The message an edit, delete, reaction or read receipt is about. */
  target: string | null;
  sentAt: string;
  expiresAt: string | null;
}

/** Someone is typing in a conversation (`typing`, not stored: only live streams get it). */
export interface MessengerTypingEvent {
  conversationId: string;
  userId: string;
  deviceId: string;
}

/** A messenger device came online or went away (`presence`, not stored), told to its user's conversation partners. */
export interface MessengerPresenceEvent {
  userId: string;
  deviceId: string;
  status: 'online' | 'offline';
}

/** A user's set of messenger devices changed (`messenger.devices_changed`): clients announce the new or revoked key. */
export interface MessengerDevicesChangedEvent {
  userId: string;
  deviceId: string;
  change: 'added' | 'revoked';
  identityKey: string;
}

/**
 * How far one of the user's direct messages to a mesh node got (`messenger.mesh_status`), to that
 * user alone: `sent` (a gateway's radio took it, with its packet id), `delivered` (the node acknowledged), `failed`.
 */
export interface MessengerMeshStatusEvent {
  nodeId: NodeIdText;
  messageId: string;
  status: 'queued' | 'sent' | 'delivered' | 'failed';
  error: string | null;
}

/** A conversation's details or members changed (`conversation.updated`); a new epoch means: re-key. */
export interface MessengerConversationEvent {
  conversationId: string;
  epoch: number;
  change: 'created' | 'details' | 'members_added' | 'member_removed' | 'member_left' | 'role_changed';
  /** The users the change is about (added, removed, left, re-roled). */
  userIds: string[];
  by: string;
}

type MeshEvents = { [K in MeshTopicKind as `mesh.${K}`]: MeshRecord };

/**
 * A module's own event: `module.{module}.{event}`. The hub cannot list them (modules come and
 * go), so the union takes them as a template; each module declares its events in its manifest
 * (`permissions.events.publish`), the module API refuses any other at runtime, and the vocabulary
 * test checks every such literal in the code against the manifests.
 */
export type ModuleEventType = `module.${string}.${string}`;

/** Module events carry plain JSON objects of the module's own shape. */
export type ModuleEventData = Record<string, unknown>;

export const MODULE_EVENT_NAME = /^[a-z][a-z0-9_]{0,39}$/;
export const MODULE_NAME = /^[a-z][a-z0-9-]{1,39}$/;

/** `module.birlikteyiz.quake` for module `birlikteyiz`, event `quake`. */
export function moduleEventType(module: string, event: string): ModuleEventType {
  return `module.${module}.${event}`;
}

/** The module and event names of a module event type, or null. */
export function parseModuleEventType(type: string): { module: string; event: string } | null {
  const m = /^module\.([^.]+)\.([^.]+)$/.exec(type);
  if (!m || !MODULE_NAME.test(m[1]!) || !MODULE_EVENT_NAME.test(m[2]!)) return null;
  return { module: m[1]!, event: m[2]! };
}

export type ModuleLifecycleState = 'not_loaded' | 'setup_in_progress' | 'loaded' | 'setup_error' | 'setup_retry' | 'migration_error' | 'unloaded' | 'disabled' | 'invalid' | 'unsupported';

/** A module as the hub runs it (`module.state` events, the modules API). */
/** A reason by code: `host.dependency_missing` `{ module: "maps", range: "^1.0.0" }` (`host.*` the module host's, `{module}.*` a module's own). Values are names, numbers and short texts, never a secret. */
export interface ModuleProblem {
  code: string;
  params: Record<string, string | number>;
}

export interface ModuleStatus {
  name: string;
  version: string | null;
  description: string | null;
  category: string | null;
  enabled: boolean;
  state: ModuleLifecycleState;
  /** Why it is not loaded (setup error, manifest error with file and field, missing dependency...), in English. */
  error: string | null;
  /** The same reason by code and values, for a screen to say in its reader's language (null when there is none). */
  problem: ModuleProblem | null;
  /** When a retrying module tries again (ISO time). */
  retryAt: string | null;
  /** Runtime errors caught since it was loaded. */
  runtimeErrors: number;
  /**
   * The saved settings: only for those who may manage modules (admins of the hub's own org);
   * absent in module.state events and for everyone else (they hold camera addresses, feed URLs).
   */
  settings?: Record<string, unknown>;
  settingsSchema: Record<string, unknown> | null;
  /** The manifest's translations (module.json `translations`): description and settings labels by language. */
  translations: Record<string, { description?: string; settings?: Record<string, { title?: string; enumTitles?: Record<string, string> }>; problems?: Record<string, string> }> | null;
  hasUi: boolean;
}

/** Every event type and the shape of its data. */
export interface HubEventPayloads extends MeshEvents {
  'node.online': FleetNode;
  'node.offline': FleetNode;
  'node.updated': FleetNode;
  'node.claimed': FleetNode;
  /** A heard, unclaimed node the hub forgot to keep the org within its bound (the hub config's maxHeardNodes). */
  'node.forgotten': { id: NodeIdText };
  'sensor.reading': SensorReadingEvent;
  /** A sensor went offline or came back (or said so for the first time). */
  'sensor.availability': SensorAvailabilityEvent;
  'alert.raised': AlertEvent;
  'alert.acknowledged': AlertEvent;
  'alert.resolved': AlertEvent;
  'message.status': DownlinkEvent;
  'switch.status': SwitchCommand;
  'gateway.deadletter': DeadLetterEvent;
  'module.state': ModuleStatus;
  'message.new': MessengerMessageEvent;
  'message.edited': MessengerMessageEvent;
  'message.deleted': MessengerMessageEvent;
  'message.read': MessengerMessageEvent;
  typing: MessengerTypingEvent;
  presence: MessengerPresenceEvent;
  'messenger.devices_changed': MessengerDevicesChangedEvent;
  'messenger.mesh_status': MessengerMeshStatusEvent;
  'conversation.updated': MessengerConversationEvent;
  [type: ModuleEventType]: ModuleEventData;
}

export type HubEventType = keyof HubEventPayloads;

/** Each type's stream topic: one place decides where an event is filed. */
export const HUB_EVENT_TOPIC: { readonly [K in Exclude<HubEventType, ModuleEventType>]: EventTopic } = {
  'node.online': 'nodes',
  'node.offline': 'nodes',
  'node.updated': 'nodes',
  'node.claimed': 'nodes',
  'node.forgotten': 'nodes',
  'gateway.deadletter': 'nodes',
  ...(Object.fromEntries(Object.values(MESH_TOPIC_KIND).map((k) => [`mesh.${k}`, 'mesh'])) as { [K in keyof MeshEvents]: 'mesh' }),
  'sensor.reading': 'sensors',
  'sensor.availability': 'sensors',
  'alert.raised': 'alerts',
  'alert.acknowledged': 'alerts',
  'alert.resolved': 'alerts',
  'message.status': 'messages',
  'switch.status': 'messages',
  'module.state': 'modules',
  'message.new': 'messenger',
  'message.edited': 'messenger',
  'message.deleted': 'messenger',
  'message.read': 'messenger',
  typing: 'messenger',
  presence: 'messenger',
  'messenger.devices_changed': 'messenger',
  'messenger.mesh_status': 'messenger',
  'conversation.updated': 'messenger',
};

/** The hub's own event types (module events are declared by the modules, not listed here). */
export const HUB_EVENT_TYPES = Object.keys(HUB_EVENT_TOPIC) as Array<Exclude<HubEventType, ModuleEventType>>;

export function isHubEventType(type: string): type is HubEventType {
  return Object.hasOwn(HUB_EVENT_TOPIC, type) || parseModuleEventType(type) !== null;
}

/** Where an event of `type` is filed: the hub's own from HUB_EVENT_TOPIC, every module event under `modules`. */
export function hubEventTopic(type: HubEventType): EventTopic {
  return Object.hasOwn(HUB_EVENT_TOPIC, type) ? HUB_EVENT_TOPIC[type as Exclude<HubEventType, ModuleEventType>] : 'modules';
}

/** The event type of a mesh record of topic word `kind`. */
export function meshEventType(kind: MeshTopicKind): keyof MeshEvents {
  return `mesh.${kind}`;
}
