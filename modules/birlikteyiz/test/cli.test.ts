// `unibos module run birlikteyiz parse-feed`: a file that is missing, of another format or far too
// big (a USB stick's wrong file) gets one clear line and a non-zero exit, never a stack trace.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { commands } from '../src/birlikteyiz-cli.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await commands['parse-feed'].run(argv, (l) => lines.push(l));
  return { code, lines };
}

test('parse-feed lists the quakes of a saved document', async () => {
  const r = await run(['usgs', fixture('usgs-summary.geojson')]);
  assert.equal(r.code, 0);
  assert.equal(r.lines.at(-1), '2 quakes, 2 entries rejected');
});

test('parse-feed on a missing file, a document of another format or a huge file says so in one line, no throw', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'birlikteyiz-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = await run(['usgs', join(dir, 'nope.geojson')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.lines.join('\n'), /nope\.geojson/);
  const wrong = await run(['usgs', fixture('kandilli-lst0.html')]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.lines.join('\n'), /not a GeoJSON FeatureCollection/);
  const big = join(dir, 'big.json');
  writeFileSync(big, '');
  // A sparse file: 5 GB that take no room on the disk.
  const { truncateSync } = await import('node:fs');
  truncateSync(big, 5 * 1024 ** 3);
  const huge = await run(['afad', big]);
  assert.notEqual(huge.code, 0);
  assert.match(huge.lines.join('\n'), /big\.json/);
});
