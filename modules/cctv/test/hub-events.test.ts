// The hub entry on a stand-in for the module API (no hub, no OpenCV): the motion events it keeps
// for the org — thumbnails included where upload is on — stay bounded however busy the camera.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { ModuleCollection, ModuleContext, StoredDoc } from '@unibos/module-api';
import { CctvError } from '../src/cctv-error.ts';
import plugin, { testHooks } from '../src/cctv-plugin.ts';
import type { MotionWorker } from '../src/motion/motion-worker-client.ts';
import { SyntheticSource } from '../src/sources/synthetic-source.ts';

function memoryCollection<T>(): ModuleCollection<T> & { size(orgId: string): number } {
  const docs = new Map<string, StoredDoc<T>>();
  let tick = 0;
  const key = (orgId: string | null, id: string): string => `${orgId ?? ''}\u0000${id}`;
  return {
    put: (orgId, id, doc) => void docs.set(key(orgId, id), { id, orgId, updatedAt: ++tick, doc }),
    get: (orgId, id) => docs.get(key(orgId, id))?.doc ?? null,
    list: (orgId, q) =>
      [...docs.values()]
        .filter((d) => d.orgId === orgId)
        .sort((a, b) => b.updatedAt - a.updatedAt)
        .slice(0, Math.min(q?.limit ?? 100, 10_000)),
    delete: (orgId, id) => docs.delete(key(orgId, id)),
    size: (orgId) => [...docs.values()].filter((d) => d.orgId === orgId).length,
  };
}

/**
 * The hub entry on a camera of `frames` synthetic frames (5 a second) whose stand-in worker sees
 * motion in every frame it is given; resolves once the camera ended and the entry closed.
 */
async function runCamera(t: TestContext, frames: number, thumbnail: Uint8Array | null) {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-hub-events-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let detections = 0;
  testHooks.service = {
    sourceFor: (c) => new SyntheticSource({ width: 16, height: 16, channels: 1, fps: c.fps, frames, startMs: Date.now() }, c.id, 0),
    startWorker: async () =>
      ({ opencv: 'stub', pid: -1, busy: false, close: async () => {}, process: async () => (detections++, { type: 'result', id: 0, detection: { regions: [{ zone: 'frame', area: 0.1, box: { x: 0, y: 0, w: 0.1, h: 0.1 } }], changed: 0.1, lighting: false }, ms: 0, thumbnail }) }) as unknown as MotionWorker,
  };
  t.after(() => void (testHooks.service = undefined));
  const events = memoryCollection<unknown>();
  const states: string[] = [];
  let ended!: () => void;
  const done = new Promise<void>((r) => (ended = r));
  const m = {
    name: 'cctv',
    log: { debug() {}, info() {}, warn() {}, error() {} },
    settings: { cameras: [{ id: 'yard', source: 'synthetic:quiet', width: 16, height: 16, fps: 5, upload: thumbnail !== null }], cooldownS: 0, clipSeconds: 0, snapshots: false, mediaDir: dir },
    now: () => Date.now(),
    events: {
      publish: (_o: string, type: string, data: { state?: string }) => {
        if (type !== 'module.cctv.camera_status') return;
        states.push(data.state!);
        if (data.state === 'ended') ended();
      },
      subscribe() {},
    },
    fleet: { orgs: () => ['org1'], hubOrg: () => 'org1', list: () => [], get: () => null },
    store: { collection: () => events },
  } as unknown as ModuleContext;
  const hooks: Array<() => Promise<unknown>> = [];
  const app = { addHook: (_n: string, fn: () => Promise<unknown>) => void hooks.push(fn), register: async () => {}, get() {} };
  await plugin(app as never, { module: m });
  await done;
  for (const h of hooks) await h();
  return { events, states, detections };
}

test('a busy camera with upload on does not grow the hub store without end', { timeout: 60_000 }, async (t) => {
  const { events } = await runCamera(t, 1300, new Uint8Array(4000).fill(7));
  const kept = events.size('org1');
  assert.ok(kept <= 1000, `${kept} motion events (each with a 5 kB thumbnail) kept at the hub`);
  const newest = events.list('org1', { limit: 1 })[0]!.doc as { time: string; thumbnail: string | null };
  assert.ok(newest.thumbnail?.startsWith('data:image/jpeg;base64,'), 'the newest is still there, with its thumbnail');
});

test('motion in a camera\u2019s first frames reaches the hub, and so does its state from the start', { timeout: 30_000 }, async (t) => {
  const { events, states, detections } = await runCamera(t, 3, null);
  assert.ok(detections > 0);
  assert.equal(events.size('org1'), detections, 'every motion event kept, the first frame\u2019s included');
  assert.deepEqual(states, ['live', 'ended', 'stopped'], 'it went live, ran out of frames and was stopped');
});

test('a cctv that cannot start (no motion worker) tells the org nothing about cameras it never started', async (t) => {
  testHooks.service = {
    sourceFor: (c) => new SyntheticSource({ width: 16, height: 16, channels: 1, fps: c.fps, frames: 3, startMs: Date.now() }, c.id, 0),
    startWorker: async () => {
      throw new CctvError('E_CCTV_UNAVAILABLE', 'the motion worker did not start');
    },
  };
  t.after(() => void (testHooks.service = undefined));
  const published: string[] = [];
  const m = {
    name: 'cctv',
    log: { debug() {}, info() {}, warn() {}, error() {} },
    settings: { cameras: [{ id: 'yard', source: 'synthetic:quiet', width: 16, height: 16, fps: 5 }], cooldownS: 0, clipSeconds: 0, snapshots: false, mediaDir: mkdtempSync(join(tmpdir(), 'cctv-hub-events-')) },
    now: () => Date.now(),
    events: { publish: (_o: string, type: string) => void published.push(type), subscribe() {} },
    fleet: { orgs: () => ['org1'], hubOrg: () => 'org1', list: () => [], get: () => null },
    store: { collection: () => memoryCollection<unknown>() },
  } as unknown as ModuleContext;
  t.after(() => rmSync((m.settings as { mediaDir: string }).mediaDir, { recursive: true, force: true }));
  const app = { addHook() {}, register: async () => {}, get() {} };
  await assert.rejects(plugin(app as never, { module: m }), /unavailable: the motion worker did not start/);
  assert.deepEqual(published, [], 'no "stopped" for a camera that never ran (it came again at every retry)');
});
