// The Organisation screen, in Debian's Chromium against a real hub: a new hub's empty fleet leads
// there; an owner adds a member who then signs in, changes their role, removes them, and is told in
// their language that the last owner stays; a gateway claim token made there is shown once with
// the command, and that command, run as shown, claims a gateway; a member sees the list without the
// controls. Phone (375 px) and laptop (1280 px), English and Turkish, with screenshots.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { api, createAdminSession, type TestSession } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';
import { artifactsDir, assertFitsWidth, axe, launch, openPage, signIn, type SizeName } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-organisation');
const BIN = fileURLToPath(new URL('../../bin/unibos.js', import.meta.url));

/** Runs `unibos args...` as a person at the device would; its exit code and output. */
function unibos(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, UNIBOS_LANG: 'en' }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function openOrg(page: Page): Promise<void> {
  await page.evaluate(() => (location.hash = '#/org'));
  await page.locator('a[href="#/org"][aria-current="page"]').waitFor();
  await page.locator('.members-card[data-state="loaded"]').waitFor();
}

test('the Organisation screen manages members and makes claim tokens', { timeout: 240_000 }, async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  t.diagnostic(`screenshots: ${SHOTS}`);
  const hub = await startTestHub();
  t.after(() => hub.stop());
  const owner = await createAdminSession(hub, { orgName: 'Valley Rescue' });
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-ui-org-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));

  const { context, page, problems } = await openPage(browser, hub, { size: 'laptop' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: hub.url });
  await signIn(page, hub, owner, '#/fleet');
  const newMember = { email: 'deniz@example.test', name: 'Deniz Field', password: 'river-crossing-42' };

  await t.test("a new hub's empty fleet leads to the Organisation screen, not to a command that does not exist", async () => {
    const empty = page.locator('.empty').filter({ hasText: 'No devices yet' });
    await empty.waitFor();
    assert.doesNotMatch(await empty.innerText(), /unibos hub claim-token/);
    assert.match(await empty.innerText(), /Organisation screen/);
    await page.screenshot({ path: join(SHOTS, 'fleet-empty-laptop-en.png') });
    await empty.getByRole('link', { name: 'Claim a device' }).click();
    await page.locator('a[href="#/org"][aria-current="page"]').waitFor();
    await page.locator('.members-card[data-state="loaded"]').waitFor();
    assert.ok(await page.getByRole('heading', { name: 'Claim a device' }).isVisible());
  });

  const members = page.getByRole('table', { name: 'Members' });
  const rowOf = (email: string) => members.locator('tbody tr').filter({ hasText: email });

  await t.test('an owner adds a member with a new account; the form says the password minimum', async () => {
    await rowOf(owner.email).waitFor();
    const hint = await page.locator('#member-password-hint').innerText();
    assert.match(hint, /At least 10 characters/);
    assert.equal(await page.getByLabel('Password for a new account').getAttribute('minlength'), '10');
    await page.getByLabel('Email', { exact: true }).fill(newMember.email);
    await page.getByLabel('Name (optional)').first().fill(newMember.name);
    await page.getByLabel('Role', { exact: true }).selectOption('member');
    await page.getByLabel('Password for a new account').fill(newMember.password);
    await page.getByRole('button', { name: 'Add member' }).click();
    await rowOf(newMember.email).and(page.locator('[data-role="member"]')).waitFor();
    await page.getByRole('status').filter({ hasText: 'Deniz Field was added as Member.' }).waitFor();
    const listed = await api(hub, owner, '/api/v1/members');
    assert.ok(listed.body.items.some((m: { email: string; role: string }) => m.email === newMember.email && m.role === 'member'));
    // Added again: said as what it is, not as the last-owner rule.
    await page.getByLabel('Email', { exact: true }).fill(newMember.email);
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('That person is a member already.').waitFor();
  });

  await t.test('the new member signs in, and sees the members without add, remove or role controls, nor claiming', async () => {
    const other = await openPage(browser, hub, { size: 'phone' });
    try {
      await signIn(other.page, hub, { email: newMember.email, password: newMember.password } as TestSession);
      await openOrg(other.page);
      const theirs = other.page.getByRole('table', { name: 'Members' });
      await theirs.locator('tbody tr').filter({ hasText: owner.email }).waitFor();
      assert.equal(await theirs.getByRole('button', { name: /^Remove/ }).count(), 0, 'no remove buttons');
      assert.equal(await theirs.getByRole('combobox').count(), 0, 'roles are text, not choices');
      assert.equal(await other.page.getByRole('heading', { name: 'Add a member' }).isVisible(), false, 'no add form');
      assert.equal(await other.page.getByRole('button', { name: 'Add member' }).isVisible(), false, 'no add button');
      assert.equal(await other.page.getByRole('heading', { name: 'Claim a device' }).isVisible(), false, 'no claiming');
      await assertFitsWidth(other.page, 'organisation, a member, phone');
      await other.page.screenshot({ path: join(SHOTS, 'org-member-phone-en.png') });
      assert.deepEqual(other.problems, []);
    } finally {
      await other.context.close();
    }
  });

  await t.test("the owner changes the member's role", async () => {
    await page.getByLabel('Role of Deniz Field').selectOption('viewer');
    await rowOf(newMember.email).and(page.locator('[data-role="viewer"]')).waitFor();
    await page.getByRole('status').filter({ hasText: 'Deniz Field is now Viewer.' }).waitFor();
    const listed = await api(hub, owner, '/api/v1/members');
    assert.equal(listed.body.items.find((m: { email: string }) => m.email === newMember.email).role, 'viewer');
  });

  await t.test('the last owner is not demoted: the refusal is said in words, and the role stays', async () => {
    await rowOf(owner.email).locator('select').selectOption('admin');
    await page.getByRole('alert').filter({ hasText: 'An organisation must keep at least one owner: make someone else owner first.' }).waitFor();
    assert.equal(await rowOf(owner.email).getAttribute('data-role'), 'owner');
    assert.equal(await rowOf(owner.email).locator('select').inputValue(), 'owner', 'the choice goes back');
  });

  await t.test('the owner removes the member after confirming', async () => {
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Remove Deniz Field' }).click();
    await rowOf(newMember.email).waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Deniz Field was removed.' }).waitFor();
    const listed = await api(hub, owner, '/api/v1/members');
    assert.equal(listed.body.items.some((m: { email: string }) => m.email === newMember.email), false);
    const login = await fetch(`${hub.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: newMember.email, password: newMember.password }) });
    assert.notEqual(login.status, 200, 'a removed member no longer gets into the org');
  });

  await t.test('a gateway claim token is shown once with the command, and that command claims a gateway', async () => {
    const card = page.locator('.claim-card');
    await card.getByLabel('Gateway', { exact: true }).check();
    await card.getByLabel('Name (optional)').fill('Ridge gateway');
    await card.getByLabel('Valid for').selectOption({ label: '7 days' });
    await card.getByRole('button', { name: 'Make claim token' }).click();
    await page.locator('.claim-card[data-state="made"]').waitFor();
    const command = (await card.locator('code.claim-command').innerText()).trim();
    // Opened at 127.0.0.1, the page says that address reaches only this machine.
    assert.match(await card.locator('[data-loopback-warning]').innerText(), /^This page is open at http:\/\/127\.0\.0\.1:\d+, which is this machine only/);
    const m = /^npx unibos gateway claim --hub-api (\S+) --token (\S+)$/.exec(command);
    assert.ok(m, `the command: ${command}`);
    assert.equal(m[1], hub.url, "this hub's address");
    assert.equal((await card.locator('code.claim-token').innerText()).trim(), m[2]);
    assert.match(await card.innerText(), /Shown only once/);
    const expiry = await card.locator('.claim-expiry').innerText();
    assert.match(expiry, /^Valid until .+; it can be used once\.$/);
    await card.getByRole('button', { name: 'Copy the command' }).click();
    await card.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), command, 'the command is on the clipboard');
    await page.screenshot({ path: join(SHOTS, 'org-token-made-laptop-en.png'), fullPage: true });

    // The command as shown (a data folder of the test's own, not the user's home).
    const ran = await unibos([...command.split(' ').slice(2), '--data-dir', dataDir]);
    assert.equal(ran.code, 0, ran.stderr);
    const id = /^gateway (!\w{8}) claimed/.exec(ran.stdout)?.[1];
    assert.ok(id, ran.stdout);
    const node = await api(hub, owner, `/api/v1/nodes/${encodeURIComponent(id)}`);
    assert.equal(node.status, 200);
    assert.equal(node.body.kind, 'gateway');
    assert.equal(node.body.name, 'Ridge gateway', 'named as the token said');
    // Spent: the same command again is refused.
    const again = await unibos([...command.split(' ').slice(2), '--data-dir', join(dataDir, 'second')]);
    assert.notEqual(again.code, 0, 'a claim token is good once');

    // Leaving the screen clears the token from it.
    await page.evaluate(() => (location.hash = '#/fleet'));
    await page.locator('a[href="#/fleet"][aria-current="page"]').waitFor();
    await openOrg(page);
    assert.equal(await page.locator('.claim-card').getAttribute('data-state'), 'empty');
    assert.equal(await page.locator('code.claim-token').count(), 0);
    assert.deepEqual(problems, []);
  });

  for (const size of ['phone', 'laptop'] as SizeName[]) {
    for (const locale of ['en-GB', 'tr-TR']) {
      await t.test(`${size}, ${locale}: the screen fits, has no accessibility violations, and makes a node token`, async () => {
        const tr = locale === 'tr-TR';
        const { context: c, page: p, problems: pr } = await openPage(browser, hub, { size, locale });
        try {
          await signIn(p, hub, owner);
          await openOrg(p);
          await p.locator('.members-table tbody tr').first().waitFor();
          const card = p.locator('.claim-card');
          await card.getByLabel(tr ? 'Cihaz' : 'Node', { exact: true }).check();
          await card.getByRole('button', { name: tr ? 'Sahiplenme anahtarı yap' : 'Make claim token' }).click();
          await p.locator('.claim-card[data-state="made"]').waitFor();
          assert.match(await card.locator('code.claim-command').innerText(), /^npx unibos node claim --hub-api \S+ --token \S+$/);
          assert.match(await card.innerText(), tr ? /Yalnızca bir kez gösterilir/ : /Shown only once/);
          if (tr) {
            assert.equal(await p.getByRole('heading', { level: 1 }).innerText(), 'Kuruluş');
            assert.match(await p.locator('#member-password-hint').innerText(), /En az 10 karakter/);
          }
          await assertFitsWidth(p, `organisation, ${size}, ${locale}`);
          const violations = await axe(p);
          assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
          // The screen's top (members), then the token card scrolled into view: the header stays in its place.
          await p.screenshot({ path: join(SHOTS, `org-${size}-${tr ? 'tr' : 'en'}.png`) });
          await card.locator('.claim-expiry').scrollIntoViewIfNeeded();
          await p.screenshot({ path: join(SHOTS, `org-token-${size}-${tr ? 'tr' : 'en'}.png`) });
          if (tr && size === 'phone') {
            // The refusal in the reader's language: the last owner stays owner.
            await p.locator('.members-table tbody tr').filter({ hasText: owner.email }).locator('select').selectOption('viewer');
            const refusal = p.getByRole('alert').filter({ hasText: 'Bir kuruluşun en az bir sahibi kalmalı' });
            await refusal.waitFor();
            await p.evaluate(() => scrollTo(0, 0));
            await p.screenshot({ path: join(SHOTS, 'org-last-owner-phone-tr.png') });
          }
          assert.deepEqual(pr, []);
        } finally {
          await c.close();
        }
      });
    }
  }
});
