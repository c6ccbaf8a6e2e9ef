// Persistence that keeps on disk only what MQTT says must outlive a connection. A clean-session
// client's session ends with its connection, so the in-flight bookkeeping of its QoS 1/2
// deliveries (written and cleared once per message) goes to memory; retained messages,
// subscriptions, wills, and everything for persistent sessions stay in the durable store.
// Measured: LevelDB for every in-flight packet cost the broker about 40% of its QoS 1 rate.

import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

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
    } else if (name === 'outgoingStream') {
      const inMemory = volatile[name]!;
      routed[name] = (client: Client) => (client?.clean ? inMemory.call(memory, client) : markResends(onDisk.call(durable, client) as AsyncIterable<QueuedPacket>));
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
  // memory; the durable store may still hold some from when the id last had a persistent session,
  // and the messages queued for that session: [MQTT-3.1.2-6] has a clean connect discard them all,
  // where aedes only drops the subscriptions and the queue would reach the id's next persistent session.
  if (typeof store.cleanIncoming === 'function') {
    const onDisk = store.cleanIncoming;
    const inMemory = typeof volatile.cleanIncoming === 'function' ? volatile.cleanIncoming : null;
    routed.cleanIncoming = async (client: Client) => {
      await inMemory?.call(memory, client);
      await onDisk.call(durable, client);
      if (client) await discardQueue(store, client);
    };
  }
  // aedes routes a QoS 1/2 message once it is queued for every persistent session that subscribes,
  // and LevelDB's writes finish in any order on its thread pool: a publisher's message whose write
  // finished first went ahead of an earlier one. Each enqueue resolves in the order it was asked.
  let enqueued: Promise<unknown> = Promise.resolve();
  for (const name of ['outgoingEnqueue', 'outgoingEnqueueCombi']) {
    const enqueue = routed[name] as Method | undefined;
    if (typeof enqueue !== 'function') continue;
    routed[name] = (...args: unknown[]) => {
      const write = enqueue(...args) as Promise<unknown>;
      const inOrder = enqueued.then(() => write);
      enqueued = inOrder.catch(() => undefined);
      return inOrder;
    };
  }
  return routed as unknown as P;
}

interface QueuedPacket {
  messageId?: number;
  dup?: boolean;
}

/**
 * A persistent session's queue as aedes replays it on reconnect. A packet already given a packet id
 * was written to the client before (aedes numbers a message when it sends it), so this is its
 * resend and carries DUP=1 [MQTT-3.3.1-1]; aedes copies the flag but never sets it.
 */
function markResends(queue: AsyncIterable<QueuedPacket>): Readable {
  return Readable.from(
    (async function* () {
      for await (const packet of queue) {
        if (packet.messageId) packet.dup = true;
        yield packet;
      }
    })(),
  );
}

/** Packet ids beyond MQTT's 16 bits, for queued messages never sent: they cannot meet a real one. */
const DISCARD_ID_BASE = 0x10000;

/**
 * Empties the durable queue of `client`'s id through the store's own operations: a message that
 * was sent is cleared by its packet id; one never sent is first given an id no client can use.
 */
async function discardQueue(store: Record<string, Method>, client: NonNullable<Client>): Promise<void> {
  const stream = store.outgoingStream, update = store.outgoingUpdate, clear = store.outgoingClearMessageId;
  if (!stream || !update || !clear) return;
  const id = { id: (client as { id?: string }).id };
  let n = 0;
  for await (const packet of stream.call(store, id) as AsyncIterable<QueuedPacket>) {
    if (!packet.messageId) {
      packet.messageId = DISCARD_ID_BASE + n++;
      await update.call(store, id, packet);
    }
    await clear.call(store, id, packet);
  }
}
