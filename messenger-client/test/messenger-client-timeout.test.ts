// A hub connection that hangs (accepted, never answered) must not stall the client for good: the
// request is given up with E_HUB_UNREACHABLE, and the next sync, once the hub answers, gets everything.

import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { createAdminSession, createOrgUser, type TestSession } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub, type TestHub } from '../../controlplane/test/support/test-hub.ts';
import { MemoryStateStore, MessengerClient, MessengerClientError } from '../src/index.ts';

/** A TCP server that takes connections and never says a word. */
async function silentServer(): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return `http://127.0.0.1:${address.port}`;
}

function open(hub: TestHub, who: TestSession, name: string, fetchFn?: typeof fetch): Promise<MessengerClient> {
  return MessengerClient.open({ hubUrl: hub.url, auth: async () => who.accessToken, store: new MemoryStateStore(), deviceName: name, requestTimeoutMs: 300, ...(fetchFn ? { fetch: fetchFn } : {}) });
}

test('a sync whose connection hangs is given up with E_HUB_UNREACHABLE; the next one gets the message', { timeout: 30_000 }, async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const silent = await silentServer();
  let hung = false;
  // While `hung`, every request goes to a server that accepts the connection and never answers.
  const network: typeof fetch = (input, init) => fetch(hung ? String(input).replace(hub.url, silent) : input, init);
  const a1 = await open(hub, alice, 'alice');
  const b1 = await open(hub, bob, 'bob', network);
  const dm = await a1.startDirect(bob.userId);
  await a1.send(dm.id, { text: 'generator is back on' });

  hung = true;
  await assert.rejects(b1.sync(), (err: unknown) => err instanceof MessengerClientError && err.code === 'E_HUB_UNREACHABLE' && /did not answer .* within/.test(err.message));
  hung = false;
  const got = await b1.sync();
  assert.deepEqual(got.problems, []);
  assert.deepEqual(got.arrived.map((m) => m.text), ['generator is back on']);
});
