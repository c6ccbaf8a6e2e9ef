// `unibos gateway outbox` as an operator uses it after the hub kept refusing a message: it shows
// what waits for the hub and the dead letter with its reason, and --requeue puts it back.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { HubOutbox, openGatewayDb } from '@unibos/gateway';
import { unibos } from './support/processes.ts';

test('unibos gateway outbox lists dead letters with their reason and requeues them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-outbox-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = openGatewayDb(dir);
  const box = new HubOutbox(db);
  box.add({ source: 'sensor:tank1', topic: 'unibos/v1/sensor/tank1/level', payload: '41' });
  const letter = box.add({ source: 'sensor:tank1', topic: 'unibos/v1/sensor/tank1/level', payload: '42' });
  box.add({ source: 'mesh:!0000beef', topic: 'unibos/v1/mesh/!0000beef/alert', payload: '{"level":"SOS"}', lane: 'urgent' });
  box.deadLetter(letter.seq, 'the hub ended the connection each time it was sent (3 times, the last 2 alone)');
  db.close();

  const shown = await unibos(['gateway', 'outbox', '--data-dir', dir]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /queued for the hub: 2 \(1 urgent\)/);
  assert.match(shown.stdout, /dead letters: 1/);
  assert.match(shown.stdout, new RegExp(`${letter.seq} .*routine +sensor:tank1 +unibos/v1/sensor/tank1/level .*the hub ended the connection`));

  const requeued = await unibos(['gateway', 'outbox', '--requeue', 'all', '--data-dir', dir]);
  assert.equal(requeued.code, 0, requeued.stderr);
  assert.match(requeued.stdout, /^1 dead letter back in the queue/);
  const after = await unibos(['gateway', 'outbox', '--data-dir', dir]);
  assert.match(after.stdout, /queued for the hub: 3 \(1 urgent\)/);
  assert.match(after.stdout, /dead letters: none/);

  const bad = await unibos(['gateway', 'outbox', '--requeue', 'x', '--data-dir', dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--requeue must be a whole number/);
});

test('unibos gateway outbox whose reader went away (| head -1) ends quietly, without an EPIPE stack trace', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-outbox-epipe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = openGatewayDb(dir);
  const box = new HubOutbox(db);
  for (let i = 0; i < 3; i++) box.deadLetter(box.add({ source: 'sensor:tank1', topic: 'unibos/v1/sensor/tank1/level', payload: String(i) }).seq, 'refused');
  db.close();
  const bin = fileURLToPath(new URL('../../bin/unibos.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'gateway', 'outbox', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  // The reader is gone before the first line is written: every write of the command meets a closed pipe.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(stderr, '', 'nothing on stderr');
  assert.equal(code, 0);
});
