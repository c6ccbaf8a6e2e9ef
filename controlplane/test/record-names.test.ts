// A stored mesh record keeps its sender's name as it was when the frame came in, and a hub whose
// records table predates names opens as before: the column is added, old rows have no name.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { RecordStore } from '../src/records/record-store.ts';

const reception = { gatewayId: '!0a0b0c0d', rssi: -90, snr: 5, hops: 0, timeMs: 1_000 };

test('records keep the sender’s name; an old records table gains the column', () => {
  const db = new Database(':memory:');
  // The table as hubs before this change created it.
  db.exec('CREATE TABLE mesh_records (id INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL, node_id TEXT NOT NULL, kind TEXT NOT NULL, packet_id INTEGER NOT NULL, time_ms INTEGER NOT NULL, data TEXT NOT NULL)');
  db.prepare('INSERT INTO mesh_records (org_id, node_id, kind, packet_id, time_ms, data) VALUES (?, ?, ?, ?, ?, ?)').run('org', '!2b3c4d05', 'text', 1, 500, '{"text":"old"}');
  const store = new RecordStore(db);
  const { id } = store.add('org', { nodeId: '!2b3c4d05', nodeName: 'Team Bravo', kind: 'text', packetId: 2, timeMs: 1_000, data: { text: 'new' }, reception });
  assert.equal(store.get('org', id)?.nodeName, 'Team Bravo');
  assert.equal(store.query('org', { limit: 10 }).find((r) => r.packetId === 1)?.nodeName, null, 'an old row has no name');
  // Opening again does not add the column twice.
  assert.doesNotThrow(() => new RecordStore(db));
  db.close();
});
