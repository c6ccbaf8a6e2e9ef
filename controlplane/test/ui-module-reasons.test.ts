// Why a module does not work, in the reader's language: the Modules screen says the module host's
// reasons (manifest, platform, dependencies, setup failed, not ready with the next try counting
// down; and its refusal to enable a module, by the same code) and a module's own (cctv without OpenCV, from its manifest's translations) in Turkish for a
// Turkish operator, from each reason's code and values, never by matching the English; a code it
// has no words for reads as the hub wrote it. cctv's panel says each camera's reason in Turkish
// too, with no camera password on screen. At phone and laptop size, nothing wider than the screen.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testHooks } from '../../modules/cctv/src/cctv-plugin.ts';
import type { MotionWorker } from '../../modules/cctv/src/motion/motion-worker-client.ts';
import { api, createAdminSession, type TestSession } from './support/test-auth.ts';
import { startModuleHub, writeModules } from './support/module-test-hub.ts';
import type { TestHub } from './support/test-hub.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const CCTV = fileURLToPath(new URL('../../modules/cctv', import.meta.url));
const SHOTS = artifactsDir('ui-module-reasons');
const host = { platform: 'linux' as const, alsoLinux: false, provides: { requires_lora: true, requires_gps: false, requires_camera: true } };
const VIEWPORTS = [
  ['375x812', { width: 375, height: 812 }],
  ['1366x800', { width: 1366, height: 800 }],
] as const;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Enables `name` and waits until its setup has settled (or is waiting for its next try). */
async function enableAndSettle(hub: TestHub, admin: TestSession, name: string, settings?: Record<string, unknown>): Promise<Record<string, any>> {
  let status = (await api(hub, admin, `/api/v1/modules/${name}/enable`, { method: 'POST', body: settings ? { settings } : {} })).body;
  for (let i = 0; ['setup_in_progress', 'not_loaded', 'disabled'].includes(status.state); i++) {
    assert.ok(i < 400, `${name} settles: ${JSON.stringify(status)}`);
    status = (await api(hub, admin, `/api/v1/modules/${name}`)).body;
  }
  return status;
}

