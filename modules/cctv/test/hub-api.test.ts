// The hub entry behind a real Fastify on an ephemeral port, on a stand-in for the module API (no
// hub, no OpenCV): what a member of the org gets from its routes and its event stream. A motion
// event on the stream carries no picture (the hub keeps its event log far longer than cctv keeps
// thumbnails): the thumbnail is at GET /events/:id. A camera's source is whole, its password
// hidden, for the hub's admins; everyone else sees only where it points, in its state, its reason
// (a real ffmpeg's error) and its events.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import Fastify from 'fastify';
import type { ModuleCollection, ModuleContext, StoredDoc } from '@unibos/module-api';
import plugin, { testHooks } from '../src/cctv-plugin.ts';
import type { CctvServiceOptions } from '../src/cctv-service.ts';
import type { MotionWorker } from '../src/motion/motion-worker-client.ts';
import { SyntheticSource } from '../src/sources/synthetic-source.ts';

const ROLES: Record<string, string[]> = { admin: ['read', 'send', 'alerts', 'fleet', 'members'], member: ['read', 'send', 'alerts'], viewer: ['read'] };

function memoryCollection<T>(): ModuleCollection<T> {
  const docs = new Map<string, StoredDoc<T>>();
  let tick = 0;
  return {
    put: (orgId, id, doc) => void docs.set(`${orgId}/${id}`, { id, orgId, updatedAt: ++tick, doc }),
    get: (orgId, id) => docs.get(`${orgId}/${id}`)?.doc ?? null,
    list: (orgId, q) => [...docs.values()].filter((d) => d.orgId === orgId).sort((a, b) => b.updatedAt - a.updatedAt).slice(0, q?.limit ?? 100),
    delete: (orgId, id) => docs.delete(`${orgId}/${id}`),
  };
}

interface Published {
  type: string;
  data: Record<string, unknown>;
}

/** A worker stand-in that sees motion in every frame, with `thumbnail`. */
const movingWorker = (thumbnail: Uint8Array | null) => async () =>
  ({ opencv: 'stub', pid: -1, busy: false, close: async () => {}, process: async () => ({ type: 'result', id: 0, detection: { regions: [{ zone: 'frame', area: 0.1, box: { x: 0, y: 0, w: 0.1, h: 0.1 } }], changed: 0.1, lighting: false }, ms: 0, thumbnail }) }) as unknown as MotionWorker;

