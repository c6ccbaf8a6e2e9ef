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