test("the Modules screen says each module's reason in Turkish, from its code", async (t) => {
  // A machine without OpenCV: the module's search for the build finds an empty folder.
  const before = process.env.UNIBOS_OPENCV4NODEJS;
  process.env.UNIBOS_OPENCV4NODEJS = tempDir('no-opencv-');
  after(() => {
    if (before === undefined) delete process.env.UNIBOS_OPENCV4NODEJS;
    else process.env.UNIBOS_OPENCV4NODEJS = before;
  });
  const deps = (modules: Record<string, string>) => ({ dependencies: { core: '>=0.1.0', modules } });
  const root = writeModules({
    broken: { manifest: { category: 'toys' } },
    winonly: { manifest: { platforms: ['windows'] } },
    needy: { manifest: deps({ ghost: '^2.0.0' }) },
    base: {},
    old: { manifest: deps({ base: '^2.0.0' }) },
    'loop-a': { manifest: deps({ 'loop-b': '^1.0.0' }) },
    'loop-b': { manifest: deps({ 'loop-a': '^1.0.0' }) },
    waiting: { files: { 'hub.js': `export default async function plugin() { throw Object.assign(new Error('the feed server does not answer'), { code: 'E_MODULE_NOT_READY' }); }` } },
    crashy: { files: { 'hub.js': `export default async function plugin() { throw new Error('cannot open the port'); }` } },
    strange: { files: { 'hub.js': `export default async function plugin() { throw Object.assign(new Error('a reason this screen has no words for'), { problem: { code: 'strange.unheard_of', params: {} } }); }` } },
  });
  // The real cctv module, beside the test modules.
  symlinkSync(CCTV, join(root, 'cctv'), 'dir');
  const hub = await startModuleHub({ root, host, retry: { minMs: 240_000, maxMs: 240_000 } });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  assert.equal((await enableAndSettle(hub, admin, 'waiting')).state, 'setup_retry');
  assert.equal((await enableAndSettle(hub, admin, 'crashy')).state, 'setup_error');
  assert.equal((await enableAndSettle(hub, admin, 'strange')).state, 'setup_error');
  const cctv = await enableAndSettle(hub, admin, 'cctv', { mediaDir: tempDir('cctv-media-'), cameras: [{ id: 'yard', source: 'synthetic:walker' }] });
  assert.equal(cctv.state, 'setup_error', `cctv without OpenCV settles: ${JSON.stringify(cctv)}`);

  const expected = {
    tr: {
      broken: /^Bildirim dosyası \(module\.json\) geçerli değil: .*category: must be one of/,
      winonly: /^windows üzerinde çalışır; bu merkez linux$/,
      needy: /^"ghost" modülüne \(\^2\.0\.0\) bağlı, ama o modül kurulu değil$/,
      old: /^"base" modülünün \^2\.0\.0 sürümüne bağlı; kurulu olan 1\.0\.0$/,
      'loop-a': /^Bağımlılık döngüsü: loop-a -> loop-b -> loop-a$/,
      waiting: /^Henüz hazır değil: the feed server does not answer \(sonraki deneme [34] dk sonra\)$/,
      crashy: /^Kurulum başarısız: cannot open the port$/,
      strange: /^a reason this screen has no words for$/,
      cctv: /^Kullanılamıyor: OpenCV kurulu değil \(.+\)\. Kurmak için: apt-get install libopencv-dev, ardından bash \.ci\/opencv4nodejs\.sh \(modules\/cctv\/README\.md\); sonra merkezi yeniden başlatın\.$/,
    },
    en: {
      broken: /^The manifest \(module\.json\) is not valid: .*category: must be one of/,
      winonly: /^Runs on windows; this hub is linux$/,
      needy: /^Depends on module "ghost" \(\^2\.0\.0\), which is not installed$/,
      old: /^Depends on module "base" \^2\.0\.0; the one installed is 1\.0\.0$/,
      'loop-a': /^Dependency cycle: loop-a -> loop-b -> loop-a$/,
      waiting: /^Not ready yet: the feed server does not answer \(next try in [34] min\)$/,
      crashy: /^Setup failed: cannot open the port$/,
      strange: /^a reason this screen has no words for$/,
      cctv: /^unavailable: OpenCV is not installed \(opencv4nodejs is not built: .+\): apt-get install libopencv-dev, then bash \.ci\/opencv4nodejs\.sh \(modules\/cctv\/README\.md\), then restart$/,
    },
  } as const;

  const browser = await launch();
  t.after(() => browser.close());
  for (const [lang, locale] of [
    ['tr', 'tr-TR'],
    ['en', 'en-GB'],
  ] as const) {
    for (const [size, viewport] of VIEWPORTS) {
      await t.test(`${lang} ${size}`, async () => {
        const { context, page, problems } = await openPage(browser, hub, { locale, viewport });
        t.after(() => context.close());
        await signIn(page, hub, admin, '#/modules');
        await page.locator('li[data-module="cctv"] .module-error').waitFor();
        for (const [name, re] of Object.entries(expected[lang])) {
          const text = (await page.locator(`li[data-module="${name}"] .module-error`).innerText()).trim();
          assert.match(text, re, `${name} in ${lang}`);
        }
        // Enabling it anyway is refused for that reason, and the refusal reads in the same language.
        await page.getByRole('button', { name: lang === 'tr' ? '"old" modülünü etkinleştir' : 'Enable old', exact: true }).click();
        assert.match((await page.locator('.toast--error').last().innerText()).trim(), expected[lang].old, `the refusal to enable old in ${lang}`);
        mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: join(SHOTS, `modules-reason-${lang}-${size}.png`), fullPage: true });
        await assertFitsWidth(page, `modules ${lang} ${size}`);
        assert.deepEqual(problems, []);
      });
    }
  }
});

