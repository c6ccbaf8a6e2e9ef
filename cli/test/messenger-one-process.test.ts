// One messenger device, one process: a `unibos msg send` while `unibos msg read --follow` runs on
// the same data dir is refused (the follower's older state would otherwise overwrite the sender's
// newer one and the next send would reuse a message key), a crashed holder leaves nothing stuck,
// and two clients on one device file that get past the lock all the same cannot roll it back.

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MessengerClient } from '@unibos/messenger-client';
import { createAdminSession, createOrgUser, TEST_PASSWORD } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub } from '../../controlplane/test/support/test-hub.ts';
import { MessengerAccount } from '../messenger-account.ts';
import { Proc, procs, unibos } from './support/processes.ts';

const work = mkdtempSync(join(tmpdir(), 'unibos-msg-one-'));
after(async () => {
  await Promise.all(procs.map((p) => (p.child.exitCode === null && p.child.signalCode === null ? p.stop() : p.exited)));
  rmSync(work, { recursive: true, force: true });
});
const passwordFile = join(work, 'password');
writeFileSync(passwordFile, `${TEST_PASSWORD}\n`, { mode: 0o600 });

const msg = (dir: string, ...args: string[]) => unibos(['msg', ...args, '--data-dir', join(work, dir)]);
async function ok(dir: string, ...args: string[]): Promise<string> {
  const r = await msg(dir, ...args);
  assert.equal(r.code, 0, `unibos msg ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('a second `unibos msg` on a device held by `read --follow` is refused, names the follower and sends nothing; a killed holder leaves no lock', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  await ok('alice', 'login', '--hub', hub.url, '--email', alice.email, '--password-file', passwordFile);
  await ok('bob', 'login', '--hub', hub.url, '--email', bob.email, '--password-file', passwordFile);
  await ok('alice', 'dm', bob.email, 'first');
  assert.match(await ok('bob', 'read'), /: first/);

  const follow = new Proc(['msg', 'read', '--follow', '--data-dir', join(work, 'alice')]);
  await follow.waitFor((l) => l.msg.startsWith('-- following'), 'the follower to be ready');
  const refused = await msg('alice', 'send', bob.email, 'second');
  assert.equal(refused.code, 1, refused.stderr);
  assert.equal(refused.stdout, '');
  assert.match(refused.stderr, new RegExp(`in use by another unibos process \\(pid ${follow.child.pid}: \`unibos msg read --follow\`\\).*Stop that one`));
  const bobRead = await msg('bob', 'read');
  assert.doesNotMatch(bobRead.stdout, /second/, 'nothing was sent');
  assert.equal(await follow.stop(), 0);

  // Stopped: the device is free, and what goes out now opens (no key used twice, no E_REPLAY).
  await ok('alice', 'send', bob.email, 'third');
  const third = await msg('bob', 'read');
  assert.match(third.stdout, /: third/);
  assert.equal(third.stderr, '');

  // A holder that dies without cleaning up (SIGKILL) does not leave the device locked.
  const crashed = new Proc(['msg', 'read', '--follow', '--data-dir', join(work, 'alice')]);
  await crashed.waitFor((l) => l.msg.startsWith('-- following'), 'the second follower to be ready');
  crashed.child.kill('SIGKILL');
  await crashed.exited;
  await ok('alice', 'send', bob.email, 'fourth');
  assert.match(await ok('bob', 'read'), /: fourth/);

  // A copy of the folder (a backup restored beside it) is the same device: the same lock.
  cpSync(join(work, 'alice'), join(work, 'alice-backup'), { recursive: true });
  const follower = new Proc(['msg', 'read', '--follow', '--data-dir', join(work, 'alice')]);
  await follower.waitFor((l) => l.msg.startsWith('-- following'), 'a follower on the original');
  const fromCopy = await msg('alice-backup', 'send', bob.email, 'from the copy');
  assert.equal(fromCopy.code, 1, fromCopy.stderr);
  assert.match(fromCopy.stderr, /in use by another unibos process/);
  assert.equal(await follower.stop(), 0);
  // The lock's name comes from a key only the device's user can read, not from its path.
  assert.equal(statSync(join(work, 'alice', 'device.lock-key')).mode & 0o777, 0o600);
});

test('two clients on one device file: the one whose state is older is refused at its save, before anything reaches the hub', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  await ok('alice2', 'login', '--hub', hub.url, '--email', alice.email, '--password-file', passwordFile);
  await ok('bob2', 'login', '--hub', hub.url, '--email', bob.email, '--password-file', passwordFile);
  await ok('alice2', 'dm', bob.email, 'first');
  assert.match(await ok('bob2', 'read'), /: first/);

  // Both load the same saved state, as `send` in one terminal and `read --follow` in another did.
  const dir = join(work, 'alice2');
  const sends: string[] = [];
  const open = (account: MessengerAccount) =>
    MessengerClient.open({
      hubUrl: hub.url, auth: () => account.token(), store: account.deviceStore(), deviceName: 'cli',
      fetch: (input, init) => {
        if (init?.method === 'POST' && String(input).endsWith('/messages')) sends.push(String(init.body));
        return fetch(input, init);
      },
    });
  const first = await open(MessengerAccount.load(dir));
  const second = await open(MessengerAccount.load(dir));
  const [dm] = (await first.conversations()).filter((c) => c.kind === 'direct');
  await first.send(dm!.id, { text: 'from the first' });
  assert.equal(sends.length, 1);
  await assert.rejects(second.send(dm!.id, { text: 'from the second' }), (err: Error) => err.name === 'DeviceInUse' && /another unibos process changed the messenger device/.test(err.message));
  assert.equal(sends.length, 1, 'the second client sent nothing (its sending chain was the first one\u2019s, rolled back)');
  const read = await msg('bob2', 'read');
  assert.match(read.stdout, /: from the first/);
  assert.doesNotMatch(read.stdout, /from the second/);
  assert.equal(read.stderr, '', 'no message Bob cannot open (a reused key is E_REPLAY or worse)');
});
