// cctv's screen as a hub admin sees it, at phone and laptop size, in English and Turkish: a
// heading; each camera by its name with its source (its password ***), its state and why, when it
// last saw motion, its zones and whether its thumbnails leave the device; no raw JSON; Turkish
// that says "cihaz" as the rest of the hub does. With no camera, it says so and what to do, and
// its button opens the module's settings at the cameras. The motion worker is a stand-in, so this
// runs with or without OpenCV.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { testHooks } from '../../modules/cctv/src/cctv-plugin.ts';
import type { MotionWorker } from '../../modules/cctv/src/motion/motion-worker-client.ts';
import { waitForEvent } from './support/hub-events.ts';
import { startModuleHub } from './support/module-test-hub.ts';
import { api, createAdminSession, type TestSession } from './support/test-auth.ts';
import type { TestHub } from './support/test-hub.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-cctv-screen');
const SIZES = [
  ['375x812', { size: 'phone' as const }],
  ['1366x800', { viewport: { width: 1366, height: 800 } }],
] as const;
const LANGS = [
  ['en', 'en-GB'],
  ['tr', 'tr-TR'],
] as const;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A motion worker (no OpenCV needed) that sees something move from its 10th frame on: a real one
 * learns the background first, and by then the hub listens to the module's motion.
 */
function movingWorker(): void {
  const region = { zone: 'frame', area: 0.04, box: { x: 0.1, y: 0.2, w: 0.2, h: 0.3 } };
  testHooks.service = {
    startWorker: async () => {
      let frames = 0;
      const process = async () => ({ type: 'result', id: 0, detection: { regions: ++frames >= 10 ? [region] : [], changed: 0.04, lighting: false }, ms: 0 });
      return { opencv: 'stub', pid: -1, busy: false, close: async () => {}, process } as unknown as MotionWorker;
    },
    backoff: { minMs: 600_000, maxMs: 600_000 },
  };
  after(() => void (testHooks.service = undefined));
}

/** Enables cctv with `settings` and waits until its setup has settled. */
async function enableCctv(hub: TestHub, admin: TestSession, settings: Record<string, unknown>): Promise<Record<string, any>> {
  let status = (await api(hub, admin, '/api/v1/modules/cctv/enable', { method: 'POST', body: { settings } })).body;
  for (let i = 0; ['setup_in_progress', 'not_loaded', 'disabled'].includes(status.state); i++) {
    assert.ok(i < 400, `cctv settles: ${JSON.stringify(status)}`);
    status = (await api(hub, admin, '/api/v1/modules/cctv')).body;
  }
  return status;
}

