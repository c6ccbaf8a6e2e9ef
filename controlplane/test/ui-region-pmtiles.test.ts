// A PMTiles archive as the admin's region map (issue 19): read in place by the hub (root and leaf
// directories, run-length entries, gzip-compressed directories and metadata), served in XYZ
// order, drawn on the map with no request leaving the hub; a vector or damaged archive leaves the
// base map working.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { zxyToTileId } from '../src/ui/pmtiles-archive.ts';
import { startTestHub } from './support/test-hub.ts';
import { createAdminSession } from './support/test-auth.ts';
import { artifactsDir, launch, openPage, signIn } from './support/ui-browser.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-pmtiles-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function varints(values: number[]): Buffer {
  const out: number[] = [];
  for (let v of values) {
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
  }
  return Buffer.from(out);
}

interface Entry {
  tileId: number;
  offset: number;
  length: number;
  runLength: number;
}

function directory(entries: Entry[]): Buffer {
  let last = 0;
  return varints([
    entries.length,
    ...entries.map((e) => [e.tileId - last, (last = e.tileId)][0]!),
    ...entries.map((e) => e.runLength),
    ...entries.map((e) => e.length),
    ...entries.map((e) => e.offset + 1),
  ]);
}

/**
 * A PMTiles v3 file as the spec lays it out: header, root directory, metadata, leaf directories,
 * tile data. Every tile of zooms 0..2 is a PNG followed by its z/x/y, except zoom 2's last
 * quarter, one shared tile under a single run-length entry. `leaf` puts the entries in a leaf.
 */
function writePmtiles(path: string, o: { leaf?: boolean; tileType?: number } = {}): void {
  const tiles: Array<{ id: number; body: Buffer; run: number }> = [];
  for (let z = 0; z <= 2; z++) for (let x = 0; x < 2 ** z; x++) for (let y = 0; y < 2 ** z; y++) tiles.push({ id: zxyToTileId(z, x, y), body: Buffer.concat([PNG, Buffer.from(`${z}/${x}/${y}`)]), run: 1 });
  tiles.sort((a, b) => a.id - b.id);
  // Zoom 2 runs from id 5 to 20: ids 17..20 become one shared ("sea") tile.
  const kept = tiles.filter((t) => t.id < 17);
  kept.push({ id: 17, body: Buffer.concat([PNG, Buffer.from('sea')]), run: 4 });
  let offset = 0;
  const entries = kept.map((t) => {
    const e = { tileId: t.id, offset, length: t.body.length, runLength: t.run };
    offset += t.body.length;
    return e;
  });
  const data = Buffer.concat(kept.map((t) => t.body));
  const leafDir = o.leaf ? gzipSync(directory(entries)) : Buffer.alloc(0);
  const root = gzipSync(directory(o.leaf ? [{ tileId: 0, offset: 0, length: leafDir.length, runLength: 0 }] : entries));
  const meta = gzipSync(Buffer.from(JSON.stringify({ attribution: 'Test PMTiles region' })));
  const h = Buffer.alloc(127);
  h.write('PMTiles', 0, 'latin1');
  h[7] = 3;
  const at = { root: 127, meta: 127 + root.length, leaves: 127 + root.length + meta.length, data: 127 + root.length + meta.length + leafDir.length };
  const u64 = (pos: number, v: number) => h.writeBigUInt64LE(BigInt(v), pos);
  u64(8, at.root);
  u64(16, root.length);
  u64(24, at.meta);
  u64(32, meta.length);
  u64(40, at.leaves);
  u64(48, leafDir.length);
  u64(56, at.data);
  u64(64, data.length);
  u64(72, tiles.length);
  u64(80, kept.length);
  u64(88, kept.length);
  h[96] = 1;
  h[97] = 2; // directories and metadata gzip
  h[98] = 1; // tiles as they are
  h[99] = o.tileType ?? 2; // png
  h[100] = 0;
  h[101] = 2;
  h.writeInt32LE(65_000_000, 102);
  h.writeInt32LE(464_000_000, 106);
  h.writeInt32LE(68_000_000, 110);
  h.writeInt32LE(466_000_000, 114);
  writeFileSync(path, Buffer.concat([h, root, meta, leafDir, data]));
}

