// A module setting that is a list of objects (cctv's cameras) as a hub admin edits it in a real
// browser: each camera a group of labelled fields named for it ("Camera 2: Source"), not a line of
// raw JSON. At phone size an admin adds a camera with the keyboard and the fields (with the other
// camera's ID it is refused by the hub, naming the field and the ID), saves, and the hub keeps
// exactly that camera; renames another whose source holds a password (shown ***): the stored
// password is the same; removes a camera. In Turkish at laptop size the same form reads in Turkish.
// Both sizes fit the width and pass axe. cctv is only configured, never started: no OpenCV.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { startModuleHub, storedSettings, withoutOpenCv, writeModules } from './support/module-test-hub.ts';
import { api, createAdminSession } from './support/test-auth.ts';
import { artifactsDir, assertFitsWidth, axe, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-module-list-settings');

type Camera = { id: string; name?: string; source: string; width?: number; height?: number; fps?: number; upload?: boolean; zones?: unknown[] };

const GATE_SOURCE = 'rtsp://admin:hunter2-cam@192.0.2.10:554/stream1';
const zones = [{ name: 'Porch', kind: 'include', points: [[0, 0], [0.5, 0], [0.5, 0.5]] }];

/** The focused element's accessible label, as a screen reader starts to read it. */
const focusedLabel = (page: Page): Promise<string> => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.labels?.[0]?.textContent ?? '');