test("cctv's screen shows each camera by name, source without password, state, last motion, zones and thumbnails", async (t) => {
  movingWorker();
  // An IP camera that wants other credentials (401): it keeps reconnecting, with the reason.
  const ipCamera = createServer((_req, res) => void res.writeHead(401).end());
  await new Promise<void>((r) => ipCamera.listen(0, '127.0.0.1', r));
  t.after(() => ipCamera.close());
  const port = (ipCamera.address() as AddressInfo).port;
  const hub = await startModuleHub({});
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const square = [
    [0, 0],
    [0.5, 0],
    [0.5, 0.5],
  ];
  const cameras = [
    { id: 'yard', name: 'Yard', source: 'synthetic:quiet', upload: true },
    {
      id: 'door',
      name: 'Front door',
      source: `http://admin:s3cret-pw@127.0.0.1:${port}/video?pwd=s3cret-pw`,
      zones: [
        { name: 'Porch', kind: 'include', points: square },
        { name: 'Road', kind: 'exclude', points: square },
      ],
    },
  ];
  // Module events go out live (they are not kept in the hub's log): listened for before cctv starts.
  const moved = waitForEvent(hub, admin.orgId, (e) => e.type === 'module.cctv.motion' && e.data.camera === 'yard', { what: 'motion at the yard', timeoutMs: 30_000 });
  assert.equal((await enableCctv(hub, admin, { mediaDir: tempDir('cctv-media-'), cameras, clipSeconds: 0, snapshots: false })).state, 'loaded');
  await moved;
  // The door's first attempt was refused before cctv's setup ended (a camera's start waits for it).
  const door = (await api(hub, admin, '/api/v1/modules/cctv/cameras/door')).body;
  assert.equal(door.state, 'reconnecting', JSON.stringify(door));

  const expected = {
    en: {
      heading: 'CCTV: cameras and motion',
      live: 'live',
      // The one motion event came before the browser started: a slow run reads it minutes later.
      yardMotion: /^(just now|\d+ s ago|\d+ min ago) \(1 event\)$/,
      doorState: new RegExp(`^reconnecting: http://admin:\\*\\*\\*@127\\.0\\.0\\.1:${port}/video\\?pwd=\\*\\*\\* answered HTTP 401$`),
      doorZones: '1 zone watched: Porch; 1 zone ignored: Road',
      yardZones: 'the whole picture',
      sent: 'sent to the hub',
      kept: 'kept on the device',
      foreign: ['yeniden bağlanıyor', 'Kamera', 'cihaz'],
    },
    tr: {
      heading: 'CCTV: kameralar ve hareket',
      live: 'canlı',
      yardMotion: /^(az önce|\d+ sn önce|\d+ dk önce) \(1 olay\)$/,
      doorState: new RegExp(`^yeniden bağlanıyor: http://admin:\\*\\*\\*@127\\.0\\.0\\.1:${port}/video\\?pwd=\\*\\*\\* HTTP 401 yanıtı verdi$`),
      doorZones: '1 bölge izleniyor: Porch; 1 bölge yok sayılıyor: Road',
      yardZones: 'tüm görüntü',
      sent: 'merkeze gönderiliyor',
      kept: 'cihazda kalıyor',
      foreign: ['reconnecting', 'Camera', 'Source', 'Last motion', 'Thumbnails', 'kept on', 'the hub', 'node', 'düğüm'],
    },
  } as const;

  const browser = await launch();
  t.after(() => browser.close());
  for (const [lang, locale] of LANGS) {
    for (const [size, view] of SIZES) {
      await t.test(`${lang} ${size}`, async () => {
        const want = expected[lang];
        const { context, page, problems } = await openPage(browser, hub, { locale, ...view });
        t.after(() => context.close());
        await signIn(page, hub, admin, '#/modules/cctv');
        const panel = page.locator('section.module-panel');
        await panel.getByRole('heading', { level: 2, name: want.heading, exact: true }).waitFor();
        const table = panel.getByRole('table', { name: lang === 'tr' ? 'Kameralar' : 'Cameras', exact: true });
        const yard = table.getByRole('row', { name: /Yard/ });
        const doorRow = table.getByRole('row', { name: /Front door/ });
        // Each camera by its name, in a row of its own (a card on a phone).
        assert.equal((await yard.getByRole('rowheader').innerText()).trim(), 'Yard');
        assert.equal((await doorRow.getByRole('rowheader').innerText()).trim(), 'Front door');
        const cell = (row: typeof yard, n: number) => row.locator(`td:nth-of-type(${n}) .cell-value`);
        assert.equal((await cell(yard, 1).innerText()).trim(), 'synthetic:quiet');
        assert.equal((await cell(yard, 2).innerText()).trim(), want.live);
        await cell(yard, 4).filter({ hasText: want.yardMotion }).waitFor();
        assert.equal((await cell(yard, 5).innerText()).trim(), want.yardZones);
        assert.equal((await cell(yard, 6).innerText()).trim(), want.sent);
        // The door's password is *** in its source and in its reason: the module's labels, as the hub's settings show them.
        assert.equal((await cell(doorRow, 1).innerText()).trim(), `http://admin:***@127.0.0.1:${port}/video?pwd=***`);
        assert.match((await cell(doorRow, 2).innerText()).trim(), want.doorState);
        assert.equal((await cell(doorRow, 5).innerText()).trim(), want.doorZones);
        assert.equal((await cell(doorRow, 6).innerText()).trim(), want.kept);

        // The motion at the yard, which watches its whole picture: no zone called "frame".
        const motion = panel.getByRole('list', { name: lang === 'tr' ? 'Hareket olayları' : 'Motion events', exact: true });
        assert.match((await motion.locator('li[data-camera="yard"]').first().innerText()).trim(), lang === 'tr' ? /^Yard hareket · / : /^Yard motion · /);

        const text = await panel.innerText();
        assert.doesNotMatch(text, /[{}]|"\w+":/, 'no raw JSON on the screen');
        for (const word of want.foreign) assert.ok(!text.includes(word), `no "${word}" on the ${lang} screen:\n${text}`);
        assert.doesNotMatch(await page.locator('body').innerText(), /s3cret/, 'no camera password on screen');
        // Nor in the settings form the screen leads to (the hub sends the cameras with *** for it).
        assert.doesNotMatch(await page.locator('#module-cctv-cameras').inputValue(), /s3cret/, 'no camera password in the settings form');

        mkdirSync(SHOTS, { recursive: true });
        await panel.scrollIntoViewIfNeeded();
        await page.screenshot({ path: join(SHOTS, `cctv-${lang}-${size}.png`) });
        await assertFitsWidth(page, `cctv screen ${lang} ${size}`);
        assert.deepEqual(problems, []);
      });
    }
  }
  await api(hub, admin, '/api/v1/modules/cctv/disable', { method: 'POST' });
});

