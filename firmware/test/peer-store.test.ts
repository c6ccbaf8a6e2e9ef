// The node database's peer list at festival scale: it holds 2,000 peers and never more, forgets
// the least recently heard first, and never forgets a gateway or a peer whose SOS is still open.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Data } from '@unibos/mesh-protocol';
import { openNodeDb, type Db } from '../src/node/node-db.ts';
import { MAX_PEERS, PeerStore } from '../src/node/peer-store.ts';

const PING: Data = { text: 'hi' };
// A node's own SOS asks for an answer under its request id (device.ts).
const SOS: Data = { alert: { level: 'SOS', text: 'trapped', magnitudeX10: 0 }, requestId: 41, wantResponse: true };
// What a gateway puts on the air when the hub broadcasts an SOS-level alert to everyone (Device.sendAlert).
const HUB_SOS_ALERT: Data = { alert: { level: 'SOS', text: 'Flood warning: move to high ground', magnitudeX10: 0 } };
const SAFE: Data = { alert: { level: 'SAFE', text: 'ok now', magnitudeX10: 0 } };
const GATEWAY: Data = { nodeInfo: { longName: 'Hill gateway', shortName: 'GW', hwModel: 'rpi', role: 'GATEWAY', publicKey: new Uint8Array(0) } };

function withStore(capacity: number | undefined, body: (store: PeerStore, db: Db) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-peers-'));
  const db = openNodeDb(join(dir, 'node.db'));
  // Thousands of one-row transactions: durability is not what these tests are about.
  db.pragma('synchronous = OFF');
  try {
    body(new PeerStore(db, capacity === undefined ? {} : { capacity }), db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const ids = (store: PeerStore): Set<number> => new Set(store.all().map((p) => p.nodeId));

test('holds 2,000 peers, and never more however many are heard', () => {
  assert.equal(MAX_PEERS, 2000);
  withStore(undefined, (store, db) => {
    let t = 1_000;
    for (let id = 1; id <= 2_000; id++) store.heard(id, 0, 5, -90, PING, t++);
    assert.equal(store.all().length, 2_000, 'all 2,000 held');
    for (let id = 2_001; id <= 2_600; id++) {
      store.heard(id, 0, 5, -90, PING, t++);
      if (id % 50 === 0) assert.equal((db.prepare('SELECT COUNT(*) AS n FROM peers').get() as { n: number }).n, 2_000, `after peer ${id}`);
    }
    const held = ids(store);
    assert.equal(held.size, 2_000);
    assert.ok(!held.has(600) && held.has(601) && held.has(2_600), 'the 600 least recently heard went');
  });
});

test('the least recently heard is forgotten first, not the first one ever heard', () => {
  withStore(3, (store) => {
    store.heard(1, 0, 5, -90, PING, 100);
    store.heard(2, 0, 5, -90, PING, 200);
    store.heard(3, 0, 5, -90, PING, 300);
    store.heard(1, 1, 5, -90, PING, 400); // heard again: now the freshest
    assert.equal(store.heard(4, 0, 5, -90, PING, 500), 'new');
    assert.deepEqual([...ids(store)].sort(), [1, 3, 4]);
  });
});

test('a gateway is never forgotten, however long ago it was heard', () => {
  withStore(10, (store) => {
    store.heard(0x600d, 2, 5, -90, GATEWAY, 1);
    for (let id = 1; id <= 100; id++) store.heard(id, 0, 5, -90, PING, 10 + id);
    const held = ids(store);
    assert.equal(held.size, 10);
    assert.ok(held.has(0x600d), 'gateway kept');
    assert.equal(store.all().find((p) => p.nodeId === 0x600d)?.role, 'GATEWAY');
  });
});

test('a peer with an open SOS is never forgotten; once it says it is safe, it can be', () => {
  withStore(10, (store) => {
    store.heard(0x5050, 1, 5, -90, SOS, 1);
    for (let id = 1; id <= 100; id++) store.heard(id, 0, 5, -90, PING, 10 + id);
    assert.ok(ids(store).has(0x5050), 'SOS peer kept');
    assert.equal(store.all().find((p) => p.nodeId === 0x5050)?.sosOpen, true);
    // A later frame that is not an alert leaves the SOS open.
    store.heard(0x5050, 1, 5, -90, PING, 200);
    for (let id = 101; id <= 200; id++) store.heard(id, 0, 5, -90, PING, 200 + id);
    assert.ok(ids(store).has(0x5050), 'still open after a text');
    store.heard(0x5050, 1, 5, -90, SAFE, 500);
    assert.equal(store.all().find((p) => p.nodeId === 0x5050)?.sosOpen, false);
    for (let id = 201; id <= 220; id++) store.heard(id, 0, 5, -90, PING, 600 + id);
    assert.ok(!ids(store).has(0x5050), 'safe now, and the least recently heard: forgotten');
  });
});

test('an SOS-level alert the hub broadcasts through a gateway does not mark the gateway as needing help', () => {
  withStore(10, (store) => {
    store.heard(0x600d, 0, 5, -90, GATEWAY, 1);
    store.heard(0x600d, 0, 5, -90, HUB_SOS_ALERT, 2);
    store.heard(0x5050, 1, 5, -90, HUB_SOS_ALERT, 3);
    const open = (id: number) => store.all().find((p) => p.nodeId === id)?.sosOpen;
    assert.equal(open(0x600d), false, 'the gateway only carried the hub\'s broadcast');
    assert.equal(open(0x5050), false, 'a node relaying or sending a broadcast alert raised no SOS of its own');
    // Its own SOS still counts, whatever it heard before.
    store.heard(0x5050, 1, 5, -90, SOS, 4);
    assert.equal(open(0x5050), true);
  });
});

test('when every peer held is protected, a newcomer is not stored and is counted, and the protected stay', () => {
  withStore(3, (store) => {
    store.heard(1, 0, 5, -90, GATEWAY, 1);
    store.heard(2, 0, 5, -90, SOS, 2);
    store.heard(3, 0, 5, -90, SOS, 3);
    assert.equal(store.heard(4, 0, 5, -90, PING, 4), null);
    assert.deepEqual([...ids(store)].sort(), [1, 2, 3]);
    assert.equal(store.refused, 1);
  });
});

test('a database written with more peers than the capacity is brought down to it by the next newcomer', () => {
  withStore(50, (store, db) => {
    for (let id = 1; id <= 50; id++) store.heard(id, 0, 5, -90, PING, id);
    const smaller = new PeerStore(db, { capacity: 20 });
    smaller.heard(999, 0, 5, -90, PING, 1_000);
    const held = ids(smaller);
    assert.equal(held.size, 20);
    assert.ok(held.has(999) && held.has(50) && !held.has(31));
  });
});

test('an SOS places its sender where its copy says, and a later copy moves them; a copy relayed late does not move them back', () => {
  const at = (latitude: number, timeS: number) => ({ latitudeI: Math.round(latitude * 1e7), longitudeI: 290_000_000, altitudeM: 0, time: timeS, precisionBits: 32, satsInView: 6, fixQuality: 3, groundSpeed: 0, groundTrack: 0 });
  const sosAt = (latitude: number, timeS: number): Data => ({ alert: { level: 'SOS', text: 'SOS', magnitudeX10: 0, position: at(latitude, timeS) }, requestId: 7, wantResponse: true });
  withStore(undefined, (store) => {
    const where = () => store.all().find((p) => p.nodeId === 9)!;
    store.heard(9, 1, 5, -90, SOS, 1_000); // the first copy, before the GPS had a fix
    assert.equal(where().latitude, null);
    store.heard(9, 1, 5, -90, sosAt(41.01, 2_000), 2_000_000);
    assert.equal(where().latitude, 41.01, 'the copy sent once the GPS had its fix');
    store.heard(9, 1, 5, -90, sosAt(41.02, 2_060), 2_060_000);
    assert.equal(where().latitude, 41.02, 'the person moved');
    store.heard(9, 1, 5, -90, sosAt(41.01, 2_000), 2_070_000);
    assert.deepEqual([where().latitude, where().positionMs], [41.02, 2_060_000], 'an older copy changes nothing');
    assert.equal(where().sosOpen, true);
  });
});

test('a write that fails (a full SD card) leaves the count as the database has it: no peer is forgotten for it later', () => {
  withStore(3, (store, db) => {
    for (let id = 1; id <= 3; id++) store.heard(id, 0, 5, -90, PING, 1_000 + id);
    // The disk refuses the eviction that makes room for a fourth: the whole frame's update is rolled back.
    db.exec("CREATE TRIGGER full_disk BEFORE DELETE ON peers BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    assert.throws(() => store.heard(4, 0, 5, -90, PING, 2_000), /disk is full/);
    assert.deepEqual(ids(store), new Set([1, 2, 3]));
    db.exec('DROP TRIGGER full_disk');
    // The disk takes writes again: one newcomer pushes out one peer, the least recently heard.
    store.heard(5, 0, 5, -90, PING, 3_000);
    assert.deepEqual(ids(store), new Set([2, 3, 5]));
  });
});
