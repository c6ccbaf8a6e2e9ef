// Which store each persistence call reaches: a clean-session client's per-message in-flight
// bookkeeping stays in memory; persistent sessions and everything else go to the durable store.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sessionAwarePersistence, type Persistence } from '../src/broker/session-aware-persistence.ts';

function recorder(name: string, log: string[]) {
  const store: Record<string, unknown> = {};
  for (const op of ['outgoingUpdate', 'outgoingClearMessageId', 'outgoingStream', 'incomingStorePacket', 'incomingGetPacket', 'incomingDelPacket', 'outgoingEnqueue', 'storeRetained', 'addSubscriptions', 'putWill']) {
    store[op] = (...args: unknown[]) => log.push(`${name}.${op}(${(args[0] as { id?: string; clientId?: string })?.id ?? (args[0] as { clientId?: string })?.clientId ?? ''})`);
  }
  store.setup = async () => void log.push(`${name}.setup`);
  store.destroy = async () => void log.push(`${name}.destroy`);
  return store as unknown as Persistence & Record<string, (...a: unknown[]) => unknown>;
}

test('clean sessions keep in-flight state in memory; persistent sessions and shared state stay durable', async () => {
  const log: string[] = [];
  const durable = recorder('disk', log);
  const p = sessionAwarePersistence(durable, recorder('mem', log)) as typeof durable;
  await p.setup({});
  const clean = { id: 'c', clean: true };
  const kept = { id: 'k', clean: false };
  for (const op of ['outgoingUpdate', 'outgoingClearMessageId', 'outgoingStream', 'incomingStorePacket', 'incomingGetPacket', 'incomingDelPacket'] as const) {
    p[op]!(clean, {});
    p[op]!(kept, {});
  }
  p.outgoingEnqueue!({ clientId: 'k' }, {});
  p.storeRetained!({}, {});
  p.addSubscriptions!(clean, []);
  p.putWill!(clean, {});
  await p.destroy();
  assert.deepEqual(log, [
    'disk.setup',
    'mem.setup',
    'mem.outgoingUpdate(c)',
    'disk.outgoingUpdate(k)',
    'mem.outgoingClearMessageId(c)',
    'disk.outgoingClearMessageId(k)',
    'mem.outgoingStream(c)',
    'disk.outgoingStream(k)',
    'mem.incomingStorePacket(c)',
    'disk.incomingStorePacket(k)',
    'mem.incomingGetPacket(c)',
    'disk.incomingGetPacket(k)',
    'mem.incomingDelPacket(c)',
    'disk.incomingDelPacket(k)',
    'disk.outgoingEnqueue(k)',
    'disk.storeRetained()',
    'disk.addSubscriptions(c)',
    'disk.putWill(c)',
    'mem.destroy',
    'disk.destroy',
  ]);
});

test('a clean session clears its inbound QoS 2 state from memory and from disk, and the queue of the id\'s earlier persistent session', async () => {
  const log: string[] = [];
  const disk = recorder('disk', log);
  const mem = recorder('mem', log);
  disk.cleanIncoming = async (client: unknown) => void log.push(`disk.cleanIncoming(${(client as { id: string }).id})`);
  mem.cleanIncoming = async (client: unknown) => void log.push(`mem.cleanIncoming(${(client as { id: string }).id})`);
  // What an earlier persistent session of the id left queued: one message sent (it has a packet id), one never sent.
  disk.outgoingStream = (client: unknown) => {
    log.push(`disk.outgoingStream(${(client as { id: string }).id})`);
    return [{ messageId: 7 }, {}];
  };
  disk.outgoingUpdate = (_client: unknown, packet: unknown) => void log.push(`disk.outgoingUpdate(${(packet as { messageId: number }).messageId})`);
  disk.outgoingClearMessageId = (_client: unknown, packet: unknown) => void log.push(`disk.outgoingClearMessageId(${(packet as { messageId: number }).messageId})`);
  const p = sessionAwarePersistence(disk, mem) as typeof disk;
  await p.cleanIncoming!({ id: 'c', clean: true });
  assert.deepEqual(log, ['mem.cleanIncoming(c)', 'disk.cleanIncoming(c)', 'disk.outgoingStream(c)', 'disk.outgoingClearMessageId(7)', 'disk.outgoingUpdate(65536)', 'disk.outgoingClearMessageId(65536)']);
});

test('routes methods of a class-based store and reads its other properties through', async () => {
  const log: string[] = [];
  class Store {
    #broker: unknown = null;
    get broker(): unknown {
      return this.#broker;
    }
    async setup(broker: unknown): Promise<void> {
      this.#broker = broker;
    }
    async destroy(): Promise<void> {}
    async incomingGetPacket(client: { id: string }): Promise<string> {
      log.push(`disk.incomingGetPacket(${client.id})`);
      return 'stored';
    }
  }
  const p = sessionAwarePersistence(new Store(), recorder('mem', log));
  await p.setup('the broker');
  assert.equal(p.broker, 'the broker');
  assert.equal(await p.incomingGetPacket({ id: 'k', clean: false } as { id: string }), 'stored');
  p.incomingGetPacket({ id: 'c', clean: true } as { id: string });
  assert.deepEqual(log, ['mem.setup', 'disk.incomingGetPacket(k)', 'mem.incomingGetPacket(c)']);
});