test("cctv's screen without cameras says so, what to do, and opens the settings at the cameras", async (t) => {
  movingWorker();
  const hub = await startModuleHub({});
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  assert.equal((await enableCctv(hub, admin, { mediaDir: tempDir('cctv-media-'), cameras: [] })).state, 'loaded');
  const expected = {
    en: { heading: 'CCTV: cameras and motion', empty: 'No cameras yet', todo: /^Add one in this module’s settings: a USB or Pi camera \(\/dev\/video0\)/, button: 'Add or change cameras' },
    tr: { heading: 'CCTV: kameralar ve hareket', empty: 'Henüz kamera yok', todo: /^Bu modülün ayarlarından bir kamera ekleyin: USB ya da Pi kamerası \(\/dev\/video0\)/, button: 'Kamera ekle veya değiştir' },
  } as const;
  const browser = await launch();
  t.after(() => browser.close());
  for (const [lang, locale] of LANGS) {
    for (const [size, view] of SIZES) {
      await t.test(`${lang} ${size}`, async () => {
        const want = expected[lang];
        const { context, page, problems } = await openPage(browser, hub, { locale, ...view });
        t.after(() => context.close());
        await signIn(page, hub, admin, '#/modules/cctv');
        const panel = page.locator('section.module-panel');
        await panel.getByRole('heading', { level: 2, name: want.heading, exact: true }).waitFor();
        await panel.getByText(want.empty, { exact: true }).waitFor();
        await panel.getByText(want.todo).waitFor();
        assert.equal(await panel.getByRole('table').count(), 0, 'no empty table');
        assert.equal(await panel.locator('.cctv-summary:visible').count(), 0, 'the empty state, not "unavailable: no camera" besides');
        mkdirSync(SHOTS, { recursive: true });
        await panel.scrollIntoViewIfNeeded();
        await page.screenshot({ path: join(SHOTS, `cctv-empty-${lang}-${size}.png`) });
        await assertFitsWidth(page, `cctv empty ${lang} ${size}`);
        // The way to add one: the hub's settings form, opened at the cameras.
        await panel.getByRole('button', { name: want.button, exact: true }).click();
        await page.locator('#module-cctv-cameras:focus').waitFor();
        assert.ok(await page.locator('li[data-module="cctv"] details.module-settings-box').evaluate((d) => (d as HTMLDetailsElement).open), 'the settings are open');
        assert.ok(await page.locator('#module-cctv-cameras').isVisible(), 'the cameras field is in view');
        assert.deepEqual(problems, []);
      });
    }
  }
  await api(hub, admin, '/api/v1/modules/cctv/disable', { method: 'POST' });
});