test('cctv cameras are edited as fields, one group per camera: add, rename one with a password, remove', async (t) => {
  withoutOpenCv();
  const hub = await startModuleHub({});
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const put = await api(hub, admin, '/api/v1/modules/cctv/settings', { method: 'PUT', body: { cameras: [{ id: 'gate', name: 'Gate', source: GATE_SOURCE, width: 1280, height: 720, zones }], clipSeconds: 5 } });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const stored = () => storedSettings<{ cameras: Camera[]; clipSeconds: number }>(hub, 'cctv');
  const gate = stored().cameras[0]!;
  assert.equal(gate.source, GATE_SOURCE);

  const browser = await launch();
  t.after(() => browser.close());
  mkdirSync(SHOTS, { recursive: true });

  await t.test('en, phone', async () => {
    const { context, page, problems } = await openPage(browser, hub, { size: 'phone' });
    t.after(() => context.close());
    await signIn(page, hub, admin, '#/modules');
    const cctv = page.locator('li[data-module="cctv"]');
    await cctv.getByText('Settings', { exact: true }).click();
    const cameras = cctv.getByRole('group', { name: 'Cameras', exact: true });
    await cameras.waitFor();
    // The stored camera as fields, its password *** (the hub never sent it); no JSON of cameras anywhere.
    assert.equal(await cameras.getByRole('group', { name: 'Camera 1', exact: true }).count(), 1);
    assert.equal(await cameras.getByLabel('Camera 1: ID', { exact: true }).inputValue(), 'gate');
    assert.equal(await cameras.getByLabel('Camera 1: Name', { exact: true }).inputValue(), 'Gate');
    assert.equal(await cameras.getByLabel('Camera 1: Source', { exact: true }).inputValue(), 'rtsp://admin:***@192.0.2.10:554/stream1');
    assert.equal(await cameras.getByLabel('Camera 1: Width (pixels)', { exact: true }).inputValue(), '1280');
    assert.equal(await cameras.getByLabel('Camera 1: Frames per second', { exact: true }).inputValue(), '5', "the schema's default where none was stored");
    assert.equal(JSON.parse(await cameras.getByLabel('Camera 1: Zones', { exact: true }).inputValue()).length, 1, 'zones: a small JSON field of their own');
    assert.doesNotMatch(await cctv.locator('form').innerText(), /hunter2/);
    for (const text of await cctv.locator('textarea').evaluateAll((els) => els.map((e) => (e as HTMLTextAreaElement).value))) assert.doesNotMatch(text, /"source"/, 'no camera as JSON');

    // Add a camera with the keyboard: the new camera's first field gets the focus, with the schema's defaults filled in.
    await cameras.getByRole('button', { name: 'Add camera', exact: true }).focus();
    await page.keyboard.press('Enter');
    await cameras.getByRole('group', { name: 'Camera 2', exact: true }).waitFor();
    assert.equal(await focusedLabel(page), 'Camera 2: ID');
    await page.keyboard.type('Yard Cam');
    assert.equal(await cameras.getByLabel('Camera 2: Width (pixels)', { exact: true }).inputValue(), '640');
    assert.equal(await cameras.getByLabel('Camera 2: Height (pixels)', { exact: true }).inputValue(), '480');
    assert.equal(await cameras.getByLabel('Camera 2: Send its motion thumbnails to the hub (off: they stay on the device)', { exact: true }).isChecked(), false);
    await cameras.getByLabel('Camera 2: Name', { exact: true }).fill('Yard');
    await cameras.getByLabel('Camera 2: Source', { exact: true }).fill('synthetic:quiet');
    await cameras.getByLabel('Camera 2: Frames per second', { exact: true }).fill('10');
    await cameras.getByLabel('Camera 2: Send its motion thumbnails to the hub (off: they stay on the device)', { exact: true }).check();
    await showTop(cameras.getByRole('group', { name: 'Camera 2', exact: true }));
    await page.screenshot({ path: join(SHOTS, 'settings-en-375x812.png') });
    await page.screenshot({ path: join(SHOTS, 'settings-en-375x812-full.png'), fullPage: true });
    await assertFitsWidth(page, 'cctv cameras being edited on a phone');
    assert.deepEqual(await axe(page), [], 'axe on the cameras form on a phone');

    // An ID that cctv would refuse is named, in words, and nothing is saved.
    const save = cctv.getByRole('button', { name: 'Save settings', exact: true });
    await save.click();
    await page.getByText(/^Camera 2: ID is not valid: 1-32 lower-case letters/).waitFor();
    assert.equal(await focusedLabel(page), 'Camera 2: ID');
    assert.equal(stored().cameras.length, 1);
    // The ID of the other camera: the hub refuses it (as cctv would), naming the field and the ID.
    await cameras.getByLabel('Camera 2: ID', { exact: true }).fill('gate');
    const twice = page.waitForResponse((r) => r.url().endsWith('/api/v1/modules/cctv/settings') && r.request().method() === 'PUT');
    await save.click();
    const refused = await twice;
    assert.equal(refused.status(), 400);
    assert.deepEqual(await refused.json(), { statusCode: 400, code: 'E_MODULE_SETTINGS', error: 'Bad Request', message: 'settings: cameras.1.id must be unique: "gate" is used twice' });
    await page.getByText('settings: cameras.1.id must be unique: "gate" is used twice', { exact: true }).waitFor();
    assert.equal(stored().cameras.length, 1);
    await cameras.getByLabel('Camera 2: ID', { exact: true }).fill('yard');
    // Zones are a small JSON field: JSON that does not parse is named too.
    const yardZones = cameras.getByLabel('Camera 2: Zones', { exact: true });
    await yardZones.fill('[{"name": "Gate"');
    await save.click();
    await page.getByText('Camera 2: Zones: not valid JSON', { exact: true }).waitFor();
    assert.equal(stored().cameras.length, 1);
    await yardZones.fill('');
    await saved(page, () => save.click());
    await page.getByText('cctv: settings saved', { exact: true }).waitFor();
    assert.deepEqual(stored().cameras, [gate, { id: 'yard', name: 'Yard', source: 'synthetic:quiet', width: 640, height: 480, fps: 10, upload: true }], 'exactly the camera typed, the other as it was');
    assert.equal(stored().clipSeconds, 5, 'the other settings as they were');

    // Rename the camera with a password: its source is sent back as shown (***), and the hub keeps the password.
    const gateName = cameras.getByLabel('Camera 1: Name', { exact: true });
    await gateName.fill('Front gate');
    assert.equal(await cameras.getByLabel('Camera 1: Source', { exact: true }).inputValue(), 'rtsp://admin:***@192.0.2.10:554/stream1');
    await saved(page, () => save.click());
    assert.deepEqual(stored().cameras[0], { ...gate, name: 'Front gate' }, 'the password, zones and sizes unchanged');
    assert.equal(stored().cameras[0]!.source, GATE_SOURCE);

    // Remove the first camera: the other becomes "Camera 1", and the focus goes to it.
    await cameras.getByRole('button', { name: 'Remove Camera 1', exact: true }).click();
    assert.equal(await cameras.getByRole('group').count(), 1);
    assert.equal(await cameras.getByLabel('Camera 1: ID', { exact: true }).inputValue(), 'yard');
    assert.equal(await focusedLabel(page), 'Camera 1: ID');
    await saved(page, () => save.click());
    assert.deepEqual(stored().cameras, [{ id: 'yard', name: 'Yard', source: 'synthetic:quiet', width: 640, height: 480, fps: 10, upload: true }]);
    assert.deepEqual(problems, []);
  });

  await t.test('tr, laptop', async () => {
    // Back to the camera with a password, and the one without.
    assert.equal((await api(hub, admin, '/api/v1/modules/cctv/settings', { method: 'PUT', body: { ...stored(), cameras: [gate, ...stored().cameras] } })).status, 200);
    const { context, page, problems } = await openPage(browser, hub, { locale: 'tr-TR', viewport: { width: 1366, height: 800 } });
    t.after(() => context.close());
    await signIn(page, hub, admin, '#/modules');
    const cctv = page.locator('li[data-module="cctv"]');
    await cctv.getByText('Ayarlar', { exact: true }).click();
    const cameras = cctv.getByRole('group', { name: 'Kameralar', exact: true });
    await cameras.waitFor();
    assert.equal(await cameras.getByLabel('Kamera 1: Kaynak', { exact: true }).inputValue(), 'rtsp://admin:***@192.0.2.10:554/stream1');
    assert.equal(await cameras.getByLabel('Kamera 2: Kimlik', { exact: true }).inputValue(), 'yard');
    await cameras.getByLabel('Kamera 2: Hareket küçük resimlerini merkeze gönder (kapalı: cihazda kalır)', { exact: true }).waitFor();
    await cameras.getByRole('button', { name: 'Çıkar: Kamera 2', exact: true }).waitFor();
    await cameras.getByRole('button', { name: 'Yeni kamera ekle', exact: true }).click();
    assert.equal(await focusedLabel(page), 'Kamera 3: Kimlik');
    await cameras.getByLabel('Kamera 3: Kimlik', { exact: true }).fill('kapi');
    await cameras.getByLabel('Kamera 3: Kaynak', { exact: true }).fill('/dev/video0');
    const text = await cameras.innerText();
    for (const word of ['Camera', 'Source', 'Width', 'Remove', 'Add', 'node', 'düğüm']) assert.ok(!text.includes(word), `no "${word}" in the Turkish form:\n${text}`);
    await showTop(cameras);
    await page.screenshot({ path: join(SHOTS, 'settings-tr-1366x800.png') });
    await page.screenshot({ path: join(SHOTS, 'settings-tr-1366x800-full.png'), fullPage: true });
    await assertFitsWidth(page, 'cctv cameras being edited on a laptop');
    assert.deepEqual(await axe(page), [], 'axe on the Turkish cameras form');
    await saved(page, () => cctv.getByRole('button', { name: 'Ayarları kaydet', exact: true }).click());
    assert.deepEqual(stored().cameras[2], { id: 'kapi', source: '/dev/video0', width: 640, height: 480, fps: 5, upload: false }, 'an empty name is left out (cctv names it by its ID)');
    assert.equal(stored().cameras[0]!.source, GATE_SOURCE);
    assert.deepEqual(problems, []);
  });
});

