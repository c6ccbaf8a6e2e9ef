// The module API: everything a module's hub plugin may reach, handed to it as `opts.module`.
// Small on purpose: events of its declared types, frames into the mesh at its declared priority,
// a read-only fleet, jobs, its own storage, the network if declared. The hub enforces the
// manifest's permissions on every call (E_MODULE_PERMISSION) and stops all of it on unload.

import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { FleetNode, HubEventPayloads, HubEventType, ModuleEventData, ModuleEventType } from '@unibos/mesh-protocol';
import type { MeshPriority } from './manifest.ts';

export interface ModuleLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ModuleEvent<T extends HubEventType = HubEventType> {
  id: number;
  orgId: string;
  type: T;
  ts: number;
  data: HubEventPayloads[T];
}

export type MeshBody = { text: string } | { alert: { level: string; text: string; magnitude?: number } };

export interface MeshSendResult {
  /** The downlink's id (its `message.status` events follow it to the node's ack). */
  id: string;
  status: string;
}

export interface JobOptions {
  /** Run once right away, then every interval. Default false. */
  immediately?: boolean;
}

export interface JobHandle {
  /** Runs the job now (and restarts its interval). */
  runNow(): void;
  /** Changes the interval (a backoff, a settings change); takes effect from now. */
  setInterval(ms: number): void;
  cancel(): void;
}

/** A stored document: its id, the org it belongs to (null: hub-wide) and when it last changed. */
export interface StoredDoc<T> {
  id: string;
  orgId: string | null;
  updatedAt: number;
  doc: T;
}

export interface ModuleCollection<T> {
  put(orgId: string | null, id: string, doc: T): void;
  get(orgId: string | null, id: string): T | null;
  /** Newest first. */
  list(orgId: string | null, q?: { limit?: number; sinceMs?: number }): Array<StoredDoc<T>>;
  delete(orgId: string | null, id: string): boolean;
}

/** Who called a module route (the hub has already authenticated them). */
export interface ModuleCaller {
  orgId: string;
  userId: string;
  role: string;
  /** The hub's permission names: read, send, alerts, fleet, members, org. */
  can(permission: string): boolean;
}

export interface ModuleContext {
  readonly name: string;
  readonly log: ModuleLogger;
  /** Its settings, validated against its schema with defaults filled in. */
  readonly settings: Readonly<Record<string, unknown>>;
  now(): number;
  readonly events: {
    /** Raises `type` (which must be `module.{this module}.{a declared event}`) in `orgId`'s event stream. */
    publish(orgId: string, type: ModuleEventType, data: ModuleEventData): void;
    /** Calls `handler` for each new event of a declared `subscribe` type, in every org. */
    subscribe<T extends HubEventType>(type: T, handler: (event: ModuleEvent<T>) => void): void;
  };
  readonly mesh: {
    /** A text or alert for node `to` (or 'broadcast') of the org, at `priority` (no higher than declared). */
    send(orgId: string, to: string, body: MeshBody, priority: MeshPriority): MeshSendResult;
  };
  readonly mqtt: {
    /** Sensor readings on `sensor/{id}/{metric}` topics matching `filter` (a declared subscribe filter). */
    subscribe(filter: string, handler: (reading: HubEventPayloads['sensor.reading'] & { orgId: string }) => void): void;
  };
  readonly fleet: {
    /** Orgs that have a fleet. */
    orgs(): string[];
    /** The hub's own org (made at setup; its admins manage modules), null before setup. */
    hubOrg(): string | null;
    list(orgId: string): FleetNode[];
    get(orgId: string, nodeId: string): FleetNode | null;
  };
  readonly jobs: {
    every(name: string, intervalMs: number, run: () => void | Promise<void>, options?: JobOptions): JobHandle;
  };
  readonly store: {
    collection<T>(name: string): ModuleCollection<T>;
  };
  /** The hub's fetch (injected in tests); refused unless the manifest declares `network`. */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
  /** The authenticated caller of a module route; throws 401 when there is none. */
  caller(request: FastifyRequest): ModuleCaller;
  /** Throws 403 unless the caller has `permission`. */
  require(request: FastifyRequest, permission: string): ModuleCaller;
}

export interface ModulePluginOptions {
  module: ModuleContext;
}

/** A module's hub entry (default export): a Fastify plugin mounted at /api/v1/modules/{name}/. */
export type ModulePlugin = FastifyPluginAsync<ModulePluginOptions>;

/** Optional export of the hub entry: brings stored settings of an older settings version up to date. */
export type SettingsMigration = (settings: Record<string, unknown>, fromVersion: number, toVersion: number) => Record<string, unknown>;
