// `unibos msg` end to end through processes, against a real hub with real users: login keeps
// private files, a DM reaches Bob and Alice's other device, --follow prints live, groups, safety
// numbers that agree, key fingerprints with their trust state, a key change that blocks sending until `trust`
// with the compared number (a device added after it was compared is refused), and clear errors.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createAdminSession, createOrgUser, TEST_PASSWORD } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub } from '../../controlplane/test/support/test-hub.ts';
import { Proc, procs, unibos } from './support/processes.ts';

const work = mkdtempSync(join(tmpdir(), 'unibos-msg-'));
after(async () => {
  await Promise.all(procs.map((p) => (p.child.exitCode === null ? p.stop() : p.exited)));
  rmSync(work, { recursive: true, force: true });
});

const passwordFile = join(work, 'password');
writeFileSync(passwordFile, `${TEST_PASSWORD}\n`, { mode: 0o600 });

async function msg(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return unibos(['msg', ...args, '--data-dir', join(work, dir)]);
}

async function ok(dir: string, ...args: string[]): Promise<string> {
  const r = await msg(dir, ...args);
  assert.equal(r.code, 0, `unibos msg ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('unibos msg: login, DM to every device, live follow, groups, safety numbers, key change and trust', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const carol = await createOrgUser(hub, alice, 'member');

  assert.match(await ok('alice1', 'login', '--hub', hub.url, '--email', alice.email, '--password-file', passwordFile, '--device-name', 'alice laptop'), /this device is [0-9a-f-]{36}/);
  await ok('alice2', 'login', '--hub', hub.url, '--email', alice.email, '--password-file', passwordFile);
  await ok('bob', 'login', '--hub', hub.url, '--email', bob.email, '--password-file', passwordFile);
  await ok('carol', 'login', '--hub', hub.url, '--email', carol.email, '--password-file', passwordFile);
  for (const f of ['session.json', 'device.json']) assert.equal(statSync(join(work, 'alice1', f)).mode & 0o777, 0o600, `${f} is private`);
  assert.equal(statSync(join(work, 'alice1')).mode & 0o777, 0o700);
  assert.match(await ok('alice1', 'devices'), /alice laptop .*\(this device\)/);

  assert.match(await ok('alice1', 'dm', bob.email, 'hello from the cli'), /^sent /);
  assert.match(await ok('bob', 'read'), /: hello from the cli/);
  assert.match(await ok('alice2', 'read'), /you: hello from the cli/, 'Alice\u2019s other device has her message');
  assert.match(await ok('alice1', 'list'), new RegExp(`direct .*${bob.email}`));
  assert.match(await ok('alice1', 'read', bob.email), /hello from the cli .*\(read by/, 'Bob\u2019s read receipt came back');

  // Live: Bob follows; Alice writes; Bob's process prints it.
  const follow = new Proc(['msg', 'read', '--follow', '--data-dir', join(work, 'bob')]);
  await follow.waitFor((l) => l.msg.startsWith('-- following'), 'the follower to be ready');
  await ok('alice1', 'send', bob.email, 'live one', '--expires', '1h');
  await follow.waitFor((l) => l.msg.includes(': live one'), 'the live message');
  assert.equal(await follow.stop(), 0);

  // A group; removing Carol re-keys it and she gets nothing more.
  assert.match(await ok('alice1', 'group', 'create', 'water team', '--member', bob.email, '--member', carol.email), /created group water team .* 3 members/);
  await ok('alice1', 'send', 'water team', 'to the team');
  assert.match(await ok('carol', 'read'), /\[water team\] .*: to the team/);
  assert.match(await ok('alice1', 'group', 'remove', 'water team', carol.email), /removed .* has a new key; members: 2/);
  await ok('alice1', 'send', 'water team', 'without carol');
  assert.doesNotMatch(await ok('carol', 'read'), /without carol/);
  assert.match(await ok('bob', 'read'), /without carol/);
  // Alice's thread says who went, in its place among the messages (the hub decides who is in a group).
  assert.match(await ok('alice1', 'read', 'water team'), /: to the team[^\n]*\n[^\n]* -- \S+ was removed --\n[^\n]*: without carol/);

  // Both sides see the same safety number.
  const digits = (s: string) => /((\d{5} ){11}\d{5})/.exec(s)?.[1];
  const fromAlice = digits(await ok('alice1', 'safety', bob.email));
  assert.ok(fromAlice);
  assert.equal(digits(await ok('bob', 'safety', alice.email)), fromAlice);
  // Comparing them is said with the number: Bob is then verified at Alice's.
  assert.match(await ok('alice1', 'safety', bob.email), /\(not verified yet\):[\s\S]*then mark it compared: `unibos msg trust/);
  const verified = await ok('alice1', 'trust', bob.email, fromAlice);
  assert.doesNotMatch(verified, /accepted the new keys/);
  assert.match(verified, /is marked verified/);
  assert.match(await ok('alice1', 'safety', bob.email), /\(verified\):/);

  // Keys: each device prints its own fingerprint, and the other side pinned that same one.
  const own = (s: string) => /^this device: ([0-9a-f-]{36}) {2}(.+) {2}((?:[0-9a-f]{4} ){9}[0-9a-f]{4})$/m.exec(s);
  const partnerDevice = (s: string, email: string, id: string) => new RegExp(`^${email.replace(/[.+]/g, '\\$&')}:\n(?:  .*\n)*?  ${id}  ((?:[0-9a-f]{4} ){9}[0-9a-f]{4})  (.*)$`, 'm').exec(s);
  const aliceKeys = await ok('alice1', 'keys');
  assert.equal(own(aliceKeys)?.[2], 'alice laptop');
  const bobOwn = own(await ok('bob', 'keys'))!;
  assert.ok(bobOwn, 'Bob\u2019s device prints its id and fingerprint');
  const bobAtAlice = partnerDevice(aliceKeys, bob.email, bobOwn[1]!);
  assert.deepEqual([bobAtAlice?.[1], bobAtAlice?.[2]], [bobOwn[3], 'pinned'], 'Alice pinned the key Bob\u2019s device shows');
  assert.notEqual(own(aliceKeys)![3], bobOwn[3]);

  // Bob reinstalls: the old device is revoked, a new one logs in. Alice cannot send until she trusts.
  const bobDevice = /^([0-9a-f-]{36}) .*\(this device\)/m.exec(await ok('bob', 'devices'))![1]!;
  await ok('bob', 'devices', '--revoke', bobDevice);
  assert.match((await msg('bob', 'read')).stderr, /revoked/);
  assert.match(await ok('bob', 'login', '--hub', hub.url, '--email', bob.email, '--password-file', passwordFile), /previous device was revoked; its state is kept in .*device\.revoked-/);
  const refused = await msg('alice1', 'dm', bob.email, 'still you?');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /keys of .* changed/);
  assert.match(refused.stderr, /unibos msg trust/);
  // New Bob writes first: Alice's read says his keys changed and holds the message back.
  await ok('bob', 'dm', alice.email, 'new phone, same bob');
  const held = await msg('alice1', 'read');
  assert.equal(held.code, 0);
  assert.doesNotMatch(held.stdout, /new phone, same bob/);
  assert.match(held.stderr, /keys of .* changed .* 1 message\(s\) held until you accept/);
  const changed = await ok('alice1', 'safety', bob.email);
  assert.match(changed, /KEYS CHANGED/);
  assert.notEqual(digits(changed), fromAlice);
  assert.equal(digits(await ok('bob', 'safety', alice.email)), digits(changed));
  const newBob = own(await ok('bob', 'keys'))!;
  const waiting = await ok('alice1', 'keys');
  assert.deepEqual(partnerDevice(waiting, bob.email, newBob[1]!)?.slice(1), [newBob[3], `CHANGED, awaiting trust (\`unibos msg trust ${bob.email}\`)`]);
  assert.ok(!waiting.includes(bobOwn[1]!), 'the revoked device has left the pin');
  // Trusting takes the number that was compared: without it, the command says the number now.
  const noNumber = await msg('alice1', 'trust', bob.email);
  assert.equal(noNumber.code, 2);
  assert.match(noNumber.stderr, new RegExp(`say which safety number you compared: .*it is ${digits(changed)} now`));
  // A device added after Alice compared (a hub adding a reader) is not taken with that number.
  await ok('bob-ghost', 'login', '--hub', hub.url, '--email', bob.email, '--password-file', passwordFile);
  const stale = await msg('alice1', 'trust', bob.email, digits(changed)!);
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, /that is not the number this device shows for .* now: [\d ]+\. If theirs is this one, their keys changed again since you compared: compare again\. If theirs is not, do not accept: someone may be in between\. Nothing was accepted/);
  const current = digits(stale.stderr)!;
  assert.notEqual(current, digits(changed));
  assert.equal(digits(await ok('bob', 'safety', alice.email)), current, 'the number in the refusal is the one to compare now');
  assert.match(await ok('alice1', 'safety', bob.email), /KEYS CHANGED/, 'nothing was accepted');
  const trusted = await ok('alice1', 'trust', bob.email, ...current.split(' '));
  assert.match(trusted, /accepted the new keys[^\n]*\n[^\n]*is marked verified/);
  assert.match(await ok('alice1', 'safety', bob.email), /\(verified\):/);
  const ghostDevice = /^([0-9a-f-]{36}) .*\(this device\)/m.exec(await ok('bob-ghost', 'devices'))![1]!;
  await ok('bob-ghost', 'devices', '--revoke', ghostDevice);
  assert.match(trusted, /: new phone, same bob/, 'the held message is shown once accepted');
  assert.equal(partnerDevice(await ok('alice1', 'keys'), bob.email, newBob[1]!)?.[2], 'pinned');
  await ok('alice1', 'dm', bob.email, 'welcome back');
  assert.match(await ok('bob', 'read'), /: welcome back/);

  // Mistakes: one clear line, non-zero exit.
  const nobody = await msg('alice1', 'dm', 'nobody@example.test', 'hi');
  assert.equal(nobody.code, 2);
  assert.match(nobody.stderr, /no one in your org is 'nobody@example.test'/);
  const badExpiry = await msg('alice1', 'send', bob.email, 'hi', '--expires', '5y');
  assert.equal(badExpiry.code, 2);
  assert.match(badExpiry.stderr, /--expires must be .* from 10s to 4w/);
  const notLoggedIn = await msg('nobody', 'list');
  assert.equal(notLoggedIn.code, 2);
  assert.match(notLoggedIn.stderr, /not logged in/);
});