test('a list of objects of any module: choices by name, a secret kept, empty numbers left out; lists without item properties stay JSON', async (t) => {
  const schema = {
    type: 'object',
    properties: {
      stations: {
        type: 'array',
        default: [],
        title: 'Stations',
        items: {
          type: 'object',
          title: 'Station',
          properties: {
            id: { type: 'string', title: 'Code' },
            kind: { enum: ['rain', 'river'], enumTitles: { rain: 'Rain gauge', river: 'River level' }, default: 'rain', title: 'Kind' },
            token: { type: 'string', writeOnly: true, title: 'Access token' },
            alarmMm: { type: 'number', minimum: 0, title: 'Alarm at (mm)' },
          },
        },
      },
      tags: { type: 'array', items: { type: 'string' }, default: [], title: 'Tags' },
    },
  };
  const root = writeModules({ gauges: { manifest: { settings: { version: 1, schema } } } });
  const hub = await startModuleHub({ root });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const put = await api(hub, admin, '/api/v1/modules/gauges/settings', { method: 'PUT', body: { stations: [{ id: 'north', kind: 'river', token: 'tok-north', alarmMm: 40 }], tags: ['valley'] } });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const stored = () => storedSettings<{ stations: Array<Record<string, unknown>>; tags: string[] }>(hub, 'gauges');

  const browser = await launch();
  t.after(() => browser.close());
  const { context, page, problems } = await openPage(browser, hub, { size: 'phone' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/modules');
  const gauges = page.locator('li[data-module="gauges"]');
  await gauges.getByText('Settings', { exact: true }).click();
  const stations = gauges.getByRole('group', { name: 'Stations', exact: true });
  const kind = stations.getByLabel('Station 1: Kind', { exact: true });
  assert.deepEqual(await kind.locator('option').allInnerTexts(), ['Rain gauge', 'River level']);
  assert.equal(await kind.inputValue(), 'river');
  const token = stations.getByLabel('Station 1: Access token', { exact: true });
  assert.equal(await token.getAttribute('type'), 'password');
  assert.equal(await token.inputValue(), '', 'the hub never sent the token');
  assert.equal(await token.getAttribute('placeholder'), 'Unchanged (type to replace)');
  assert.equal(await gauges.getByLabel('Tags', { exact: true }).inputValue(), '["valley"]', 'a list of plain values is still JSON');

  await stations.getByRole('button', { name: 'Add station', exact: true }).click();
  await stations.getByLabel('Station 2: Code', { exact: true }).fill('south');
  assert.equal(await stations.getByLabel('Station 2: Kind', { exact: true }).inputValue(), 'rain', "the schema's default");
  await stations.getByLabel('Station 2: Access token', { exact: true }).fill('tok-south');
  await gauges.getByLabel('Tags', { exact: true }).fill('["valley", "upper"]');
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/modules/gauges/settings') && r.request().method() === 'PUT');
  await gauges.getByRole('button', { name: 'Save settings', exact: true }).click();
  assert.equal((await answer).status(), 200);
  assert.deepEqual(stored(), {
    stations: [
      { id: 'north', kind: 'river', token: 'tok-north', alarmMm: 40 },
      { id: 'south', kind: 'rain', token: 'tok-south' },
    ],
    tags: ['valley', 'upper'],
  });
  assert.deepEqual(await axe(page), [], 'axe');
  assert.deepEqual(problems, []);
});

/** Scrolls `el`'s top to just under the sticky top bar, for a screenshot. */
async function showTop(el: Locator): Promise<void> {
  await el.evaluate((e) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - (document.querySelector('.topbar')?.getBoundingClientRect().bottom ?? 0) - 8));
}

/** Does `act` and waits for the hub's answer to the settings it sends (stored by then). */
async function saved(page: Page, act: () => Promise<void>): Promise<void> {
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/modules/cctv/settings') && r.request().method() === 'PUT');
  await act();
  const r = await answer;
  assert.equal(r.status(), 200, await r.text());
}

/** A module whose settings are `properties`, its settings open on the Modules screen of a hub admin. */
async function gaugesSettingsOpen(t: TestContext, properties: Record<string, unknown>, size: 'phone' | 'laptop') {
  const root = writeModules({ gauges: { manifest: { settings: { version: 1, schema: { type: 'object', properties } } } } });
  const hub = await startModuleHub({ root });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems } = await openPage(browser, hub, { size });
  await signIn(page, hub, admin, '#/modules');
  const gauges = page.locator('li[data-module="gauges"]');
  await gauges.getByText('Settings', { exact: true }).click();
  return { hub, admin, page, problems, gauges };
}

