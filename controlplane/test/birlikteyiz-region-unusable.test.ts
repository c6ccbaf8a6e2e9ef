// A hub that saved birlikteyiz's region settings before they were checked (a circle without a
// centre) found the whole module failed at start: check-in rounds, SOS and all, for a setting that
// only picks which quakes alert. Now the module starts with quake alerts off (the region becomes
// "none", the rest kept as saved), says why (its log, GET status, its screen), and rounds work; a usable region turns alerts back on.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startModuleHub, storedSettings } from './support/module-test-hub.ts';
import { api, createAdminSession } from './support/test-auth.ts';
import { launch, openPage, signIn } from './support/ui-browser.ts';

const CURRENT_SETTINGS_VERSION = (JSON.parse(readFileSync(new URL('../../modules/birlikteyiz/module.json', import.meta.url), 'utf8')) as { settings: { version: number } }).settings.version;

test('region settings saved unusable before they were checked: the module starts, rounds work, quake alerts are off and it says why until a region is set', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-hub-region-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  // What such a hub has on disk: settings version 1, a circle with its radius and no centre.
  const saved = { regionMode: 'radius', radiusKm: 80, minMagnitude: 4.5, usgsUrl: '', emscUrl: '', afadUrl: '', kandilliUrl: '' };
  writeFileSync(join(dataDir, 'modules.json'), JSON.stringify({ version: 1, modules: { birlikteyiz: { enabled: true, settings: saved, settingsVersion: 1 } } }));
  const hub = await startModuleHub({}, { dataDir });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);

  const status = (await api(hub, admin, '/api/v1/modules/birlikteyiz')).body;
  assert.equal(status.state, 'loaded', `the module starts (${status.error ?? ''})`);
  assert.deepEqual((await api(hub, admin, '/api/v1/modules/birlikteyiz/status')).body, { quakeAlerts: false, problem: { code: 'region_none' } }, 'and says quake alerts are off, and why');
  const kept = storedSettings<Record<string, unknown>>(hub, 'birlikteyiz');
  assert.equal(kept.regionMode, 'none');
  assert.equal(kept.radiusKm, 80, 'every other value as saved');
  assert.equal(kept.minMagnitude, 4.5);
  assert.equal((JSON.parse(readFileSync(join(dataDir, 'modules.json'), 'utf8')) as { modules: Record<string, { settingsVersion: number }> }).modules.birlikteyiz!.settingsVersion, CURRENT_SETTINGS_VERSION, 'migrated to the version the module is at');

  // Check-in rounds work.
  const opened = await api(hub, admin, '/api/v1/modules/birlikteyiz/rounds', { method: 'POST', body: { title: 'Drill' } });
  assert.equal(opened.status, 201);
  const rounds = (await api(hub, admin, '/api/v1/modules/birlikteyiz/rounds')).body as { rounds: Array<{ title: string; closedAt: number | null }> };
  assert.deepEqual(rounds.rounds.map((r) => [r.title, r.closedAt]), [['Drill', null]]);

  // The module's screen says it, in the operator's language.
  const browser = await launch();
  t.after(() => browser.close());
  for (const c of [
    { locale: 'en-GB', panel: 'birlikteyiz panel', text: /^Quake alerts are off: no region is set \(setting "Region"\)\./ },
    { locale: 'tr-TR', panel: 'birlikteyiz paneli', text: /^Deprem uyarıları kapalı: bölge ayarlı değil \("Bölge" ayarı\)\./ },
  ] as const) {
    const { page, problems, context } = await openPage(browser, hub, { size: 'phone', locale: c.locale });
    t.after(() => context.close());
    await signIn(page, hub, admin, '#/modules');
    const note = page.locator(`section[aria-label="${c.panel}"] .quake-alerts-off`);
    await note.waitFor();
    assert.match((await note.innerText()).trim(), c.text, c.locale);
    assert.deepEqual(problems, []);
  }

  // The admin sets the centre: alerts are on again.
  const fixed = await api(hub, admin, '/api/v1/modules/birlikteyiz/settings', { method: 'PUT', body: { ...kept, regionMode: 'radius', centerLatitude: 37.58, centerLongitude: 36.93 } });
  assert.equal(fixed.status, 200);
  assert.equal(fixed.body.state, 'loaded');
  assert.deepEqual((await api(hub, admin, '/api/v1/modules/birlikteyiz/status')).body, { quakeAlerts: true, problem: null });
});
