// A module whose setup failed and will be tried again (cctv without OpenCV is one): the Modules
// screen says when the next try is, counting down, in the reader's language. It said "next try
// just now" whatever the wait (a time to come went through the formatter for times past).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { api, createAdminSession } from './support/test-auth.ts';
import { startModuleHub, writeModules } from './support/module-test-hub.ts';
import { artifactsDir, launch, openPage, signIn } from './support/ui-browser.ts';

const host = { platform: 'linux' as const, alsoLinux: false, provides: { requires_lora: true, requires_gps: false, requires_camera: false } };

test('a module retrying its setup: when the next try is, counting down', async (t) => {
  // Not ready yet (E_MODULE_NOT_READY): the host tries again later, as for cctv without OpenCV.
  const hubJs = `export default async function plugin() { throw Object.assign(new Error('unavailable: OpenCV is switched off'), { code: 'E_MODULE_NOT_READY' }); }`;
  const root = writeModules({ camera: { files: { 'hub.js': hubJs } } });
  // Four minutes between tries, so the screen has a wait to show.
  const hub = await startModuleHub({ root, host, retry: { minMs: 240_000, maxMs: 240_000 } });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const enabled = await api(hub, admin, '/api/v1/modules/camera/enable', { method: 'POST' });
  assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
  let status = enabled.body;
  for (let i = 0; status.state !== 'setup_retry'; i++) {
    assert.ok(i < 200, `the module retries its setup: ${JSON.stringify(status)}`);
    status = (await api(hub, admin, '/api/v1/modules/camera')).body;
  }

  const browser = await launch();
  t.after(() => browser.close());
  for (const [locale, size, before, later] of [
    ['en-GB', 'laptop', /OpenCV is switched off \(next try in [34] min\)$/, /OpenCV is switched off \(next try in [12] min\)$/],
    ['tr-TR', 'phone', /OpenCV is switched off \(sonraki deneme [34] dk sonra\)$/, /OpenCV is switched off \(sonraki deneme [12] dk sonra\)$/],
  ] as const) {
    await t.test(`${locale} ${size}`, async () => {
      const { context, page, problems } = await openPage(browser, hub, { size, locale });
      t.after(() => context.close());
      await page.clock.install();
      await signIn(page, hub, admin, '#/modules');
      const error = page.locator('li[data-module="camera"] .module-error');
      await error.waitFor();
      assert.match((await error.innerText()).trim(), before);
      await page.screenshot({ path: join(artifactsDir('ui-module-retry'), `retry-${locale}-${size}.png`), fullPage: true });
      // Two minutes on: the wait has shrunk, without a reload.
      await page.clock.fastForward('02:00');
      await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('li[data-module="camera"] .module-error')?.textContent?.trim() ?? ''), later.source);
      assert.deepEqual(problems, []);
    });
  }
});
