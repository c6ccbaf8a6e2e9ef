// `unibos msg login` without --password-file, as the README shows it: at a terminal it asks for the
// password without echoing it and logs in on Enter; a script still pipes the password in. Then the
// small answers: a DM to yourself is a usage mistake, and a read with nothing new says so.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { createAdminSession, createOrgUser, TEST_PASSWORD } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub } from '../../controlplane/test/support/test-hub.ts';
import { Terminal, unibos } from './support/processes.ts';

const BIN = fileURLToPath(new URL('../../bin/unibos.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'unibos-msg-login-'));
const terminals: Terminal[] = [];
after(() => {
  for (const t of terminals) if (t.child.exitCode === null) t.child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

test('msg login at a terminal asks for the password, does not echo it, and logs in on Enter', { timeout: 120_000 }, async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');

  for (const [lang, prompt] of [['en', 'Password: '], ['tr', 'Parola: ']] as const) {
    const t = new Terminal(['msg', 'login', '--hub', hub.url, '--email', alice.email, '--data-dir', join(work, `alice-${lang}`)], { UNIBOS_LANG: lang });
    terminals.push(t);
    await t.waitFor(prompt);
    t.type(`${TEST_PASSWORD}\r`);
    assert.equal(await t.end(), 0, t.screen);
    assert.ok(!t.screen.includes(TEST_PASSWORD), `nothing typed is shown: ${JSON.stringify(t.screen)}`);
    assert.ok(!t.screen.includes('correct'), 'not even part of it');
  }
  assert.match(terminals[0]!.screen, /logged in to .* as .*; this device is [0-9a-f-]{36}/);

  // A script pipes it, as before.
  const piped = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [BIN, 'msg', 'login', '--hub', hub.url, '--email', bob.email, '--data-dir', join(work, 'bob')], (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    child.stdin!.end(`${TEST_PASSWORD}\n`);
  });
  assert.equal(piped.code, 0, piped.stderr);
  assert.match(piped.stdout, /logged in to .* as /);
  assert.ok(!piped.stdout.includes('Password'), 'no prompt when the password is piped');

  // A DM to yourself is a usage mistake (exit 2), said in the CLI's language.
  const aliceDir = join(work, 'alice-en');
  const self = await unibos(['msg', 'dm', alice.email, 'hi me', '--data-dir', aliceDir]);
  assert.deepEqual([self.code, self.stderr], [2, `unibos msg: ${alice.email} is you: a direct message goes to someone else\n`]);
  const selfTr = await unibos(['msg', 'dm', alice.email, 'hi me', '--data-dir', aliceDir], { UNIBOS_LANG: 'tr' });
  assert.deepEqual([selfTr.code, selfTr.stderr], [2, `unibos msg: ${alice.email} sizsiniz: doğrudan mesaj başka birine gider\n`]);
  // Nothing new is said, not left blank.
  const nothing = await unibos(['msg', 'read', '--data-dir', join(work, 'bob')]);
  assert.deepEqual([nothing.code, nothing.stdout], [0, 'no new messages\n']);
  assert.equal((await unibos(['msg', 'dm', alice.email, 'hello alice', '--data-dir', join(work, 'bob')])).code, 0);
  assert.match((await unibos(['msg', 'read', '--data-dir', aliceDir])).stdout, /: hello alice/);
  assert.equal((await unibos(['msg', 'read', '--data-dir', aliceDir], { UNIBOS_LANG: 'tr' })).stdout, 'yeni mesaj yok\n');
});

test('Ctrl-D at the password prompt ends with one line', { timeout: 60_000 }, async () => {
  const t = new Terminal(['msg', 'login', '--hub', 'http://127.0.0.1:18999', '--email', 'a@example.test', '--data-dir', join(work, 'ctrl-d')]);
  terminals.push(t);
  await t.waitFor('Password: ');
  t.type('\u0004');
  assert.equal(await t.end(), 2);
  assert.match(t.screen, /unibos msg: no answer \(the input ended\); nothing was done\r\n$/);
  assert.doesNotMatch(t.screen, /\n\s+at /, 'no stack');
});