test("cctv's panel says why each camera does not work in Turkish, with no password on screen", async (t) => {
  // A camera that asks for other credentials (401), a V4L2 device that is not plugged in and a
  // recording ffmpeg cannot read; the motion worker is a stand-in, so this runs with or without OpenCV.
  const clip = join(tempDir('cctv-clip-'), 'clip.mp4');
  writeFileSync(clip, 'not a video at all');
  const camera = createServer((_req, res) => void res.writeHead(401).end());
  await new Promise<void>((r) => camera.listen(0, '127.0.0.1', r));
  t.after(() => camera.close());
  const port = (camera.address() as AddressInfo).port;
  testHooks.service = {
    startWorker: async () => ({ opencv: 'stub', pid: -1, busy: false, close: async () => {}, process: async () => ({ type: 'result', id: 0, detection: { regions: [], changed: 0, lighting: false }, ms: 0 }) }) as unknown as MotionWorker,
    backoff: { minMs: 600_000, maxMs: 600_000 },
  };
  t.after(() => void (testHooks.service = undefined));
  const hub = await startModuleHub({});
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const cameras = [
    { id: 'gate', name: 'Gate', source: '/dev/video97' },
    { id: 'door', name: 'Door', source: `http://admin:s3cret-pw@127.0.0.1:${port}/video?pwd=s3cret-pw` },
    { id: 'clip', name: 'Clip', source: `file:${clip}` },
  ];
  assert.equal((await enableAndSettle(hub, admin, 'cctv', { mediaDir: tempDir('cctv-media-'), cameras, clipSeconds: 0 })).state, 'loaded');

  const browser = await launch();
  t.after(() => browser.close());
  for (const [size, viewport] of VIEWPORTS) {
    await t.test(`tr ${size}`, async () => {
      const { context, page, problems } = await openPage(browser, hub, { locale: 'tr-TR', viewport });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/modules');
      const panel = page.getByRole('region', { name: 'cctv panel' }).or(page.locator('section.module-panel'));
      const door = panel.locator('tr[data-camera="door"] td:nth-child(3)');
      await door.filter({ hasText: /HTTP/ }).waitFor();
      assert.equal((await panel.locator('tr[data-camera="gate"] td:nth-child(3)').innerText()).trim(), 'yeniden bağlanıyor: /dev/video97 yok (kamera takılı mı? Pi kamerası için libcamera’nın V4L2 uyumluluğu gerekir)');
      assert.match((await door.innerText()).trim(), new RegExp(`^yeniden bağlanıyor: http://admin:\\*\\*\\*@127\\.0\\.0\\.1:${port}/video\\?pwd=\\*\\*\\* HTTP 401 yanıtı verdi$`));
      const ffmpeg = panel.locator('tr[data-camera="clip"] td:nth-child(3)').filter({ hasText: /ffmpeg/ });
      await ffmpeg.waitFor();
      assert.match((await ffmpeg.innerText()).trim(), /^yeniden bağlanıyor: (ffmpeg \S+clip\.mp4 kaynağında başarısız oldu: .+|ffmpeg kurulu değil \(apt-get install ffmpeg\))$/);
      assert.equal((await panel.locator('.cctv-summary').innerText()).trim(), 'Kullanılamıyor: hiçbir kamera çalışmıyor.');
      // Under the summary too, where a phone shows it without scrolling the table sideways.
      const listed = panel.getByRole('list', { name: 'Kameralar neden çalışmıyor' });
      await listed.locator('li[data-camera="door"]').filter({ hasText: /HTTP 401/ }).waitFor();
      assert.equal((await listed.locator('li[data-camera="gate"]').innerText()).trim(), 'Gate: /dev/video97 yok (kamera takılı mı? Pi kamerası için libcamera’nın V4L2 uyumluluğu gerekir)');
      const box = await listed.locator('li[data-camera="gate"]').boundingBox();
      assert.ok(box && box.x + box.width <= viewport.width, `the reason is on screen at ${size}`);
      assert.doesNotMatch(await page.locator('body').innerText(), /s3cret/, 'no camera password on screen');
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `modules-reason-cctv-cameras-tr-${size}.png`), fullPage: true });
      await assertFitsWidth(page, `cctv panel tr ${size}`);
      assert.deepEqual(problems, []);
    });
  }
  await api(hub, admin, '/api/v1/modules/cctv/disable', { method: 'POST' });
});
