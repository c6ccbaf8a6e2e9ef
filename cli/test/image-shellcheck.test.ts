// Every shell script of the image build passes shellcheck: they run as root on a build host and
// inside the image, where a quoting slip costs a bricked card.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

function scripts(dir: string): string[] {
  const found: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!['build', 'deploy', 'node_modules'].includes(e.name)) found.push(...scripts(p));
    } else if (e.isFile() && (e.name.endsWith('.sh') || /^#!.*\b(ba)?sh\b/.test(readFileSync(p, 'utf8').split('\n')[0] ?? '') || ['config', 'EXPORT_IMAGE'].includes(e.name))) {
      found.push(p);
    }
  }
  return found;
}

test('shellcheck passes on every script of images/ and pi-gen-config/', (t) => {
  if (spawnSync('shellcheck', ['--version']).status !== 0) {
    t.skip('skipped: shellcheck is not installed (apt-get install shellcheck; .ci/run installs it)');
    return;
  }
  const files = [...scripts(join(REPO, 'images')), ...scripts(join(REPO, 'pi-gen-config'))];
  assert.ok(files.length >= 10, `found the scripts: ${files.join(' ')}`);
  for (const f of files.filter((f) => f.endsWith('.sh') && !f.includes('/files/'))) assert.ok(statSync(f).mode & 0o100, `${f} is executable (pi-gen runs NN-run.sh only then)`);
  const run = spawnSync('shellcheck', ['-x', '--severity=info', ...files], { cwd: REPO, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});
