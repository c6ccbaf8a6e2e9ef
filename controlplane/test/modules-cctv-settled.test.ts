// cctv on a hub that cannot run it yet: without OpenCV (not built, or switched off) the module
// settles "unavailable" with what to do and its reason by code, and the hub does not set it up
// again and again (each try spawned a motion worker, and OpenCV does not appear while the hub
// runs). What can come back by itself is still retried: a motion worker that failed to start, and
// a camera that cannot be reached (the camera retries, with its reason by code).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { testHooks } from '../../modules/cctv/src/cctv-plugin.ts';
import { CctvError } from '../../modules/cctv/src/cctv-error.ts';
import type { MotionWorker } from '../../modules/cctv/src/motion/motion-worker-client.ts';
import { createAdminSession, api } from './support/test-auth.ts';
import { waitForEvent, type HubEvent } from './support/hub-events.ts';
import { startModuleHub } from './support/module-test-hub.ts';

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function withOpenCvEnv(value: string): void {
  const before = process.env.UNIBOS_OPENCV4NODEJS;
  process.env.UNIBOS_OPENCV4NODEJS = value;
  after(() => {
    if (before === undefined) delete process.env.UNIBOS_OPENCV4NODEJS;
    else process.env.UNIBOS_OPENCV4NODEJS = before;
  });
}

const settled = (e: HubEvent): boolean => e.type === 'module.state' && e.data.name === 'cctv' && ['setup_error', 'setup_retry', 'loaded'].includes(String(e.data.state));

for (const [what, env, code, reason] of [
  // A folder with no build in it: how a machine without OpenCV looks to the module.
  ['OpenCV not built', 'empty-dir', 'cctv.opencv_missing', /^unavailable: OpenCV is not installed \(opencv4nodejs is not built: .*\): apt-get install libopencv-dev, then bash \.ci\/opencv4nodejs\.sh .*then restart$/],
  ['OpenCV switched off', 'off', 'cctv.opencv_off', /^unavailable: OpenCV is switched off \(UNIBOS_OPENCV4NODEJS=off\)$/],
] as const) {
  test(`${what}: cctv settles "unavailable" with what to do, and is not set up again`, async () => {
    withOpenCvEnv(env === 'off' ? 'off' : tempDir('no-opencv-'));
    const hub = await startModuleHub({});
    after(() => hub.stop());
    const admin = await createAdminSession(hub);
  // An org hears module.state once it has looked at modules.
  await api(hub, admin, '/api/v1/modules');
    const first = waitForEvent(hub, admin.orgId, settled, { what: 'cctv settled' });
    const enabled = await api(hub, admin, '/api/v1/modules/cctv/enable', { method: 'POST', body: { settings: { mediaDir: tempDir('cctv-media-'), cameras: [{ id: 'yard', source: 'synthetic:walker' }] } } });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    const event = await first;
    const status = (await api(hub, admin, '/api/v1/modules/cctv')).body;
    assert.equal(status.state, 'setup_error', `settled, not retrying: ${JSON.stringify(status)}`);
    assert.equal(status.retryAt, null, 'no next try is announced');
    assert.match(status.error, reason);
    assert.equal(status.problem?.code, code, 'the reason by code, for the admin UI');
    assert.equal(event.data.state, 'setup_error');
    // The old behaviour tried again after 50 ms, 100 ms, ... 400 ms (this hub's backoff): over a
    // window of several of those nothing more happens to the module.
    await delay(1500);
    const later = hub.app.events.after(admin.orgId, event.id, 1000).filter((e) => e.type === 'module.state' && (e.data as { name?: string }).name === 'cctv');
    assert.deepEqual(later.map((e) => (e.data as { state: string }).state), [], 'no further setup attempts');
    assert.equal((await api(hub, admin, '/api/v1/modules')).status, 200, 'the hub serves on');
  });
}

