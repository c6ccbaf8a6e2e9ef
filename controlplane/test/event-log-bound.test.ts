// The event log is bounded per org: an org whose gateways flood it (sensor readings every second)
// prunes its own old events, never another org's, so the other org's clients still replay what
// they missed after a reconnect.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { EventLog } from '../src/events/event-log.ts';

test('one org\u2019s flood of events does not prune another org\u2019s event log', () => {
  const db = new Database(':memory:');
  const log = new EventLog(db, { maxEvents: 100 });
  const sensor = (orgId: string, i: number) => ({ orgId, type: 'sensor.reading' as const, data: { sensorId: 's1', metric: 'temp', value: i, gatewayId: '!00000001' as const, gatewayName: null, time: new Date(0).toISOString() } });
  db.transaction(() => {
    for (let i = 0; i < 50; i++) log.append(sensor('org-b', i));
    for (let i = 0; i < 20_000; i++) log.append(sensor('org-a', i));
  })();
  assert.equal(log.after('org-b', 0, 1000).length, 50, 'org B keeps its events');
  const a = log.after('org-a', 0, 100_000);
  assert.ok(a.length >= 100 && a.length < 20_000, `org A is held near its bound (${a.length})`);
  assert.equal((a.at(-1)!.data as { value: number }).value, 19_999, 'org A keeps its newest');
  db.close();
});
