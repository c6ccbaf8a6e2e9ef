// Saving a module's settings form changes only what the admin edited, in a real browser against a
// real hub. The settings on disk hold values the form cannot show as its fields would (an older
// version's choice the schema no longer lists, a number where the schema takes text or a number,
// text where a number was expected, an unset checkbox, an unset optional text with a pattern, a
// setting the schema does not declare), at the top and inside a list item. Each is shown as it is
// and said so; the admin edits one text, and the save is refused by the hub only for the choices
// that are no longer valid (named), never silently turned into the first choice; with those two
// chosen, everything else is saved exactly as it was stored. The notes read in Turkish too.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startModuleHub, storedSettings, writeModules } from './support/module-test-hub.ts';
import { createAdminSession } from './support/test-auth.ts';
import { artifactsDir, assertFitsWidth, axe, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-module-settings-untouched');

const schema = {
  type: 'object',
  properties: {
    mode: { enum: ['fast', 'slow'], title: 'Mode' },
    level: { enum: [1, 2, 3], title: 'Level' },
    label: { type: ['string', 'number'], title: 'Label' },
    verbose: { type: 'boolean', title: 'Verbose logging' },
    code: { type: 'string', pattern: '^[A-Z]{3}$', title: 'Code' },
    note: { type: 'string', title: 'Note' },
    stations: {
      type: 'array',
      title: 'Stations',
      items: {
        type: 'object',
        title: 'Station',
        properties: {
          id: { type: 'string', title: 'Code' },
          kind: { enum: ['rain', 'river'], title: 'Kind' },
          active: { type: 'boolean', title: 'Active' },
          alarm: { type: ['number', 'string'], title: 'Alarm at' },
          label: { type: ['string', 'integer'], title: 'Label' },
        },
      },
    },
  },
};

/** As an older version of the module left them (the hub stopped, then the module updated). */
const stored = {
  mode: 'turbo',
  level: 2,
  label: 42,
  note: 'old note',
  legacyFlag: 'kept',
  stations: [{ id: 'north', kind: 'lake', alarm: 'high', label: 7, since: 2019 }],
};

test('saving one edited setting leaves every other stored value exactly as it was', async (t) => {
  const root = writeModules({ legacy: { manifest: { settings: { version: 1, schema } } } });
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-hub-untouched-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'modules.json'), JSON.stringify({ version: 1, modules: { legacy: { enabled: false, settings: stored, settingsVersion: 1 } } }));
  const hub = await startModuleHub({ root }, { dataDir });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const onDisk = () => storedSettings<Record<string, unknown>>(hub, 'legacy');
  assert.deepEqual(onDisk(), stored);

  const browser = await launch();
  t.after(() => browser.close());
  const { context, page, problems } = await openPage(browser, hub, { size: 'phone' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/modules');
  const legacy = page.locator('li[data-module="legacy"]');
  await legacy.getByText('Settings', { exact: true }).click();
  const form = legacy.locator('form');
  const stations = legacy.getByRole('group', { name: 'Stations', exact: true });

  // Shown as stored, and said so where a field cannot show it as its kind of field would.
  const mode = legacy.getByLabel('Mode', { exact: true });
  assert.equal(await selectedText(mode), 'turbo (saved; not one of the choices)');
  assert.match(await described(page, 'module-legacy-mode'), /not one of the choices; it is kept unless you choose one/);
  assert.equal(await selectedText(legacy.getByLabel('Level', { exact: true })), '2');
  assert.equal(await legacy.getByLabel('Label', { exact: true }).inputValue(), '42');
  assert.match(await described(page, 'module-legacy-label'), /shown as JSON; it is kept as it is unless you change it/);
  const verbose = legacy.getByLabel('Verbose logging', { exact: true });
  assert.equal(await verbose.evaluate((e) => (e as HTMLInputElement).indeterminate), true, 'an unset checkbox is neither ticked nor unticked');
  assert.match(await described(page, 'module-legacy-verbose'), /^Not set/);
  assert.equal(await legacy.getByLabel('Code', { exact: true }).inputValue(), '');
  const kind = stations.getByLabel('Station 1: Kind', { exact: true });
  assert.equal(await selectedText(kind), 'lake (saved; not one of the choices)');
  assert.equal(await stations.getByLabel('Station 1: Alarm at', { exact: true }).inputValue(), '"high"', 'text where a number field is: shown as JSON');
  assert.equal(await stations.getByLabel('Station 1: Label', { exact: true }).inputValue(), '7');
  assert.equal(await stations.getByLabel('Station 1: Active', { exact: true }).evaluate((e) => (e as HTMLInputElement).indeterminate), true);
  assert.equal(await form.getByText(/it is kept as it is unless you change it/).count(), 3, 'each value shown as JSON says so');
  await page.screenshot({ path: join(SHOTS, 'kept-en-375x812.png'), fullPage: true });
  await assertFitsWidth(page, 'the settings form with stored values it cannot show as fields');
  assert.deepEqual(await axe(page), [], 'axe on the settings form with its notes');

  // The admin edits the note only. Choices no longer valid are sent as they are, and the hub
  // refuses them by name: nothing was silently changed to "fast" or "rain".
  await legacy.getByLabel('Note', { exact: true }).fill('new note');
  const save = legacy.getByRole('button', { name: 'Save settings', exact: true });
  const refused = await saveAnswer(page, () => save.click());
  assert.equal(refused.status, 400);
  assert.equal(refused.body.code, 'E_MODULE_SETTINGS');
  assert.match(refused.body.message, /\bmode must be equal to one of the allowed values/);
  assert.match(refused.body.message, /\bstations\.0\.kind must be equal to one of the allowed values/);
  assert.doesNotMatch(refused.body.message, /level|label|verbose|code|alarm|active/, 'nothing else is wrong with what was sent');
  await page.getByText(/mode must be equal to one of the allowed values/).waitFor();
  assert.deepEqual(onDisk(), stored);

  // The admin chooses a mode and a kind: saved, and every value not edited is exactly as stored.
  await mode.selectOption('slow');
  await kind.selectOption('river');
  const ok = await saveAnswer(page, () => save.click());
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual(onDisk(), { ...stored, mode: 'slow', note: 'new note', stations: [{ ...stored.stations[0], kind: 'river' }] });
  assert.deepEqual(problems, []);

  // In Turkish at laptop size the notes read in Turkish; the values still shown as stored.
  const tr = await openPage(browser, hub, { locale: 'tr-TR', viewport: { width: 1366, height: 800 } });
  t.after(() => tr.context.close());
  await signIn(tr.page, hub, admin, '#/modules');
  const trLegacy = tr.page.locator('li[data-module="legacy"]');
  await trLegacy.getByText('Ayarlar', { exact: true }).click();
  assert.match(await described(tr.page, 'module-legacy-verbose'), /^Ayarlanmamış; siz işaretlemedikçe/);
  assert.match(await described(tr.page, 'module-legacy-label'), /JSON olarak gösteriliyor/);
  assert.equal(await trLegacy.getByLabel('Label', { exact: true }).inputValue(), '42');
  assert.doesNotMatch(await trLegacy.locator('form').innerText(), /saved|not one of|Not set|unless you/);
  await tr.page.screenshot({ path: join(SHOTS, 'kept-tr-1366x800.png'), fullPage: true });
  await assertFitsWidth(tr.page, 'the settings form with its notes on a laptop');
  assert.deepEqual(await axe(tr.page), [], 'axe on the Turkish settings form with its notes');
  assert.deepEqual(tr.problems, []);
});

/** The label of a select's chosen option, as the admin reads it. */
function selectedText(select: ReturnType<Page['locator']>): Promise<string> {
  return select.evaluate((e) => (e as HTMLSelectElement).selectedOptions[0]?.textContent ?? '');
}

/** What a screen reader reads after a field's label: the text of its aria-describedby. */
function described(page: Page, id: string): Promise<string> {
  return page.evaluate((fid) => {
    const ids = document.getElementById(fid)?.getAttribute('aria-describedby')?.split(' ') ?? [];
    return ids.map((d) => document.getElementById(d)?.textContent ?? '').join(' ');
  }, id);
}

/** Does `act` and returns the hub's answer to the settings it sent. */
async function saveAnswer(page: Page, act: () => Promise<void>): Promise<{ status: number; body: { code?: string; message: string } }> {
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/modules/legacy/settings') && r.request().method() === 'PUT');
  await act();
  const r = await answer;
  return { status: r.status(), body: (await r.json()) as { code?: string; message: string } };
}
