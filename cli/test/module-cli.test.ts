// `unibos module`: list, info, enable, disable and settings on the hub's modules.json (no hub
// running), `create`, whose scaffolded module passes its own test, and `run` of a module's own command.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { run } from '../commands/module.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await run(args, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

test('list, info, enable, settings and disable against modules.json with the hub stopped', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-module-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const common = ['--data-dir', dataDir];
  const list = await cli(['list', ...common]);
  assert.match(list.out, /^birlikteyiz\s+0\.1\.0\s+disabled/m);
  assert.equal((await cli(['enable', 'birlikteyiz', ...common])).code, 0);
  assert.match((await cli(['list', ...common])).out, /^birlikteyiz\s+0\.1\.0\s+enabled/m);
  const set = await cli(['settings', 'birlikteyiz', 'minMagnitude=5.5', 'usgsUrl=', ...common]);
  assert.equal(JSON.parse(set.out).minMagnitude, 5.5);
  assert.equal(JSON.parse(set.out).radiusKm, 150, 'defaults filled in from the schema');
  await assert.rejects(cli(['settings', 'birlikteyiz', 'minMagnitude=99', ...common]), /minMagnitude must be <= 10/);
  await cli(['disable', 'birlikteyiz', ...common]);
  const stored = JSON.parse(readFileSync(join(dataDir, 'modules.json'), 'utf8'));
  assert.equal(stored.modules.birlikteyiz.enabled, false);
  assert.equal(stored.modules.birlikteyiz.settings.minMagnitude, 5.5);
  const info = JSON.parse((await cli(['info', 'birlikteyiz', ...common])).out);
  assert.equal(info.manifest.category, 'emergency');
  await assert.rejects(cli(['enable', 'no-such-module', ...common]), /no module named 'no-such-module'/);
});

test('create scaffolds a module that passes its own test and can run its commands', async (t) => {
  const modulesDir = mkdtempSync(join(tmpdir(), 'unibos-scaffold-'));
  t.after(() => rmSync(modulesDir, { recursive: true, force: true }));
  // The scaffold imports @unibos/module-api and fastify as a module inside this repository would.
  symlinkSync(join(ROOT, 'node_modules'), join(modulesDir, 'node_modules'));
  const created = await cli(['create', 'river-gauge', '--modules-dir', modulesDir, '--category', 'iot']);
  assert.equal(created.code, 0);
  const dir = join(modulesDir, 'river-gauge');
  // A test run of its own (not a subtest of this one: the runner reports to a parent through NODE_TEST_CONTEXT).
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--test', join(dir, 'test', 'river-gauge.test.ts')], { cwd: ROOT, env });
  assert.match(stdout, /# pass 3/);
  assert.match(stdout, /# fail 0/);
  assert.match((await cli(['list', '--modules-dir', modulesDir, '--data-dir', modulesDir])).out, /^river-gauge\s+0\.1\.0\s+disabled/m);
  await assert.rejects(cli(['create', 'river-gauge', '--modules-dir', modulesDir]), /already exists/);
  const parse = await cli(['run', 'birlikteyiz', 'parse-feed', 'kandilli', join(ROOT, 'modules/birlikteyiz/test/fixtures/kandilli-lst0.html')]);
  assert.match(parse.out, /SOFALACI-ŞEHİTKAMİL \(GAZİANTEP\)/);
  assert.match(parse.out, /3 quakes, 1 entries rejected/);
});

test('against a running hub: a token it refuses is said as a token problem, in Turkish too', async () => {
  const { startTestHub } = await import('../../controlplane/test/support/test-hub.ts');
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const env = { ...process.env, UNIBOS_LANG: 'tr', LANG: 'tr_TR.UTF-8' };
  const refused = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/unibos.js'), 'module', 'list', '--hub', hub.url, '--token', 'bogus'], { cwd: ROOT, env }).then(
    () => null,
    (err: { code: number; stderr: string }) => err,
  );
  assert.ok(refused, 'a refused token is a failure');
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^unibos module: merkez bu anahtarı kabul etmiyor \(E_AUTH_INVALID\): merkezin bir yöneticisinin erişim anahtarını/m);
  assert.doesNotMatch(refused.stderr, /invalid access token/);
});

test('against a running hub: a module\u2019s own refusal keeps its code', async () => {
  const { startModuleHub } = await import('../../controlplane/test/support/module-test-hub.ts');
  const { createAdminSession } = await import('../../controlplane/test/support/test-auth.ts');
  const hub = await startModuleHub({});
  const admin = await createAdminSession(hub);
  const env = { ...process.env, UNIBOS_LANG: 'tr', LANG: 'tr_TR.UTF-8' };
  const refused = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/unibos.js'), 'module', 'settings', 'birlikteyiz', 'minMagnitude=99', '--hub', hub.url, '--token', admin.accessToken], { cwd: ROOT, env }).then(
    () => null,
    (err: { code: number; stderr: string }) => err,
  );
  assert.ok(refused, 'a refused setting is a failure');
  assert.match(refused.stderr, /^unibos module: E_MODULE_SETTINGS: .*minMagnitude must be <= 10/m);
});
