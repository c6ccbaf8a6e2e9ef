// The README promises a Node.js release (Debian and Raspberry Pi OS trixie ship 20.19): every
// installed dependency must accept it, or `npm ci` warns EBADENGINE and the package
// may use what that Node lacks (fastify's light-my-request pulled cookie@2, Node >= 22).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
const semver = createRequire(join(ROOT, 'package.json'))('semver') as { satisfies(v: string, range: string): boolean; validRange(r: string): string | null };

/** "Node.js 20.19 or newer" in the README: the release as written (20.19) and as a version (20.19.0). */
function promised(): { written: string; version: string } {
  const m = /Node\.js (\d+)(?:\.(\d+))? or newer/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  assert.ok(m, 'the README says which Node.js it needs ("Node.js N.M or newer")');
  return { written: m[2] === undefined ? m[1]! : `${m[1]}.${m[2]}`, version: `${m[1]}.${m[2] ?? 0}.0` };
}

test('the root engines field says what the README promises', () => {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines?: { node?: string } };
  assert.equal(root.engines?.node, `>=${promised().written}`);
});

test('no installed dependency excludes the Node.js version the README promises', () => {
  const { version } = promised();
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: unknown; link?: boolean }> };
  const excluded: string[] = [];
  let checked = 0;
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.includes('node_modules/') || entry.link) continue;
    // What is on disk wins over the lock: it is what runs.
    const manifest = join(ROOT, path, 'package.json');
    const engines = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { engines?: unknown }).engines : entry.engines;
    const range = engines && typeof engines === 'object' && typeof (engines as { node?: unknown }).node === 'string' ? (engines as { node: string }).node : null;
    if (range === null || semver.validRange(range) === null) continue;
    checked++;
    if (!semver.satisfies(version, range)) excluded.push(`${path.replace(/^.*node_modules\//, '')}@${entry.version ?? '?'} wants node ${range}`);
  }
  assert.ok(checked > 50, `engines were read from the installed packages (${checked})`);
  assert.deepEqual(excluded, [], `these need a newer Node than ${version}: pin an older version in the root package.json "overrides"`);
});
