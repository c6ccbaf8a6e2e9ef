// Persistence that keeps on disk only what MQTT says must outlive a connection. A clean-session
// client's session ends with its connection, so the in-flight bookkeeping of its QoS 1/2
// deliveries (written and cleared once per message) goes to memory; retained messages,
// subscriptions, wills, and everything for persistent sessions stay in the durable store.
// Measured: LevelDB for every in-flight packet cost the broker about 40% of its QoS 1 rate.

import { createRequire } from 'node:module';

/** aedes' own in-memory store (CommonJS; its type declarations do not describe the factory under NodeNext). */
export const memoryPersistence = createRequire(import.meta.url)('aedes-persistence') as () => Persistence;

/** The operations aedes calls per message, with the client as their first argument. */
const PER_CLIENT_IN_FLIGHT = new Set(['outgoingUpdate', 'outgoingClearMessageId', 'outgoingStream', 'incomingStorePacket', 'incomingGetPacket', 'incomingDelPacket']);

export interface Persistence {
  setup(broker: unknown): Promise<void>;
  destroy(): Promise<void>;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;
type Client = { readonly clean?: boolean } | null | undefined;

/** Every property name of `store`, own or inherited (aedes-persistence-level's are on its class). */
function propertyNames(store: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = store; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) if (name !== 'constructor') names.add(name);
  }
  return [...names];
}

/**
 * The durable store's interface with the per-message operations of clean sessions sent to `memory`.
 * The routing is decided once here, not per call: aedes calls into this several times per message.
 */
export function sessionAwarePersistence<P extends object>(durable: P, memory: Persistence): P {
  const store = durable as unknown as Record<string, Method> & Persistence;
  const volatile = memory as unknown as Record<string, Method> & Persistence;
  const routed: Record<string, unknown> = {};
  for (const name of propertyNames(durable)) {
    const onDisk = store[name];
    if (typeof onDisk !== 'function') {
      // Not a method (aedes-persistence-level's `broker` getter): read through.
      Object.defineProperty(routed, name, { get: () => store[name], enumerable: true });
    } else if (PER_CLIENT_IN_FLIGHT.has(name)) {
      const inMemory = volatile[name]!;
      // Every one of these takes (client) or (client, packet).
      routed[name] = (client: Client, packet?: unknown) =>
        client?.clean ? inMemory.call(memory, client, packet) : onDisk.call(durable, client, packet);
    } else {
      routed[name] = onDisk.bind(durable);
    }
  }
  routed.setup = async (broker: unknown) => {
    await store.setup(broker);
    await memory.setup(broker);
  };
  routed.destroy = async () => {
    await memory.destroy();
    await store.destroy();
  };
  // aedes calls this when a clean session starts and ends. The session's inbound QoS 2 state is in
  // memory; the durable store may still hold some from when the id last had a persistent session.
  if (typeof store.cleanIncoming === 'function') {
    const onDisk = store.cleanIncoming;
    const inMemory = typeof volatile.cleanIncoming === 'function' ? volatile.cleanIncoming : null;
    routed.cleanIncoming = async (client: Client) => {
      await inMemory?.call(memory, client);
      await onDisk.call(durable, client);
    };
  }
  return routed as unknown as P;
}
