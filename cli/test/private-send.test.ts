// Private messages the way a user sends them: `unibos air` and two `unibos node` processes that
// hear each other, no gateway and no hub; `unibos send --private` on one, `unibos inbox` on the
// other shows it with a lock, and what cannot be sent is refused with the reason.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Proc, json, procs, unibos } from './support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'unibos-private-'));
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

test('unibos send --private reaches the other node end-to-end encrypted; inbox shows it with a lock', { timeout: 180_000 }, async () => {
  const air = new Proc(['air', '--port', '0', '--preset', 'ShortFast']);
  const airPort = Number((await air.waitFor((l) => l.msg === 'simulated air listening', 'the air')).port);
  const dirs = { A: join(root, 'a'), B: join(root, 'b') };
  const start = (name: 'A' | 'B', lon: string) =>
    new Proc(['node', '--data-dir', dirs[name], '--name', `node ${name}`, '--preset', 'ShortFast', '--air', `127.0.0.1:${airPort}`, '--lat', '41', '--lon', lon, '--http-port', 'off']);
  const a = start('A', '29.000000');
  const b = start('B', '29.000500');
  const started = async (p: Proc) => (await p.waitFor((l) => l.msg === 'node started', 'node start')).nodeId as string;
  const [, idB] = [await started(a), await started(b)];

  const early = await unibos(['send', '--private', 'hello', '--data-dir', dirs.A]);
  assert.notEqual(early.code, 0);
  assert.match(early.stderr, /--private needs --to/);
  const tooLong = await unibos(['send', 'x'.repeat(118), '--to', idB, '--private', '--data-dir', dirs.A]);
  assert.notEqual(tooLong.code, 0);
  assert.match(tooLong.stderr, /at most 117 bytes/);

  // B's announcement carries its key; A needs it for a first private message.
  await a.waitFor((l) => (l.msg === 'peer heard' || l.msg === 'peer named') && l.peer === idB && l.peerName === 'node B', "A to hear B's announcement");
  const sent = await unibos(['send', 'the bridge is out, take the north road', '--to', idB, '--private', '--data-dir', dirs.A]);
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /queued private message !\w{8} for !\w{8}, encrypted end to end/);
  await b.waitFor((l) => l.msg === 'private received', 'B to receive the private message');

  const inbox = await unibos(['inbox', '--data-dir', dirs.B]);
  assert.equal(inbox.code, 0, inbox.stderr);
  assert.match(inbox.stdout, /🔒 private\s+the bridge is out, take the north road/);
  const messages = await json<Array<{ kind: string; text: string; decryptError: string | null }>>(['inbox', '--data-dir', dirs.B]);
  assert.deepEqual(messages.filter((m) => m.kind === 'private').map((m) => [m.text, m.decryptError]), [['the bridge is out, take the north road', null]]);
});