test('tile ids follow the spec’s Hilbert curve', () => {
  assert.deepEqual([[0, 0, 0], [1, 0, 0], [1, 0, 1], [1, 1, 1], [1, 1, 0], [2, 0, 0], [12, 3423, 1763]].map(([z, x, y]) => zxyToTileId(z!, x!, y!)), [0, 1, 2, 3, 4, 5, 19078479]);
});

for (const leaf of [false, true]) {
  test(`a PMTiles region map (${leaf ? 'entries in a leaf directory' : 'entries in the root'}) is served in XYZ order`, async () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'map'));
    writePmtiles(join(dataDir, 'map', 'region.pmtiles'), { leaf });
    const hub = await startTestHub({ dataDir });
    const config = (await (await fetch(`${hub.url}/api/v1/ui-config`)).json()) as { region: unknown };
    assert.deepEqual(config.region, { url: '/map/region/{z}/{x}/{y}', minZoom: 0, maxZoom: 2, bounds: [6.5, 46.4, 6.8, 46.6], attribution: 'Test PMTiles region' });
    for (const [z, x, y] of [[0, 0, 0], [1, 1, 0], [2, 0, 3], [2, 3, 1]] as const) {
      const res = await fetch(`${hub.url}/map/region/${z}/${x}/${y}`);
      assert.equal(res.status, 200, `${z}/${x}/${y}`);
      assert.equal(res.headers.get('content-type'), 'image/png');
      const tail = Buffer.from(await res.arrayBuffer()).subarray(PNG.length).toString('latin1');
      const shared = zxyToTileId(z, x, y) >= 17;
      assert.equal(tail, shared ? 'sea' : `${z}/${x}/${y}`, `${z}/${x}/${y}`);
    }
    assert.equal((await fetch(`${hub.url}/map/region/3/0/0`)).status, 404, 'beyond the archive’s zooms');
    assert.equal((await fetch(`${hub.url}/map/region/1/2/0`)).status, 404, 'outside the zoom’s tiles');
  });
}

test('a PMTiles region is drawn on the map with no request leaving the hub', async (t) => {
  const dataDir = tempDir();
  mkdirSync(join(dataDir, 'map'));
  writePmtiles(join(dataDir, 'map', 'region.pmtiles'), { leaf: true });
  const hub = await startTestHub({ dataDir });
  const browser = await launch();
  t.after(() => browser.close());
  const admin = await createAdminSession(hub);
  const { page, problems } = await openPage(browser, hub);
  await signIn(page, hub, admin, '#/map');
  await page.locator('#node-map .region-tiles img.leaflet-tile-loaded').first().waitFor();
  assert.match(await page.locator('#node-map .leaflet-control-attribution').innerText(), /Test PMTiles region/);
  // Over the Natural Earth land fill, not hidden under it.
  const [base, tiles] = await page.evaluate(() => ['.leaflet-base-pane', '.leaflet-tile-pane'].map((s) => Number(getComputedStyle(document.querySelector(s)!).zIndex)));
  assert.ok(base! < tiles!, `the region map draws above the base map (z-index ${base} < ${tiles})`);
  await page.screenshot({ path: join(artifactsDir('ui-region-pmtiles'), 'pmtiles-laptop.png') });
  assert.deepEqual(problems, []);
});

test('a vector archive or a damaged one leaves the base map working', async () => {
  for (const write of [(p: string) => writePmtiles(p, { tileType: 1 }), (p: string) => writeFileSync(p, Buffer.concat([Buffer.from('PMTiles'), Buffer.from([3]), Buffer.alloc(200)]))]) {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'map'));
    write(join(dataDir, 'map', 'region.pmtiles'));
    const hub = await startTestHub({ dataDir });
    assert.deepEqual(await (await fetch(`${hub.url}/api/v1/ui-config`)).json(), { mapTileUrl: null, region: null });
    assert.equal((await fetch(`${hub.url}/vendor/world-atlas/countries-110m.json`)).status, 200);
  }
});
