// The modules screen in a real browser: an admin edits a module's settings while module.state
// events redraw the list (a module retrying, another disabled), and what they typed, and where,
// stays until they save; saving applies it on the hub. The screen at laptop and phone size passes
// axe and fits the width. The owner of another org on the same hub sees the modules, and why they
// cannot change them, not their controls or settings.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { api, createAdminSession } from './support/test-auth.ts';
import { startModuleHub, storedSettings, writeModules } from './support/module-test-hub.ts';
import { artifactsDir, assertFitsWidth, axe, launch, openPage, signIn } from './support/ui-browser.ts';

const host = { platform: 'linux' as const, alsoLinux: false, provides: { requires_lora: true, requires_gps: false, requires_camera: false } };

test('module settings being edited survive a live redraw of the modules list, and save as typed', async (t) => {
  const hubJs = `export default async function plugin(app, { module }) { app.get('/greeting', async () => ({ greeting: module.settings.greeting, times: module.settings.times, pinSet: module.settings.pin === '4417' })); }`;
  const schema = { type: 'object', additionalProperties: false, properties: { greeting: { type: 'string', default: 'merhaba', maxLength: 20 }, times: { type: 'integer', minimum: 1, default: 2 }, pin: { type: 'string', writeOnly: true, default: '' } } };
  const root = writeModules({ greeter: { manifest: { settings: { version: 1, schema } }, files: { 'hub.js': hubJs } }, other: {} });
  const hub = await startModuleHub({ root, host });
  const admin = await createAdminSession(hub);
  const storedPin = () => storedSettings<{ pin: string }>(hub, 'greeter').pin;
  for (const name of ['greeter', 'other']) assert.equal((await api(hub, admin, `/api/v1/modules/${name}/enable`, { method: 'POST' })).body.state, 'loaded');
  assert.equal((await api(hub, admin, '/api/v1/modules/greeter/settings', { method: 'PUT', body: { greeting: 'merhaba', times: 2, pin: '4417' } })).status, 200);

  const browser = await launch();
  t.after(() => browser.close());
  const { context, page, problems } = await openPage(browser, hub);
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/modules');
  const greeter = page.locator('li[data-module="greeter"]');
  await greeter.getByText('Settings', { exact: true }).click();
  const greeting = greeter.getByLabel('greeting');
  assert.equal(await greeting.inputValue(), 'merhaba', 'the saved value (the default) to start from');
  // A secret setting (writeOnly in the schema) is an empty password field saying it is unchanged:
  // the hub never sent the PIN, and typing there replaces it (not "***" and the new text).
  const pin = greeter.getByLabel('pin');
  assert.equal(await pin.getAttribute('type'), 'password');
  assert.equal(await pin.inputValue(), '');
  assert.equal(await pin.getAttribute('placeholder'), 'Unchanged (type to replace)');
  await greeting.fill('hello team');
  await greeter.getByLabel('times').fill('3');
  await greeting.focus();

  // Another module changes: the hub says so live and the list is drawn again.
  assert.equal((await api(hub, admin, '/api/v1/modules/other/disable', { method: 'POST' })).body.state, 'unloaded');
  await page.getByRole('status', { name: 'other state' }).filter({ hasNotText: /^Loaded$/ }).waitFor();
  assert.equal(await greeting.inputValue(), 'hello team', 'the unsaved text is still there');
  assert.equal(await greeter.getByLabel('times').inputValue(), '3');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'module-greeter-greeting', 'and the cursor is where it was');

  await greeter.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('greeter: settings saved').waitFor();
  assert.deepEqual((await api(hub, admin, '/api/v1/modules/greeter/greeting', { method: 'GET' })).body, { greeting: 'hello team', times: 3, pinSet: true }, 'the module runs with what was typed, and the PIN it had');
  // A new PIN typed into the field is the PIN.
  await greeter.getByLabel('pin').fill('5520');
  const saved = page.waitForResponse((r) => r.url().endsWith('/api/v1/modules/greeter/settings') && r.request().method() === 'PUT');
  await greeter.getByRole('button', { name: 'Save settings' }).click();
  assert.equal((await saved).status(), 200);
  assert.equal(storedPin(), '5520');

  // Saved: a later redraw shows the saved settings, not a stale form.
  assert.equal((await api(hub, admin, '/api/v1/modules/greeter/settings', { method: 'PUT', body: { greeting: 'from the API', times: 1, pin: '***' } })).status, 200);
  assert.equal((await api(hub, admin, '/api/v1/modules/other/enable', { method: 'POST' })).body.state, 'loaded');
  await page.getByRole('status', { name: 'other state' }).filter({ hasText: /^Loaded$/ }).waitFor();
  await page.waitForFunction(() => (document.getElementById('module-greeter-greeting') as HTMLInputElement | null)?.value === 'from the API');
  assert.deepEqual(await axe(page), [], 'axe on the modules screen');
  await page.screenshot({ path: join(artifactsDir('ui-modules'), 'modules-laptop.png'), fullPage: true });

  const phone = await openPage(browser, hub, { size: 'phone' });
  t.after(() => phone.context.close());
  await signIn(phone.page, hub, admin, '#/modules');
  await phone.page.locator('li[data-module="greeter"]').getByText('Settings', { exact: true }).click();
  await phone.page.getByLabel('greeting').waitFor();
  await assertFitsWidth(phone.page, 'the modules screen on a phone');
  assert.deepEqual(await axe(phone.page), [], 'axe on the modules screen on a phone');
  await phone.page.screenshot({ path: join(artifactsDir('ui-modules'), 'modules-phone.png'), fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(phone.problems, []);
});

test("the owner of another org sees the hub's modules and why they cannot change them: no switches, no settings", async (t) => {
  const schema = { type: 'object', additionalProperties: false, properties: { feedUrl: { type: 'string', default: 'https://example.test/feed' } } };
  const root = writeModules({ quakes: { manifest: { settings: { version: 1, schema } } } });
  const hub = await startModuleHub({ root, host });
  const admin = await createAdminSession(hub);
  assert.equal((await api(hub, admin, '/api/v1/modules/quakes/enable', { method: 'POST' })).body.state, 'loaded');
  // Setup is done: this is the owner of an org of their own, not of the hub's.
  const owner = await createAdminSession(hub, { orgName: 'Search team' });

  const browser = await launch();
  t.after(() => browser.close());
  const { context, page, problems } = await openPage(browser, hub);
  t.after(() => context.close());
  await signIn(page, hub, owner, '#/modules');
  const quakes = page.locator('li[data-module="quakes"]');
  await quakes.getByRole('status', { name: 'quakes state' }).filter({ hasText: /^Loaded$/ }).waitFor();
  await page.getByText("only the admins of the hub's own org can enable, disable or set them up").waitFor();
  assert.equal(await quakes.getByRole('button').count(), 0, 'no enable or disable button');
  assert.equal(await quakes.getByText('Settings', { exact: true }).count(), 0, 'no settings');
  assert.deepEqual(await axe(page), [], 'axe on the modules screen of another org');
  await page.screenshot({ path: join(artifactsDir('ui-modules'), 'modules-other-org.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

test('module settings read in the operator\u2019s language, choices by name, and a polygon as one corner a line', async (t) => {
  const hubJs = `export default async function plugin(app, { module }) { app.get('/region', async () => ({ mode: module.settings.mode, polygon: module.settings.polygon })); }`;
  const schema = {
    type: 'object',
    additionalProperties: false,
    properties: {
      mode: { enum: ['fleet', 'polygon'], enumTitles: { fleet: 'Around the fleet', polygon: 'A polygon' }, default: 'fleet', title: 'Region' },
      polygon: { type: 'array', items: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 }, default: [], title: 'Polygon corners' },
    },
  };
  const translations = { tr: { description: 'Bölge deneme modülü', settings: { mode: { title: 'Bölge', enumTitles: { fleet: 'Filonun çevresi', polygon: 'Çokgen' } }, polygon: { title: 'Çokgen köşeleri' } } } };
  const root = writeModules({ region: { manifest: { settings: { version: 1, schema }, translations }, files: { 'hub.js': hubJs } } });
  const hub = await startModuleHub({ root, host });
  const admin = await createAdminSession(hub);
  assert.equal((await api(hub, admin, '/api/v1/modules/region/enable', { method: 'POST' })).body.state, 'loaded');

  const browser = await launch();
  t.after(() => browser.close());
  const { context, page, problems } = await openPage(browser, hub, { size: 'phone', locale: 'tr-TR' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/modules');
  const region = page.locator('li[data-module="region"]');
  await region.getByText('Bölge deneme modülü').waitFor();
  await region.getByText('Ayarlar', { exact: true }).click();
  const mode = region.getByLabel('Bölge', { exact: true });
  assert.deepEqual(await mode.locator('option').allInnerTexts(), ['Filonun çevresi', 'Çokgen']);
  await mode.selectOption({ label: 'Çokgen' });
  const corners = region.getByLabel('Çokgen köşeleri');
  await corners.fill('36.20, 36.16\n36.25 36.30\n\n36.10, 36.22');
  await region.getByRole('button', { name: 'Ayarları kaydet' }).click();
  await page.getByText(/region/).filter({ hasText: /kaydedildi/ }).waitFor();
  assert.deepEqual((await api(hub, admin, '/api/v1/modules/region/region', { method: 'GET' })).body, { mode: 'polygon', polygon: [[36.2, 36.16], [36.25, 36.3], [36.1, 36.22]] });

  // A line that is not a corner is named, and nothing is saved.
  await corners.fill('36.20, 36.16\nAntakya');
  await region.getByRole('button', { name: 'Ayarları kaydet' }).click();
  await page.getByText('Çokgen köşeleri, 2. satır: 36.20, 36.16 gibi bir enlem ve bir boylam yazın').waitFor();
  assert.equal((await api(hub, admin, '/api/v1/modules/region/region', { method: 'GET' })).body.polygon.length, 3);
  assert.deepEqual(problems, []);
});
