// `unibos sim` as a user runs it: a real subprocess, its table, its SVG, its errors.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/unibos.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'unibos-sim-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function unibos(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as NodeJS.ErrnoException & { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('sim prints a row per strategy and writes the topology picture', async () => {
  const svg = join(dir, 'mesh.svg');
  const r = await unibos(['sim', '--nodes', '12', '--topology', 'grid', '--frames', '5', '--loss', '0', '--hop-limit', '7', '--svg', svg]);
  assert.equal(r.code, 0, r.stderr);
  // Plain flooding and ours reach every node of a lossless grid; the baseline may lose some to
  // collisions and early cancels, but it has its row.
  for (const s of ['naive', 'ours']) assert.match(r.stdout, new RegExp(`^\\s+${s}\\s+100\\.0\\s`, 'm'), `${s} reaches every node`);
  assert.match(r.stdout, /^\s+baseline\s+\d+\.\d\s/m);
  assert.match(r.stdout, /dup deliveries/);
  const picture = readFileSync(svg, 'utf8');
  assert.match(picture, /^<svg|^<\?xml/);
  assert.equal((picture.match(/<circle/g) ?? []).length >= 12, true, 'one circle per node');
  // Every strategy is drawn, side by side, each with its latency-over-hops chart.
  assert.deepEqual([...picture.matchAll(/data-strategy="([^"]+)"/g)].map((m) => m[1]), ['naive', 'baseline', 'ours']);
  assert.equal((picture.match(/Delivery latency by hops/g) ?? []).length, 3);
});

test('sim runs the mixed region (town, villages, hilltops) and draws its hilltop relays', async () => {
  const svg = join(dir, 'region.svg');
  const r = await unibos(['sim', '--topology', 'mixed', '--nodes', '120', '--frames', '3', '--strategy', 'baseline', '--svg', svg]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /120 nodes, mixed/);
  assert.equal((readFileSync(svg, 'utf8').match(/class="node hilltop"/g) ?? []).length, 2);
});

test('the same seed gives the same run; another seed a different one', async () => {
  const args = ['sim', '--nodes', '15', '--frames', '4', '--strategy', 'ours', '--svg', join(dir, 'a.svg')];
  const a = await unibos([...args, '--seed', '3']);
  const b = await unibos([...args, '--seed', '3']);
  const c = await unibos([...args, '--seed', '4']);
  const table = (s: string): string => s.split('topology picture')[0]!;
  assert.equal(table(a.stdout), table(b.stdout));
  assert.notEqual(table(a.stdout), table(c.stdout));
});

test('a bad option is refused with a message naming it and exit code 2', async () => {
  const r = await unibos(['sim', '--loss', 'lots']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--loss must be a number/);
  const u = await unibos(['sim', '--colour', 'red']);
  assert.equal(u.code, 2);
  assert.match(u.stderr, /colour/);
  const unknown = await unibos(['teleport']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'teleport'/);
});