/** cctv's hub entry on a real Fastify; `get(path, role)` asks it as a user of org1 with that role. */
async function startHubEntry(t: TestContext, cameras: unknown[], service: Partial<CctvServiceOptions>, until: (p: Published) => boolean, collection: ModuleCollection<unknown> = memoryCollection()) {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-hub-api-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  testHooks.service = service;
  t.after(() => void (testHooks.service = undefined));
  const published: Published[] = [];
  let reached!: () => void;
  const done = new Promise<void>((r) => (reached = r));
  const m = {
    name: 'cctv',
    log: { debug() {}, info() {}, warn() {}, error() {} },
    settings: { cameras, cooldownS: 0, clipSeconds: 0, snapshots: false, mediaDir: dir },
    now: () => Date.now(),
    events: {
      publish: (_org: string, type: string, data: Record<string, unknown>) => {
        published.push({ type, data });
        if (until({ type, data })) reached();
      },
      subscribe() {},
    },
    fleet: { orgs: () => ['org1'], hubOrg: () => 'org1', list: () => [], get: () => null },
    store: { collection: () => collection },
    require: (request: { headers: Record<string, string | string[] | undefined> }, permission: string) => {
      const role = String(request.headers['x-role']);
      const can = (p: string): boolean => (ROLES[role] ?? []).includes(p);
      if (!can(permission)) throw Object.assign(new Error('forbidden'), { statusCode: 403 });
      return { orgId: 'org1', userId: `u-${role}`, role, can };
    },
  } as unknown as ModuleContext;
  const app = Fastify();
  t.after(() => app.close());
  await app.register(plugin, { prefix: '/api/v1/modules/cctv', module: m });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const get = async (path: string, role: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${address}/api/v1/modules/cctv${path}`, { headers: { 'x-role': role } });
    return { status: res.status, body: await res.json() };
  };
  await done;
  return { published, get, close: () => app.close() };
}

test("motion events go on the org's stream without their thumbnail; the thumbnail is fetched from cctv's store by the event's id", { timeout: 30_000 }, async (t) => {
  const thumbnail = new Uint8Array(6000).fill(7);
  const { published, get } = await startHubEntry(
    t,
    [{ id: 'gate', name: 'Gate', source: 'synthetic:quiet', width: 16, height: 16, fps: 5, upload: true }],
    { sourceFor: (c) => new SyntheticSource({ width: 16, height: 16, channels: 1, fps: c.fps, frames: 4, startMs: Date.now() }, c.id, 0), startWorker: movingWorker(thumbnail) },
    (p) => p.type === 'module.cctv.camera_status' && p.data.state === 'ended',
  );
  const motion = published.filter((p) => p.type === 'module.cctv.motion');
  assert.ok(motion.length >= 1, 'motion was seen');
  const picture = `data:image/jpeg;base64,${Buffer.from(thumbnail).toString('base64')}`;
  for (const { data } of motion) {
    assert.equal('thumbnail' in data, false, 'no picture in the hub event log');
    assert.ok(JSON.stringify(data).length < 500, `a motion event is small: ${JSON.stringify(data).length} bytes`);
    assert.equal(data.camera, 'gate');
    assert.equal(data.uploaded, true, 'it says a thumbnail is there to fetch');
    // Every member with read fetches it by the id the event names.
    for (const role of ['admin', 'viewer']) {
      const one = await get(`/events/${String(data.id)}`, role);
      assert.equal(one.status, 200, JSON.stringify(one.body));
      assert.equal(one.body.thumbnail, picture);
      assert.equal(one.body.time, data.time);
    }
  }
  const list = await get('/events', 'viewer');
  assert.deepEqual(list.body.events.map((e: { id: string }) => e.id).sort(), motion.map((p) => p.data.id).sort(), 'the list names the same ids');
  assert.ok(list.body.events.every((e: { thumbnail: string }) => e.thumbnail === picture), 'the screen\u2019s list still has the thumbnails');
  assert.equal((await get('/events/e0999', 'viewer')).status, 404);
});

test('an event id is never reused: after more than the store keeps (and a restart), an old id answers 404, never another event\u2019s picture', { timeout: 60_000 }, async (t) => {
  // The hub's event log keeps these ids long after cctv's store has let their thumbnails go.
  const store = memoryCollection<unknown>();
  // Each thumbnail names its frame's time, so a picture can be matched to its event.
  const stamped = async () =>
    ({ opencv: 'stub', pid: -1, busy: false, close: async () => {}, process: async (f: { ts: number }) => ({ type: 'result', id: 0, detection: { regions: [{ zone: 'frame', area: 0.1, box: { x: 0, y: 0, w: 0.1, h: 0.1 } }], changed: 0.1, lighting: false }, ms: 0, thumbnail: new TextEncoder().encode(String(f.ts)) }) }) as unknown as MotionWorker;
  const run = async (camera: string, startMs: number) => {
    const hub = await startHubEntry(
      t,
      [{ id: camera, name: camera, source: 'synthetic:quiet', width: 16, height: 16, fps: 5, upload: true }],
      { sourceFor: (c) => new SyntheticSource({ width: 16, height: 16, channels: 1, fps: c.fps, frames: 600, startMs }, c.id, 0), startWorker: stamped },
      (p) => p.type === 'module.cctv.camera_status' && p.data.state === 'ended',
      store,
    );
    return { ...hub, motion: hub.published.filter((p) => p.type === 'module.cctv.motion').map((p) => p.data) };
  };
  // The gate sees 600 events; the hub restarts; the yard sees 600 more (1,200: more than the 1,000 kept).
  const gate = await run('gate', 1_700_000_000_000);
  await gate.close();
  const yard = await run('yard', 1_800_000_000_000);
  assert.equal(gate.motion.length + yard.motion.length, 1200);
  const all = [...gate.motion, ...yard.motion];
  assert.equal(new Set(all.map((e) => e.id)).size, all.length, 'every event has an id of its own, across the restart');
  // A client asks for each id the hub's event log names.
  const hub = yard;
  const evicted = all.slice(0, 200);
  for (const e of evicted) {
    const res = await hub.get(`/events/${String(e.id)}`, 'viewer');
    assert.equal(res.status, 404, `${String(e.id)} (${String(e.camera)} at ${String(e.time)}) is no longer kept: ${JSON.stringify(res.body).slice(0, 200)}`);
  }
  for (const e of all.slice(200)) {
    const res = await hub.get(`/events/${String(e.id)}`, 'viewer');
    assert.equal(res.status, 200, String(e.id));
    assert.equal(res.body.camera, e.camera, `${String(e.id)} is its own camera's`);
    assert.equal(res.body.time, e.time);
    const ts = Buffer.from(String(res.body.thumbnail).replace(/^data:image\/jpeg;base64,/, ''), 'base64').toString();
    assert.equal(new Date(Number(ts)).toISOString(), e.time, `${String(e.id)}'s thumbnail is its own picture`);
  }
  const listed = await hub.get('/events?limit=500', 'viewer');
  assert.deepEqual(listed.body.events.map((e: { id: string }) => e.id), all.slice(-500).map((e) => e.id).reverse(), 'the list is the newest, newest first');
});

