// Module UIs speak the operator's language too. i18n.js gives a module its own translator over a
// catalogue of its own (modules/<name>/ui/locales/tr.js), with the hub's placeholders, plurals,
// English fallback and chosen language; every string a module UI passes through it has its
// Turkish with the same placeholders, and no text goes on screen untranslated. In a real browser
// in Turkish at phone size, birlikteyiz's panel reads in Turkish during a check-in round.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { usgsFeedDocument } from '@unibos/module-birlikteyiz';
import { api, createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { waitForEvent } from './support/hub-events.ts';
import { startModuleHub } from './support/module-test-hub.ts';
import { artifactsDir, assertFitsWidth, axe, launch, openPage, signIn } from './support/ui-browser.ts';

const MODULES = new URL('../../modules/', import.meta.url).pathname;
const HUB_JS = new URL('../public/js/', import.meta.url).pathname;

type Catalogue = Record<string, string | Record<string, string>>;

/** Each module's UI files (not its locales): [module, file, source]. */
function moduleUis(): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  for (const m of readdirSync(MODULES, { withFileTypes: true })) {
    const ui = join(MODULES, m.name, 'ui');
    if (!m.isDirectory() || !existsSync(ui)) continue;
    for (const f of readdirSync(ui, { withFileTypes: true })) if (f.isFile() && f.name.endsWith('.js')) out.push([m.name, join(ui, f.name), readFileSync(join(ui, f.name), 'utf8')]);
  }
  return out;
}

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