test('the field an admin is on keeps the keyboard when the module list is drawn again (another admin saved)', async (t) => {
  const { hub, admin, page, problems, gauges } = await gaugesSettingsOpen(t, { station: { type: 'string', default: '', title: 'Station' }, alarmMm: { type: 'number', default: 10, title: 'Alarm at (mm)' } }, 'phone');
  // On the second field, not yet typing: the form is drawn again from what the hub has.
  await gauges.getByLabel('Alarm at (mm)', { exact: true }).focus();
  await page.evaluate(() => document.querySelectorAll('li[data-module="gauges"] input').forEach((e) => e.setAttribute('data-drawn-before', '')));
  assert.equal((await api(hub, admin, '/api/v1/modules/gauges/settings', { method: 'PUT', body: { station: 'north', alarmMm: 10 } })).status, 200);
  await page.waitForFunction(() => (document.querySelector('li[data-module="gauges"] input') as HTMLInputElement | null)?.value === 'north' && !document.querySelector('[data-drawn-before]'));
  assert.equal(await focusedLabel(page), 'Alarm at (mm)', 'the keyboard stays on the field it was on');
  assert.deepEqual(problems, []);
});

test('on a list item\u2019s field, the keyboard stays with that item when another admin\u2019s save removes one before it', async (t) => {
  const { hub, admin, page, problems, gauges } = await gaugesSettingsOpen(t, { stations: { type: 'array', default: [], title: 'Stations', items: { type: 'object', title: 'Station', properties: { code: { type: 'string', title: 'Code' } } } } }, 'laptop');
  const save = async (codes: string[]) => assert.equal((await api(hub, admin, '/api/v1/modules/gauges/settings', { method: 'PUT', body: { stations: codes.map((code) => ({ code })) } })).status, 200);
  const codes = () => page.evaluate(() => [...document.querySelectorAll<HTMLInputElement>('li[data-module="gauges"] input')].map((e) => e.value).join(','));
  await save(['north', 'mid', 'south']);
  await page.waitForFunction(() => document.querySelectorAll('li[data-module="gauges"] input').length === 3);
  await gauges.getByLabel('Station 2: Code', { exact: true }).focus();
  await page.evaluate(() => document.querySelectorAll('li[data-module="gauges"] input').forEach((e) => e.setAttribute('data-drawn-before', '')));
  await save(['mid', 'south']);
  await page.waitForFunction(() => document.querySelectorAll('li[data-module="gauges"] input').length === 2 && !document.querySelector('[data-drawn-before]'));
  assert.equal(await codes(), 'mid,south');
  assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value), 'mid', 'the station the admin was on, now the first, not the one now second');
  assert.equal(await focusedLabel(page), 'Station 1: Code');
  assert.deepEqual(problems, []);
});