test("an XMEye camera's password (in the URL's path) is in no state, reason or event; only the hub's admins see its path", { timeout: 30_000 }, async (t) => {
  // A real RTSP port that refuses the login: ffmpeg's own error line names the URL.
  const server = createServer((c) => c.end('RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\n\r\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const source = `rtsp://127.0.0.1:${port}/user=admin&password=hunter2&channel=1&stream=0.sdp`;
  const { published, get } = await startHubEntry(
    t,
    [{ id: 'dvr', name: 'DVR', source, width: 16, height: 16, fps: 5 }],
    { startWorker: movingWorker(null), backoff: { minMs: 60_000, maxMs: 60_000 } },
    (p) => p.type === 'module.cctv.camera_status' && p.data.state === 'reconnecting',
  );
  const status = published.find((p) => p.type === 'module.cctv.camera_status' && p.data.state === 'reconnecting')!;
  assert.match(String(status.data.reason), /401/, 'ffmpeg said why');
  assert.doesNotMatch(JSON.stringify(published), /hunter2|user=admin/, 'every member gets these events');
  assert.doesNotMatch(JSON.stringify(status.data), /channel=1/, 'the event names only where the camera is');
  for (const role of ['viewer', 'member']) {
    for (const path of ['/status', '/cameras', '/cameras/dvr']) {
      const { body } = await get(path, role);
      assert.doesNotMatch(JSON.stringify(body), /hunter2|user=|channel=/, `${path} as ${role}`);
    }
    const cam = (await get('/cameras/dvr', role)).body;
    assert.equal(cam.source, `rtsp://127.0.0.1:${port}/…`);
    assert.match(cam.reason, /^rtsp:\/\/127\.0\.0\.1:\d+\/…: .*Server returned 401/);
  }
  const admin = await get('/status', 'admin');
  assert.doesNotMatch(JSON.stringify(admin.body), /hunter2/, 'not even to the hub\u2019s admins');
  assert.equal(admin.body.cameras[0].source, `rtsp://127.0.0.1:${port}/user=***&password=***&channel=1&stream=0.sdp`, 'the admin still sees which stream it is');
});
