// birlikteyiz's two forms (check a person in, add an assembly point) check what they can before
// sending, and say it under the form in the reader's language: a latitude past 90 or a longitude
// past 180, a person's name of spaces only. Before, they were sent and the hub's refusal came
// back as an English toast ("body/latitude must be <= 90", "a person's name is more than spaces")
// that on a phone covered the assembly point's fields. A refusal that still comes back from the
// hub (a page that skipped the checks) is said the same way, by the field the hub named.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { startOpenRound } from './support/checkin-hub.ts';
import { atEachSize } from './support/at-each-size.ts';
import { artifactsDir, assertFitsWidth } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-checkin-form-refusals');
const NODES = [{ id: '!7e5f0001', name: 'Okul', lat: 37.5901, lon: 36.9442 }];
const WORDS = {
  'tr-TR': {
    pointForm: 'Toplanma alanı ekle',
    personForm: 'Bir kişiyi yoklamaya yaz',
    latitude: 'Enlem -90 ile 90 arasında bir sayıdır.',
    longitude: 'Boylam -180 ile 180 arasında bir sayıdır.',
    person: 'Kişinin adını yazın (yalnızca boşluk değil).',
  },
  'en-GB': {
    pointForm: 'Add an assembly point',
    personForm: 'Check a person in',
    latitude: 'Latitude is a number from -90 to 90.',
    longitude: 'Longitude is a number from -180 to 180.',
    person: 'Write the person’s name (more than spaces).',
  },
} as const;

/** The message under a form, once it says something (a short wait: before the fix it never came). */
async function said(form: Locator): Promise<string> {
  const error = form.locator('p.form-error[role="alert"]');
  await error.filter({ hasText: /\S/ }).waitFor({ timeout: 5000 });
  return (await error.innerText()).trim();
}

/** The field set to `value` and the form sent without the browser's checks: the hub refuses it (400), and the form says what. */
async function sentAnyway(page: Page, form: Locator, field: string, value: string): Promise<string> {
  await form.evaluate((f) => {
    (f as HTMLFormElement).noValidate = true;
  });
  await form.locator(field).fill(value);
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && /\/(assembly-points|checkins)$/.test(r.url()));
  await form.getByRole('button').click();
  assert.equal((await answer).status(), 400);
  return said(form);
}

/** The error toasts on screen now (a refusal said there covers the fields on a phone). */
const errorToasts = (page: Page) => page.locator('.toasts .toast--error').allInnerTexts();

test('the check-in and assembly-point forms say what is wrong in the reader’s language, under the form, before and after the hub', async (t) => {
  const quake = { id: 'refusals', latitude: 37.62, longitude: 36.99, depthKm: 10, magnitude: 5.8, timeMs: Date.now() - 60_000, place: 'Kahramanmaraş, Türkiye' };
  const { hub, admin } = await startOpenRound(t, NODES, quake, 7900);
  await atEachSize(t, hub, admin, async (c, page, panel) => {
    const words = WORDS[c.locale];
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && /\/modules\/birlikteyiz\/(assembly-points|rounds\/[^/]+\/checkins)$/.test(r.url())) posts.push(r.url());
    });
    const pointForm = panel.getByRole('form', { name: words.pointForm, exact: true });
    const personForm = panel.getByRole('form', { name: words.personForm, exact: true });
    await personForm.waitFor();

    // The assembly point at latitude 123: said before anything is sent.
    await pointForm.locator('#ap-name').fill('Park');
    await pointForm.locator('#ap-lat').fill('123');
    await pointForm.locator('#ap-lon').fill('36.9');
    await pointForm.locator('#ap-name').press('Enter');
    assert.equal(await said(pointForm), words.latitude);
    assert.equal(await pointForm.locator('#ap-lat').evaluate((i) => (i as HTMLInputElement).validationMessage), words.latitude, 'the browser’s own bubble says the same');
    await page.screenshot({ path: join(SHOTS, `${c.tag}-latitude.png`) });
    await pointForm.locator('#ap-lat').fill('37.6');
    assert.equal(await pointForm.locator('p.form-error').isHidden(), true, 'putting the field right clears the message');
    await pointForm.locator('#ap-lon').fill('500');
    await pointForm.getByRole('button').click();
    assert.equal(await said(pointForm), words.longitude);

    // A person's name of spaces only.
    await personForm.locator('#checkin-person').fill('   ');
    await personForm.locator('#checkin-person').press('Enter');
    assert.equal(await said(personForm), words.person);
    await page.screenshot({ path: join(SHOTS, `${c.tag}-person.png`) });
    assert.deepEqual(posts, [], 'nothing was sent');

    // Sent anyway (the checks skipped): the hub's refusal is said by the field it named, in the reader's language.
    assert.equal(await sentAnyway(page, pointForm, '#ap-lon', '500'), words.longitude, 'the hub’s refusal of the longitude');
    assert.equal(await sentAnyway(page, personForm, '#checkin-person', '   '), words.person, 'the hub’s refusal of the name');
    await page.screenshot({ path: join(SHOTS, `${c.tag}-hub.png`) });
    await pointForm.screenshot({ path: join(SHOTS, `${c.tag}-point-form.png`) });

    assert.deepEqual(await errorToasts(page), [], 'no toast over the fields');
    if (c.phone) await assertFitsWidth(page, 'the birlikteyiz panel with the forms’ messages');
  });
});