/** The keys a source passes to t(): whole sentences, t(cond ? 'a' : 'b'), and { one, other } plurals. */
function keysOf(src: string): string[] {
  const singles = [...src.matchAll(/(?<![\w.$])t\(\s*'((?:\\.|[^'\\])*)'/g)].map((m) => m[1]!);
  const choices = [...src.matchAll(/(?<![\w.$])t\(\s*[\w.!]+ \? '((?:\\.|[^'\\])*)' : '((?:\\.|[^'\\])*)'/g)].flatMap((m) => [m[1]!, m[2]!]);
  const plurals = [...src.matchAll(/(?<![\w.$])t\(\s*\{ one: '((?:\\.|[^'\\])*)', other: '((?:\\.|[^'\\])*)' \}/g)].map((m) => m[2]!);
  return [...singles, ...choices, ...plurals].map((k) => k.replace(/\\'/g, "'"));
}

test('every string of a module UI goes through its translator and has its Turkish, with the same placeholders', async () => {
  const uis = moduleUis();
  assert.ok(uis.some(([m]) => m === 'birlikteyiz') && uis.some(([m]) => m === 'cctv'), 'the module UIs were found');
  for (const [module, file, src] of uis) {
    const where = file.slice(MODULES.length);
    assert.match(src, /import \{[^}]*\btranslator\b[^}]*\} from '\/js\/i18n\.js'/, `${where} takes a translator from the hub's i18n.js`);
    assert.match(src, /import \{ TR \} from '\.\/locales\/tr\.js'/, `${where} imports its Turkish from ./locales/tr.js`);
    const trFile = join(MODULES, module, 'ui', 'locales', 'tr.js');
    assert.ok(existsSync(trFile), `${module} has ui/locales/tr.js`);
    const { TR } = (await import(pathToFileURL(trFile).href)) as { TR: Catalogue };
    const keys = keysOf(src);
    assert.ok(keys.length >= 10, `${where}: its strings were found (${keys.length})`);
    const missing: string[] = [];
    const wrong: string[] = [];
    for (const key of keys) {
      const tr = TR[key];
      if (tr === undefined) {
        missing.push(key);
        continue;
      }
      for (const form of typeof tr === 'string' ? [tr] : Object.values(tr)) if (placeholders(form).join() !== placeholders(key).join()) wrong.push(`${key} -> ${form}`);
    }
    assert.deepEqual(missing, [], `${where}: strings without Turkish`);
    assert.deepEqual(wrong, [], `${where}: Turkish with other placeholders than the English`);
    const used = new Set(keys);
    assert.deepEqual(Object.keys(TR).filter((k) => !used.has(k)), [], `${module}/ui/locales/tr.js: entries the UI no longer uses`);

    // Words straight onto the screen, not through t(): an element's text, an accessible name, a notification.
    const untranslated = [
      ...[...src.matchAll(/\bh\('\w+', \{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}, ['`] ?[A-Za-z][^'`]*['`]/g)].map((m) => m[0]),
      ...[...src.matchAll(/'(?:aria-label|alt|title|placeholder)': ['`] ?[A-Za-z][^'`]*['`]/g)].map((m) => m[0]),
      ...[...src.matchAll(/\bnotify\(\s*['`] ?[A-Za-z][^'`]*['`]/g)].map((m) => m[0]),
      ...[...src.matchAll(/\[('[A-Z][a-z]+', )+'[A-Z][a-z]+'\]\.map/g)].map((m) => m[0]),
    ];
    assert.deepEqual(untranslated, [], `${where}: text shown without t()`);
  }
});

test("a module's translator follows the hub's language, fills placeholders, picks plurals and falls back to English", async () => {
  // i18n.js runs in a browser: the little of one it reads at import.
  const stored = new Map<string, string>([['unibos.lang', 'tr']]);
  const g = globalThis as Record<string, unknown>;
  const saved = { localStorage: g.localStorage, document: g.document, navigator: g.navigator };
  const set = (name: string, value: unknown): void => void Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  set('localStorage', { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v) });
  set('document', { documentElement: { lang: '' } });
  set('navigator', { languages: ['en-GB'], language: 'en-GB' });
  try {
    const i18n = (await import(pathToFileURL(join(HUB_JS, 'i18n.js')).href)) as {
      translator?: (catalogues: Record<string, Catalogue>) => (key: string | { one: string; other: string }, params?: Record<string, unknown>) => string;
      setLang: (l: 'en' | 'tr') => void;
      t: (key: string, params?: Record<string, unknown>) => string;
    };
    assert.equal(typeof i18n.translator, 'function', 'i18n.js exports translator()');
    const t = i18n.translator!({ tr: { 'Assembly points': 'Toplanma alanları', 'Room for {count}': '{count} kişilik', 'sent to {count} nodes': { one: '{count} düğüme gönderildi', other: '{count} düğüme gönderildi' } } });
    const sentTo = { one: 'sent to {count} node', other: 'sent to {count} nodes' };
    assert.equal(t('Assembly points'), 'Toplanma alanları');
    assert.equal(t('Room for {count}', { count: 1500 }), '1.500 kişilik', 'numbers in the chosen locale');
    assert.equal(t(sentTo, { count: 3 }), '3 düğüme gönderildi');
    assert.equal(t('Not translated yet: {what}', { what: 'x' }), 'Not translated yet: x', 'English when the catalogue has no entry');
    assert.equal(t('Modules'), 'Modules', "a module's translator does not read the hub's catalogue");
    assert.equal(i18n.t('Modules'), 'Modüller', "nor changes the hub's");
    i18n.setLang('en');
    assert.equal(t('Assembly points'), 'Assembly points', 'the language the operator switched to');
    assert.equal(t(sentTo, { count: 1 }), 'sent to 1 node');
    assert.equal(t(sentTo, { count: 2 }), 'sent to 2 nodes');
    assert.equal(t('Room for {count}', { count: 1500 }), 'Room for 1,500');
    i18n.setLang('tr');
    assert.equal(i18n.translator!({})('Assembly points'), 'Assembly points', 'a module with no Turkish reads in English');
  } finally {
    for (const [name, value] of Object.entries(saved)) set(name, value);
  }
});

const CENTER = { latitude: 37.5858, longitude: 36.9371 };
const NODES = [
  { id: '!7e5a0001', name: 'Çarşı', lat: 37.5901, lon: 36.9442 },
  { id: '!7e5a0002', name: 'Okul', lat: 37.5803, lon: 36.9287 },
  { id: '!7e5a0003', name: 'Köy', lat: 37.5752, lon: 36.9511 },
];

async function feedServer(body: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/summary/2.5_hour.geojson`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test("birlikteyiz's panel reads in Turkish for a Turkish operator on a phone", async (t) => {
  const quakeMs = Date.now() - 60_000;
  const feed = await feedServer(usgsFeedDocument([{ id: 'tr1', latitude: CENTER.latitude + 0.04, longitude: CENTER.longitude + 0.05, depthKm: 10, magnitude: 5.8, timeMs: quakeMs, place: 'Kahramanmaraş, Türkiye' }], quakeMs));
  t.after(() => feed.close());
  const hub = await startModuleHub({});
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  let packetId = 7000;
  for (const n of NODES) {
    gw.mesh(n.id, 'info', { longName: n.name, shortName: n.name.slice(0, 4), hwModel: 'SIM', role: 'CLIENT' }, { packetId: packetId++ });
    gw.mesh(n.id, 'position', { latitude: n.lat, longitude: n.lon, altitudeM: 500 }, { packetId: packetId++ });
  }
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.nodeId === NODES[2]!.id, { what: 'the nodes on the map' });
  // No internet: only the local feed; AFAD at a port nobody listens on.
  const settings = { usgsUrl: feed.url, afadUrl: 'http://127.0.0.1:9/apiv2/event/filter', emscUrl: '', kandilliUrl: '', pollIntervalS: 5, radiusKm: 50 };
  assert.equal((await api(hub, admin, '/api/v1/modules/birlikteyiz/settings', { method: 'PUT', body: settings })).status, 200);
  assert.equal((await api(hub, admin, '/api/v1/modules/birlikteyiz/enable', { method: 'POST' })).body.state, 'loaded');
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_opened', { what: 'a check-in round' });
  const point = await api(hub, admin, '/api/v1/modules/birlikteyiz/assembly-points', { method: 'POST', body: { name: 'Stadyum', latitude: 37.59, longitude: 36.95, capacity: 1500 } });
  assert.ok(point.status < 300, `assembly point: ${point.status}`);

  const browser = await launch();
  t.after(() => browser.close());
  const { context, page, problems } = await openPage(browser, hub, { size: 'phone', locale: 'tr-TR' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/modules');
  const panel = page.locator('section[aria-label="birlikteyiz paneli"]');
  const summary = panel.getByRole('status', { name: 'Yoklama özeti' });
  await summary.filter({ hasText: '0 güvende · 0 yardım gerekiyor · 3 yanıt yok' }).waitFor();

  // Two nodes answer over the mesh: one "I am safe", one SOS; the third stays silent.
  gw.mesh(NODES[0]!.id, 'alert', { level: 'SAFE', text: 'I am safe' }, { packetId: packetId++ });
  gw.mesh(NODES[1]!.id, 'alert', { level: 'SOS', text: 'SOS', requestId: 78 }, { packetId: packetId++ });
  await summary.filter({ hasText: '1 güvende · 1 yardım gerekiyor · 1 yanıt yok' }).waitFor();

  for (const heading of ['Birlikteyiz: depremler ve yoklamalar', 'Deprem kaynakları', 'Son depremler', 'Güvendeyim yoklaması', 'Toplanma alanları']) {
    await panel.getByRole('heading', { name: heading, exact: true }).waitFor();
  }
  for (const english of ['Birlikteyiz: earthquakes and check-ins', 'Feeds', 'Quakes', 'Check-in round', 'Assembly points']) {
    assert.equal(await panel.getByRole('heading', { name: english, exact: true }).count(), 0, `no English heading "${english}"`);
  }
  const table = panel.getByRole('table', { name: 'Güvendeyim yoklaması' });
  assert.deepEqual((await table.locator('th').allTextContents()).map((s) => s.trim()), ['Cihaz', 'Uzaklık', 'Durum', 'Yanıt']);
  assert.match(await panel.locator(`tr[data-node="${NODES[0]!.id}"]`).innerText(), /Güvende/);
  assert.match(await panel.locator(`tr[data-node="${NODES[1]!.id}"]`).innerText(), /Yardım gerekiyor/);
  assert.match(await panel.locator(`tr[data-node="${NODES[2]!.id}"]`).innerText(), /Henüz yanıt yok/);
  await panel.getByRole('list', { name: 'Toplanma alanları' }).getByText(/1\.500 kişilik/).waitFor();
  await panel.locator('li[data-source="usgs"]').filter({ hasText: 'çalışıyor' }).waitFor();
  await panel.locator('li[data-source="afad"][data-state="unreachable"]').filter({ hasText: 'ulaşılamıyor' }).waitFor();
  await panel.getByText('M5,8').first().waitFor();
  const text = await panel.innerText();
  for (const english of ['No answer yet', 'Needs help', 'Check in', 'Add and send to nodes', 'Latitude', 'Capacity', 'nodes', 'room for', 'last answered', 'open until', 'alerted the nodes']) {
    assert.ok(!text.includes(english), `no English "${english}" in the panel`);
  }
  // The check-in map's grid in Turkish: "37,6°K", "36,9°D", not "37.6°N", "36.9°E".
  await page.locator('section[aria-label="birlikteyiz paneli"] .graticule-label').filter({ hasText: '°' }).first().waitFor();
  const grid = (await page.locator('section[aria-label="birlikteyiz paneli"] .graticule-label').allTextContents()).filter((x) => x.includes('°'));
  assert.deepEqual(grid.filter((x) => !/^\d+(,\d+)?°[KGDB]?$/.test(x)), [], `the map's grid labels in Turkish (${grid.slice(0, 4).join(', ')})`);
  // On a phone the page grows to its widest content (and then it "fits"): the longer Turkish must not do that.
  assert.equal(await page.evaluate(() => window.innerWidth), 375, 'the page is as wide as the phone');
  await assertFitsWidth(page, 'the birlikteyiz panel in Turkish on a phone');
  // The whole screen from the top (the top bar stays put), and the panel alone.
  await page.evaluate(() => window.scrollTo(0, 0));
  const shots = artifactsDir('ui-module-i18n');
  await page.screenshot({ path: join(shots, 'modules-birlikteyiz-tr-phone.png'), fullPage: true });
  const box = (await panel.boundingBox())!;
  await page.screenshot({ path: join(shots, 'birlikteyiz-panel-tr-phone.png'), fullPage: true, clip: box });
  assert.deepEqual(await axe(page), [], 'axe on the birlikteyiz panel in Turkish');
  assert.deepEqual(problems, []);
});
