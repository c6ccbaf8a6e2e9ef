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

export function sessionAwarePersistence<P extends object>(durable: P, memory: Persistence): P {
  const target = durable as unknown as Record<string | symbol, unknown>;
  const volatile = memory as unknown as Record<string | symbol, (...args: unknown[]) => unknown>;
  return new Proxy(durable, {
    get(_t, prop) {
      const store = durable as unknown as Persistence;
      if (prop === 'setup') return async (broker: unknown) => (await store.setup(broker), await memory.setup(broker));
      if (prop === 'destroy') return async () => (await memory.destroy(), await store.destroy());
      const value = target[prop];
      if (typeof value !== 'function') return value;
      if (typeof prop === 'string' && PER_CLIENT_IN_FLIGHT.has(prop)) {
        return (client: { clean?: boolean } | null, ...rest: unknown[]) =>
          client?.clean ? volatile[prop]!.call(memory, client, ...rest) : (value as (...a: unknown[]) => unknown).call(durable, client, ...rest);
      }
      return (value as (...a: unknown[]) => unknown).bind(durable);
    },
  });
}
