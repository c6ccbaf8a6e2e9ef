// The cctv module on a real hub: without OpenCV the hub starts and serves, and the module says
// "unavailable: <why>"; with it, synthetic cameras raise motion events on the org's event stream,
// a thumbnail only for the camera whose upload the admin turned on — in the API and in the admin UI
// (a real Chromium).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findOpenCv } from '../../modules/cctv/src/motion/opencv-loader.ts';
import { createAdminSession, api } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { startModuleHub, withoutOpenCv } from './support/module-test-hub.ts';
import { artifactsDir, launch, openPage, signIn } from './support/ui-browser.ts';

const opencv = findOpenCv();
const skip = opencv.ok ? false : process.env.UNIBOS_REQUIRE_OPENCV === '1' ? (() => { throw new Error(`UNIBOS_REQUIRE_OPENCV=1 and ${opencv.reason}`); })() : opencv.reason;

function mediaDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-hub-media-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('without OpenCV the hub starts and serves, and cctv shows "unavailable: <why>"', async () => {
  withoutOpenCv();
  const hub = await startModuleHub({});
  const admin = await createAdminSession(hub);
  const list = await api(hub, admin, '/api/v1/modules');
  const disabled = list.body.modules.find((m: { name: string }) => m.name === 'cctv');
  assert.equal(disabled.state, 'disabled');
  assert.equal(disabled.category, 'media');
  // Settled, not retried: OpenCV does not appear while the hub runs (modules-cctv-settled.test.ts).
  const waiting = waitForEvent(hub, admin.orgId, (e) => e.type === 'module.state' && e.data.name === 'cctv' && e.data.state === 'setup_error', { what: 'cctv setup_error' });
  const enabled = await api(hub, admin, '/api/v1/modules/cctv/enable', { method: 'POST', body: { settings: { mediaDir: mediaDir(), cameras: [{ id: 'yard', source: 'synthetic:walker' }] } } });
  assert.equal(enabled.status, 200);
  await waiting;
  const status = await api(hub, admin, '/api/v1/modules/cctv');
  assert.match(status.body.error, /^unavailable: OpenCV is switched off \(UNIBOS_OPENCV4NODEJS=off\)/);
  assert.equal(status.body.retryAt, null);
  // Everything else still answers.
  assert.equal((await api(hub, admin, '/api/v1/modules')).status, 200);
  assert.equal((await api(hub, admin, '/api/v1/modules/cctv/status')).status, 503);
});

test("motion on synthetic cameras reaches the hub's own org's event stream and UI, no other org's; the thumbnail only where upload is on", { skip }, async (t) => {
  const hub = await startModuleHub({});
  const admin = await createAdminSession(hub);
  // Another org on the same hub: the cameras are not theirs.
  const neighbours = await createAdminSession(hub, { orgName: 'Neighbours' });
  const cameras = [
    { id: 'yard', name: 'Yard', source: 'synthetic:walker', width: 320, height: 240, fps: 15, upload: false },
    { id: 'gate', name: 'Gate', source: 'synthetic:walker', width: 320, height: 240, fps: 15, upload: true },
  ];
  const yard = waitForEvent(hub, admin.orgId, (e) => e.type === 'module.cctv.motion' && e.data.camera === 'yard', { what: 'motion on yard', timeoutMs: 30_000 });
  const gate = waitForEvent(hub, admin.orgId, (e) => e.type === 'module.cctv.motion' && e.data.camera === 'gate', { what: 'motion on gate', timeoutMs: 30_000 });
  const enabled = await api(hub, admin, '/api/v1/modules/cctv/enable', { method: 'POST', body: { settings: { mediaDir: mediaDir(), cameras, clipSeconds: 0 } } });
  assert.equal(enabled.body.state, 'loaded', JSON.stringify(enabled.body));
  const [y, g] = await Promise.all([yard, gate]);
  assert.equal(y.data.zone, 'frame');
  // No thumbnail on the hub's event stream (its log keeps every event): cctv's own capped store has it.
  assert.equal('thumbnail' in y.data, false);
  assert.equal(y.data.uploaded, false);
  assert.equal('thumbnail' in g.data, false);
  assert.equal(g.data.uploaded, true);
  const gateEvent = await api(hub, admin, `/api/v1/modules/cctv/events/${String(g.data.id)}`);
  assert.match(String(gateEvent.body.thumbnail), /^data:image\/jpeg;base64,\/9j\//);
  assert.equal((await api(hub, admin, `/api/v1/modules/cctv/events/${String(y.data.id)}`)).body.thumbnail, null, 'no upload: the thumbnail stays on the node');
  const status = await api(hub, admin, '/api/v1/modules/cctv/status');
  assert.equal(status.body.state, 'available');
  assert.deepEqual(status.body.cameras.map((c: { id: string; state: string }) => `${c.id}:${c.state}`).sort(), ['gate:live', 'yard:live']);
  const events = await api(hub, admin, '/api/v1/modules/cctv/events?camera=yard');
  assert.equal(events.body.events[0].thumbnail, null);
  // Events are written to every org they go to at once: by now the other org would have them.
  const theirs = hub.app.events.after(neighbours.orgId, 0, 10_000).filter((e) => e.type.startsWith('module.cctv.'));
  assert.deepEqual(theirs, [], 'no camera event reached another org');
  for (const path of ['status', 'cameras', 'cameras/gate', 'events']) {
    assert.equal((await api(hub, neighbours, `/api/v1/modules/cctv/${path}`)).status, 404, `${path} for another org`);
  }

  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems } = await openPage(browser, hub);
  await signIn(page, hub, admin, '#/modules');
  const panel = page.locator('section[aria-label="cctv panel"]').or(page.getByRole('region', { name: 'cctv panel' }));
  await panel.locator('tr[data-camera="gate"]').waitFor();
  await panel.locator('li[data-camera="gate"] img').first().waitFor();
  assert.match(await panel.locator('tr[data-camera="yard"]').innerText(), /Yard\s+synthetic:walker\s+live/);
  assert.equal(await panel.locator('li[data-camera="yard"] img').count(), 0, 'no picture of the camera without upload');
  assert.match(await panel.locator('li[data-camera="yard"]').first().innerText(), /picture kept on the device/);
  await page.screenshot({ path: join(artifactsDir('cctv'), 'modules-cctv.png'), fullPage: true });
  assert.deepEqual(problems, []);
  const disabled = await api(hub, admin, '/api/v1/modules/cctv/disable', { method: 'POST' });
  assert.equal(disabled.body.state, 'unloaded');
});