/**
 * Holds the page's next two loads of the module list, answered as the hub has it now, until
 * `release()`: each module.state event has the page load it twice (this screen, and the module
 * hooks of the other screens), one right after the other. Loads after them go through, or fail.
 */
async function holdModuleLists(page: Page, after: 'continue' | 'fail') {
  let release!: () => void;
  const late = new Promise<void>((resolve) => (release = resolve));
  let heldBoth!: () => void;
  const held = new Promise<void>((resolve) => (heldBoth = resolve));
  let holding = 2;
  let fetched = 0;
  await page.route((url) => url.pathname === '/api/v1/modules', async (route) => {
    if (holding === 0) return after === 'continue' ? route.continue() : route.abort('connectionreset');
    holding--;
    const response = await route.fetch();
    if (++fetched === 2) heldBoth();
    await late;
    await route.fulfill({ response });
  });
  return { held, release };
}

/** Sets the gauges module's one setting through the API, as another admin would. */
const saveStation = (hub: Parameters<typeof api>[0], admin: Parameters<typeof api>[1]) => async (value: string) =>
  assert.equal((await api(hub, admin, '/api/v1/modules/gauges/settings', { method: 'PUT', body: { station: value } })).status, 200);

test('the module list never goes back to an older answer when two loads cross', async (t) => {
  const { hub, admin, page, problems, gauges } = await gaugesSettingsOpen(t, { station: { type: 'string', default: '', title: 'Station' } }, 'laptop');
  const station = gauges.getByLabel('Station', { exact: true });
  await station.waitFor();
  // Every value the field is drawn with, in order.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { drawn: string[] }).drawn = seen;
    new MutationObserver(() => {
      const value = (document.querySelector('li[data-module="gauges"] input') as HTMLInputElement | null)?.value;
      if (value !== undefined && value !== seen[seen.length - 1]) seen.push(value);
    }).observe(document.querySelector('li[data-module="gauges"]')!.parentElement!, { childList: true, subtree: true });
  });
  // The lists loaded after the first save answer late: after those loaded after the second.
  const { held, release } = await holdModuleLists(page, 'continue');
  const save = saveStation(hub, admin);
  await save('first');
  await held;
  await save('second');
  await page.waitForFunction(() => (document.querySelector('li[data-module="gauges"] input') as HTMLInputElement | null)?.value === 'second');
  const lateAnswers = Promise.all([0, 1].map(() => page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/modules')));
  release();
  await lateAnswers;
  await save('third');
  await page.waitForFunction(() => (document.querySelector('li[data-module="gauges"] input') as HTMLInputElement | null)?.value === 'third');
  const drawn = await page.evaluate(() => (window as unknown as { drawn: string[] }).drawn);
  assert.deepEqual(drawn.slice(drawn.indexOf('second')), ['second', 'third'], `never back to "first" once "second" was drawn: ${drawn.join(' -> ')}`);
  assert.deepEqual(problems, []);
});

