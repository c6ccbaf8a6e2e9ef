// A message the real hub refuses (it ends the gateway's connection: MQTT 3.1.1 has no negative
// PUBACK) no longer wedges the gateway's uplink: the gateway gives up on it after a bounded number
// of tries, the admin is told why through the event stream, and what was queued behind it arrives.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitForEvent } from './support/hub-events.ts';
import { createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';

test('a message the hub refuses is dead-lettered at the gateway, reported to the admin, and the queue behind it arrives', { timeout: 60_000 }, async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  // Another gateway's status: the hub broker refuses it for this gateway. The gateway's door does
  // not know the hub's per-gateway ACL, so this is the poison that only the hub can name.
  const poison = gw.outbox.add({ source: 'gateway', topic: 'unibos/v1/gw/0badbeef/status', payload: JSON.stringify({ status: 'online' }) });
  gw.sensor('after-poison', 'temperature', '19.5');

  const reading = await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'after-poison', { what: 'the reading queued behind the poison', timeoutMs: 30_000 });
  assert.equal(reading.data.value, 19.5);
  const letter = await waitForEvent(hub, admin.orgId, (e) => e.type === 'gateway.deadletter', { what: 'the dead-letter event' });
  assert.equal(letter.data.gatewayId, `!${gw.id}`);
  assert.equal(letter.data.topic, 'unibos/v1/gw/0badbeef/status');
  assert.equal(letter.data.deadLetters, 1);
  assert.match(String(letter.data.reason), /ended the connection each time it was sent \(3 times/);
  assert.equal(gw.outbox.deadLetters()[0]!.msgId, poison.msgId);
  // Stopping drains and records the last acknowledgements: nothing is left waiting behind the poison.
  await gw.uplink.stop({ timeoutMs: 5000 });
  assert.equal(gw.outbox.size, 0);
});
