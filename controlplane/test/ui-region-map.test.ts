// The admin's street-level map for the area: an MBTiles file (raster) or a folder of tiles in
// <dataDir>/map/, served by the hub itself (no internet) and drawn over the Natural Earth base map.
// Also: the base map's outlines are served from the hub, and a broken region file does not stop it.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { startTestHub } from './support/test-hub.ts';
import { createAdminSession } from './support/test-auth.ts';
import { artifactsDir, launch, openPage, signIn } from './support/ui-browser.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-region-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An MBTiles file with every tile of zooms 0..3 (rows in TMS order, as the format has them). */
function writeMbtiles(path: string): void {
  const db = new Database(path);
  db.exec('CREATE TABLE metadata (name TEXT, value TEXT); CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);');
  const meta = db.prepare('INSERT INTO metadata VALUES (?, ?)');
  for (const [k, v] of [['format', 'png'], ['minzoom', '0'], ['maxzoom', '3'], ['bounds', '6.5,46.4,6.8,46.6'], ['attribution', 'Test region']]) meta.run(k, v);
  const tile = db.prepare('INSERT INTO tiles VALUES (?, ?, ?, ?)');
  for (let z = 0; z <= 3; z++) for (let x = 0; x < 2 ** z; x++) for (let y = 0; y < 2 ** z; y++) tile.run(z, x, y, Buffer.concat([PNG, Buffer.from(`${z}/${x}/${y}`)]));
  db.close();
}

test('an MBTiles region map is served in XYZ order and drawn on the map, with no request leaving the hub', async (t) => {
  const dataDir = tempDir();
  mkdirSync(join(dataDir, 'map'));
  writeMbtiles(join(dataDir, 'map', 'region.mbtiles'));
  const hub = await startTestHub({ dataDir });
  const config = (await (await fetch(`${hub.url}/api/v1/ui-config`)).json()) as { region: { url: string; minZoom: number; maxZoom: number; bounds: number[]; attribution: string } };
  assert.deepEqual(config.region, { url: '/map/region/{z}/{x}/{y}', minZoom: 0, maxZoom: 3, bounds: [6.5, 46.4, 6.8, 46.6], attribution: 'Test region' });
  const tile = await fetch(`${hub.url}/map/region/2/1/0`);
  assert.equal(tile.status, 200);
  assert.equal(tile.headers.get('content-type'), 'image/png');
  // XYZ row 0 at zoom 2 is TMS row 3.
  assert.ok(Buffer.from(await tile.arrayBuffer()).toString('latin1').endsWith('2/1/3'));
  const missing = await fetch(`${hub.url}/map/region/9/0/0`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { code: string }).code, 'E_NOT_FOUND');
  assert.equal((await fetch(`${hub.url}/map/region/x/0/0`)).status, 404);
  assert.equal((await fetch(`${hub.url}/vendor/world-atlas/countries-110m.json`)).status, 200, 'the base map comes from the hub');
  assert.equal((await fetch(`${hub.url}/vendor/world-atlas/package.json`)).status, 404, 'only the outlines are served');

  const browser = await launch();
  t.after(() => browser.close());
  const admin = await createAdminSession(hub);
  const { page, problems } = await openPage(browser, hub);
  await signIn(page, hub, admin, '#/map');
  await page.locator('#node-map img.region-tiles, #node-map .region-tiles img.leaflet-tile-loaded').first().waitFor();
  await page.screenshot({ path: join(artifactsDir('ui-region-map'), 'region-map-laptop.png') });
  assert.deepEqual(problems, []);
});

test('a folder of tiles works too, and a broken region file leaves the base map', async () => {
  const folder = tempDir();
  mkdirSync(join(folder, 'map', 'tiles', '1', '0'), { recursive: true });
  writeFileSync(join(folder, 'map', 'tiles', '1', '0', '1.png'), PNG);
  const hub = await startTestHub({ dataDir: folder });
  const config = (await (await fetch(`${hub.url}/api/v1/ui-config`)).json()) as { region: { minZoom: number; maxZoom: number } };
  assert.equal(config.region.minZoom, 1);
  assert.equal((await fetch(`${hub.url}/map/region/1/0/1`)).status, 200);
  assert.equal((await fetch(`${hub.url}/map/region/1/0/0`)).status, 404);

  const broken = tempDir();
  mkdirSync(join(broken, 'map'));
  writeFileSync(join(broken, 'map', 'region.mbtiles'), 'not a database');
  const hub2 = await startTestHub({ dataDir: broken });
  assert.deepEqual(await (await fetch(`${hub2.url}/api/v1/ui-config`)).json(), { mapTileUrl: null, region: null });
});