test('an answer to the module list is drawn even when a load asked for after it fails', async (t) => {
  const { hub, admin, page, problems, gauges } = await gaugesSettingsOpen(t, { station: { type: 'string', default: '', title: 'Station' } }, 'laptop');
  await gauges.getByLabel('Station', { exact: true }).waitFor();
  // The loads after a save answer late; every load after them fails (the hub went away a moment).
  const { held, release } = await holdModuleLists(page, 'fail');
  const save = saveStation(hub, admin);
  await save('north');
  await held;
  // A later load fails (its error shows), then the held answer comes: the list is drawn from it.
  await save('north');
  await page.getByText(/^Could not load modules/).first().waitFor();
  release();
  await page.waitForFunction(() => (document.querySelector('li[data-module="gauges"] input') as HTMLInputElement | null)?.value === 'north');
  assert.deepEqual(problems.filter((p) => !p.endsWith('net::ERR_CONNECTION_RESET')), [], 'nothing but the failed loads');
});

test('the list drawn again with the same settings keeps the settings form itself (a key pressed as it is drawn lands in the field clicked)', async (t) => {
  const { hub, admin, page, problems, gauges } = await gaugesSettingsOpen(t, { station: { type: 'string', default: '', title: 'Station' } }, 'laptop');
  const save = saveStation(hub, admin);
  await save('north');
  const station = gauges.getByLabel('Station', { exact: true });
  await page.waitForFunction(() => (document.querySelector('li[data-module="gauges"] input') as HTMLInputElement | null)?.value === 'north');
  await station.focus();
  await page.evaluate(() => {
    document.querySelector('li[data-module="gauges"]')!.setAttribute('data-drawn-before', '');
    document.querySelector('li[data-module="gauges"] form')!.setAttribute('data-drawn-before', '');
  });
  // The same settings saved again: the module's state is announced, and the list drawn again.
  await save('north');
  await page.waitForFunction(() => !document.querySelector('li[data-module="gauges"]')!.hasAttribute('data-drawn-before'));
  assert.equal(await page.locator('li[data-module="gauges"] form[data-drawn-before]').count(), 1, 'the same form, not one built anew');
  await page.keyboard.type(' ridge');
  assert.equal(await station.inputValue(), 'north ridge');
  assert.deepEqual(problems, []);
});
