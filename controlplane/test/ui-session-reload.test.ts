// Every page load and every renewal spends the tab's refresh token. A reload while that is on its
// way, or a duplicated tab (which starts with a copy of the tab's sessionStorage), must not leave
// a tab holding a spent token that signs the user out of every tab at its next use.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestHub } from './support/test-hub.ts';
import { createAdminSession, createOrgUser } from './support/test-auth.ts';
import { launch, openPage, signIn } from './support/ui-browser.ts';

/** Waits until the page shows either the signed-in app (live) or the sign-in form; true for the app. */
async function signedIn(page: Page): Promise<boolean> {
  const live = page.getByRole('status', { name: 'Event stream' }).filter({ hasText: /^Live$/ });
  const form = page.getByRole('heading', { name: 'Sign in to the UNIBOS hub' });
  await live.or(form).first().waitFor();
  return (await form.count()) === 0;
}

test('reloading while the session is being renewed keeps the user signed in', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const hub = await startTestHub();
  const admin = await createAdminSession(hub);
  const { page, problems } = await openPage(browser, hub, { size: 'laptop' });
  await signIn(page, hub, admin, '#/fleet');

  // The first renewal reaches the hub (which rotates the token), but its answer never reaches the page.
  let held = 0;
  let rotated = () => {};
  const hubRotated = new Promise<void>((resolve) => (rotated = resolve));
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/v1/auth/refresh', async (route) => {
    if (held++ > 0) return route.continue();
    const response = await route.fetch();
    assert.equal(response.status(), 200);
    rotated();
    await released;
    await route.fulfill({ response }).catch(() => undefined);
  });
  await page.reload({ waitUntil: 'commit' });
  await hubRotated;
  // Reloaded again (impatient user, flaky link) before the answer came back.
  await page.reload();
  release();
  assert.equal(await signedIn(page), true, 'still signed in after the second reload');
  await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();

  // The login goes on as usual: another reload renews it again.
  await page.reload();
  assert.equal(await signedIn(page), true, 'and after the next one');
  assert.deepEqual(problems, []);
});

test('a duplicated tab gets a login of its own: both tabs stay signed in through their renewals', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  let skewMs = 0;
  const hub = await startTestHub({}, { now: () => Date.now() + skewMs });
  const admin = await createAdminSession(hub);
  const { context, page: first, problems } = await openPage(browser, hub, { size: 'laptop' });
  await signIn(first, hub, admin, '#/fleet');

  // A copy of the tab, with a copy of its sessionStorage (as Duplicate tab does).
  const [copy] = await Promise.all([context.waitForEvent('page'), first.evaluate(() => void window.open(location.href))]);
  const copyProblems: string[] = [];
  copy.on('pageerror', (err) => copyProblems.push(err.message));
  assert.equal(await signedIn(copy), true, 'the copy opens signed in');
  assert.notEqual(await copy.evaluate(() => sessionStorage.getItem('unibos.refreshToken')), null);

  // Later (past the access token's lifetime): each tab renews with the token it holds.
  skewMs = 20 * 60_000;
  for (const page of [first, copy]) {
    const renewed = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'));
    await page.getByRole('link', { name: 'Alerts' }).click();
    const answer = await renewed;
    assert.equal(answer.status(), 200, `renewed: ${await answer.text()}`);
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
  }
  for (const page of [first, copy]) {
    await page.reload();
    assert.equal(await signedIn(page), true, 'both tabs are still signed in');
  }
  assert.deepEqual(problems, []);
  assert.deepEqual(copyProblems, []);
});

test('signing out in one tab signs the same user out in the other tabs and ends their logins; another user\u2019s tab stays', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const hub = await startTestHub();
  const admin = await createAdminSession(hub);
  const viewer = await createOrgUser(hub, admin, 'viewer');
  const { context, page: first, problems } = await openPage(browser, hub, { size: 'laptop' });
  await signIn(first, hub, admin, '#/fleet');
  // A second tab where the same person signed in again, and a colleague's tab in the same browser.
  const second = await context.newPage();
  await signIn(second, hub, admin, '#/alerts');
  const colleague = await context.newPage();
  await signIn(colleague, hub, viewer, '#/fleet');
  const secondToken = await second.evaluate(() => sessionStorage.getItem('unibos.refreshToken'));
  assert.ok(secondToken);

  const secondEnded = second.waitForResponse((r) => r.url().endsWith('/api/v1/auth/logout'));
  await first.getByRole('button', { name: 'Sign out' }).click();
  await first.getByRole('heading', { name: 'Sign in to the UNIBOS hub' }).waitFor();
  await second.getByText('You signed out in another tab.').waitFor();
  assert.equal(await signedIn(second), false);
  assert.equal((await secondEnded).status(), 204);
  const refused = await fetch(`${hub.url}/api/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: secondToken }) });
  assert.equal(refused.status, 401, 'the second tab\u2019s login is ended at the hub, not only hidden');

  await colleague.reload();
  assert.equal(await signedIn(colleague), true, 'the colleague is still signed in');
  assert.deepEqual(problems, []);
});

test('a tab renewing its login while the user signs out in another tab ends that login when the renewal comes back', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const hub = await startTestHub();
  const admin = await createAdminSession(hub);
  const { context, page: first, problems } = await openPage(browser, hub, { size: 'laptop' });
  await signIn(first, hub, admin, '#/fleet');
  const second = await context.newPage();
  await signIn(second, hub, admin, '#/alerts');

  // The second tab reloads; its renewal reaches the hub (a new token) but the answer is held back.
  let rotated = (_token: string) => {};
  const hubRotated = new Promise<string>((resolve) => (rotated = resolve));
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  await second.route('**/api/v1/auth/refresh', async (route) => {
    const response = await route.fetch();
    rotated(((await response.json()) as { refreshToken: string }).refreshToken);
    await released;
    await route.fulfill({ response }).catch(() => undefined);
  });
  await second.reload({ waitUntil: 'commit' });
  const renewedToken = await hubRotated;

  await first.getByRole('button', { name: 'Sign out' }).click();
  await first.getByRole('heading', { name: 'Sign in to the UNIBOS hub' }).waitFor();
  const ended = second.waitForResponse((r) => r.url().endsWith('/api/v1/auth/logout'));
  release();
  await second.getByText('You signed out in another tab.').waitFor();
  assert.equal(await signedIn(second), false);
  assert.equal((await ended).status(), 204);
  // Once the page has nothing more to ask the hub, it still says why the user is at the sign-in form.
  await second.waitForLoadState('networkidle');
  assert.equal(await second.getByText('You signed out in another tab.').isVisible(), true, 'the reason stays on the sign-in form');
  const refused = await fetch(`${hub.url}/api/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: renewedToken }) });
  assert.equal(refused.status, 401, 'the renewed login is ended at the hub');
  await second.unroute('**/api/v1/auth/refresh');
  await second.reload();
  assert.equal(await signedIn(second), false, 'and stays ended after a reload');
  assert.deepEqual(problems, []);
});
