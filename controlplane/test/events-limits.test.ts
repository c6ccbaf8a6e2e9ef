// The /ws stream's bounds, on a real hub with real WebSocket clients: one user (their API keys
// included) holds at most maxStreamsPerUser streams, and the hub at most maxStreams sockets in all;
// past either the socket is closed with a code that says which, and a stream that ends gives its
// place back. Without them one viewer's token opened streams until the hub's file limit stopped
// every request.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { createAdminSession, createApiKey, createOrgUser } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';

const hub = await startTestHub({ maxStreams: 5, maxStreamsPerUser: 2 });
const admin = await createAdminSession(hub);
const viewer = await createOrgUser(hub, admin, 'viewer');
const member = await createOrgUser(hub, admin, 'member');

/**
 * Opens a stream; resolves with its first frame (hello) or how it was closed before any. A socket
 * the hub admitted and then refused resolves once the hub has seen it end (its place is free).
 */
async function open(token: string | null): Promise<{ ws: WebSocket; hello: boolean; code?: number; reason?: string }> {
  const url = new URL('/ws', hub.url.replace(/^http/, 'ws'));
  if (token !== null) url.searchParams.set('token', token);
  const base = await ended();
  const ws = new WebSocket(url);
  const first = await new Promise<{ ws: WebSocket; hello: boolean; code?: number; reason?: string }>((resolve, reject) => {
    ws.once('message', (data) => {
      assert.equal(JSON.parse(data.toString()).type, 'hello');
      resolve({ ws, hello: true });
    });
    ws.once('close', (code, reason) => resolve({ ws, hello: false, code, reason: reason.toString() }));
    ws.once('error', reject);
  });
  // 1013: refused before it was admitted, nothing to give back.
  if (!first.hello && first.code !== 1013) while ((await ended()) <= base) await new Promise((resolve) => setTimeout(resolve, 5));
  return first;
}

async function metric(result: string): Promise<number> {
  const m = await hub.app.metrics.getSingleMetric('unibos_ws_connections_total')?.get();
  return m?.values.find((v) => v.labels.result === result)?.value ?? 0;
}

/** Streams the hub has seen end (each gives its place back as it does). */
async function ended(): Promise<number> {
  const m = await hub.app.metrics.getSingleMetric('unibos_ws_closed_total')?.get();
  return (m?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

/** Closes `streams` and waits until the hub, not only the client, has seen each end. */
async function closeAll(streams: Array<{ ws: WebSocket }>): Promise<void> {
  const target = (await ended()) + streams.filter((s) => s.ws.readyState !== WebSocket.CLOSED).length;
  for (const s of streams) s.ws.close();
  await Promise.all(streams.map((s) => new Promise<void>((resolve) => (s.ws.readyState === WebSocket.CLOSED ? resolve() : s.ws.once('close', () => resolve())))));
  while ((await ended()) < target) await new Promise((resolve) => setTimeout(resolve, 5));
}

test('a user holds at most maxStreamsPerUser streams, their API keys counted with them; the hub at most maxStreams sockets', { timeout: 30_000 }, async () => {
  const first = await open(viewer.accessToken);
  const second = await open(viewer.accessToken);
  assert.equal(first.hello && second.hello, true);
  const third = await open(viewer.accessToken);
  assert.deepEqual({ hello: third.hello, code: third.code }, { hello: false, code: 4029 });
  assert.match(third.reason!, /too many event streams open for this user/);
  // An admin's API key (a wall screen) streams as the admin: one tab and the key are the admin's two.
  const { key } = await createApiKey(hub, admin, ['read'], 'wall screen');
  const admins = [await open(admin.accessToken), await open(key)];
  assert.equal(admins.every((a) => a.hello), true);
  assert.equal((await open(key)).code, 4029, 'the key opens no more than its user may');
  assert.equal((await open(admin.accessToken)).code, 4029);
  assert.equal(await metric('too_many_streams'), 3);

  // Someone else has their own; then the hub is full, for anyone, token or not.
  const members = [await open(member.accessToken)];
  assert.equal(members[0]!.hello, true);
  const full = await open(null);
  assert.deepEqual({ hello: full.hello, code: full.code }, { hello: false, code: 1013 });
  assert.match(full.reason!, /try again later/);
  assert.equal((await open(member.accessToken)).code, 1013, 'a user below their own limit waits too');
  assert.equal(await metric('hub_full'), 2);
  assert.equal((await fetch(`${hub.url}/alive`)).status, 200, 'the HTTP API still answers');

  // A stream that ends gives its place back: to the hub, and to its user.
  await closeAll([first]);
  const again = await open(viewer.accessToken);
  assert.equal(again.hello, true, 'the viewer opens one again once one of theirs ended');
  await closeAll([second, again, ...admins, ...members]);
  const refused = [await open('not-a-token'), await open('not-a-token')];
  assert.deepEqual(refused.map((r) => r.code), [4001, 4001], 'a refused token gives its socket back too');
  const after = await Promise.all([viewer, viewer, admin, admin, member].map((u) => open(u.accessToken)));
  assert.deepEqual(after.map((a) => a.hello), [true, true, true, true, true], 'all five places free again');
  await closeAll(after);
});

test('a refused socket gives its place back at once, even when its peer never answers the close (sockets with no token cannot keep everyone out)', { timeout: 30_000 }, async () => {
  const refusedBefore = await metric('auth_failed');
  // Four places taken by real streams: one left.
  const held = [await open(viewer.accessToken), await open(viewer.accessToken), await open(admin.accessToken), await open(member.accessToken)];
  assert.equal(held.every((h) => h.hello), true);
  // Three sockets with a bad token that stop reading as soon as they are upgraded: the hub's close goes unanswered.
  const url = new URL('/ws', hub.url.replace(/^http/, 'ws'));
  url.searchParams.set('token', 'not-a-token');
  const deaf = [1, 2, 3].map(() => {
    const ws = new WebSocket(url);
    ws.on('upgrade', (res) => res.socket.pause());
    ws.on('error', () => {});
    return ws;
  });
  while ((await metric('auth_failed')) < refusedBefore + 3) await new Promise((resolve) => setTimeout(resolve, 5));
  const last = await open(admin.accessToken);
  assert.equal(last.hello, true, 'the last place is free for a real user');
  for (const ws of deaf) ws.terminate();
  await closeAll([...held, last]);
});