const stubWorker = async (): Promise<MotionWorker> =>
  ({ opencv: 'stub', pid: -1, busy: false, close: async () => {}, process: async () => ({ type: 'result', id: 0, detection: { regions: [], changed: 0, lighting: false }, ms: 0 }) }) as unknown as MotionWorker;

test('a motion worker that failed to start is still retried, with its reason by code', async () => {
  testHooks.service = {
    startWorker: async () => {
      throw new CctvError('E_CCTV_UNAVAILABLE', 'the motion worker exited at start (1): out of memory', { problem: { code: 'cctv.worker_failed', params: { error: 'exited at start (1): out of memory' } } });
    },
  };
  after(() => void (testHooks.service = undefined));
  const hub = await startModuleHub({});
  after(() => hub.stop());
  const admin = await createAdminSession(hub);
  // An org hears module.state once it has looked at modules.
  await api(hub, admin, '/api/v1/modules');
  const retrying = waitForEvent(hub, admin.orgId, (e) => e.type === 'module.state' && e.data.name === 'cctv' && e.data.state === 'setup_retry', { what: 'cctv setup_retry' });
  await api(hub, admin, '/api/v1/modules/cctv/enable', { method: 'POST', body: { settings: { mediaDir: tempDir('cctv-media-'), cameras: [{ id: 'yard', source: 'synthetic:walker' }] } } });
  const event = await retrying;
  assert.ok(event.data.retryAt, 'a next try is announced');
  assert.match(String(event.data.error), /^unavailable: the motion worker exited at start/);
  assert.deepEqual((event.data as { problem?: unknown }).problem, { code: 'cctv.worker_failed', params: { error: 'exited at start (1): out of memory' } });
  await api(hub, admin, '/api/v1/modules/cctv/disable', { method: 'POST' });
});

test('a camera that cannot be reached keeps being retried by the camera, its reason by code', async () => {
  testHooks.service = { startWorker: stubWorker, backoff: { minMs: 20, maxMs: 80 } };
  after(() => void (testHooks.service = undefined));
  const hub = await startModuleHub({});
  after(() => hub.stop());
  const admin = await createAdminSession(hub);
  // An org hears module.state once it has looked at modules.
  await api(hub, admin, '/api/v1/modules');
  const enabled = await api(hub, admin, '/api/v1/modules/cctv/enable', { method: 'POST', body: { settings: { mediaDir: tempDir('cctv-media-'), cameras: [{ id: 'gate', name: 'Gate', source: '/dev/video97' }] } } });
  assert.equal(enabled.body.state, 'loaded', JSON.stringify(enabled.body));
  // Three tries at least: it goes on trying (waits 20, 40, 80 ms).
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.cctv.camera_status' && e.data.camera === 'gate' && e.data.state === 'reconnecting' && (e.data as { problem?: unknown }).problem !== undefined, { what: 'gate reconnecting' });
  let camera;
  for (let i = 0; ; i++) {
    camera = (await api(hub, admin, '/api/v1/modules/cctv/cameras/gate')).body;
    if (camera.reconnects >= 3) break;
    assert.ok(i < 500, `the camera is retried: ${JSON.stringify(camera)}`);
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.cctv.camera_status' && e.data.camera === 'gate', { afterId: Number.MAX_SAFE_INTEGER });
  }
  assert.equal(camera.state, 'reconnecting');
  assert.match(camera.reason, /^\/dev\/video97 does not exist/);
  assert.deepEqual(camera.problem, { code: 'cctv.device_missing', params: { path: '/dev/video97' } });
  const status = (await api(hub, admin, '/api/v1/modules/cctv/status')).body;
  assert.equal(status.problem?.code, 'cctv.cameras_down');
  assert.equal((await api(hub, admin, '/api/v1/modules/cctv')).body.state, 'loaded', 'the module itself stays loaded');
  await api(hub, admin, '/api/v1/modules/cctv/disable', { method: 'POST' });
});
