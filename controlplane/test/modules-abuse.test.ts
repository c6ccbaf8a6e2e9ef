// Module routes as an outsider or a low role would use them, on a real hub: what a module's own
// routes hand to users of other orgs (settings the modules API keeps for the hub's admins), what
// the modules API hands to the browser (camera passwords), and inputs a member can grow without
// end (people checked into a round, assembly points).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { testHooks } from '../../modules/cctv/src/cctv-plugin.ts';
import type { MotionWorker } from '../../modules/cctv/src/motion/motion-worker-client.ts';
import { api, createAdminSession, createOrgUser } from './support/test-auth.ts';
import { waitForEvent, type HubEvent } from './support/hub-events.ts';
import { startModuleHub, storedSettings, withoutOpenCv, writeModules } from './support/module-test-hub.ts';

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** birlikteyiz with feeds nobody answers (no internet in tests), one of them behind a key in its URL. */
const QUIET_FEEDS = { usgsUrl: 'http://127.0.0.1:9/feed.geojson?token=s3cret-feed-key', afadUrl: '', emscUrl: 'http://feeduser:s3cret-feed-pass@127.0.0.1:9/fdsnws', kandilliUrl: '', pollIntervalS: 3600 };

test("birlikteyiz's feed list does not hand the feed URLs (settings) to users of other orgs", async () => {
  const hub = await startModuleHub({});
  const admin = await createAdminSession(hub);
  const enabled = await api(hub, admin, '/api/v1/modules/birlikteyiz/enable', { method: 'POST', body: { settings: QUIET_FEEDS } });
  assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
  // Anyone can make an org of their own; its lowest role is enough to read a module's routes.
  const outsider = await createAdminSession(hub, { orgName: 'Outsiders' });
  const viewer = await createOrgUser(hub, outsider, 'viewer');
  // The modules API keeps the settings from them ...
  const status = await api(hub, viewer, '/api/v1/modules/birlikteyiz');
  assert.equal(status.status, 200);
  assert.ok(!JSON.stringify(status.body).includes('s3cret-feed-key'), 'the modules API hides the settings');
  // ... and so must the module's own feed list (the admin UI shows source, state and error only),
  // also once each feed has failed (fetch names a URL with credentials in its error).
  let feeds = await api(hub, viewer, '/api/v1/modules/birlikteyiz/feeds');
  for (let i = 0; i < 500 && feeds.body.feeds.some((f: { state: string }) => f.state === 'waiting'); i++) feeds = await api(hub, viewer, '/api/v1/modules/birlikteyiz/feeds');
  assert.equal(feeds.status, 200, JSON.stringify(feeds.body));
  assert.deepEqual(feeds.body.feeds.map((f: { source: string; state: string }) => [f.source, f.state]).sort(), [['emsc', 'unreachable'], ['usgs', 'unreachable']], JSON.stringify(feeds.body));
  assert.doesNotMatch(JSON.stringify(feeds.body), /s3cret-feed-(key|pass)/, `a feed URL reached another org: ${JSON.stringify(feeds.body)}`);
});

test('a check-in round holds a bounded number of people: a member cannot grow it (and every round event) without end', async () => {
  const hub = await startModuleHub({});
  const admin = await createAdminSession(hub);
  assert.equal((await api(hub, admin, '/api/v1/modules/birlikteyiz/enable', { method: 'POST', body: { settings: QUIET_FEEDS } })).status, 200);
  const member = await createOrgUser(hub, admin, 'member');
  const opened = await api(hub, member, '/api/v1/modules/birlikteyiz/rounds', { method: 'POST', body: { title: 'Drill' } });
  assert.equal(opened.status, 201, JSON.stringify(opened.body));
  const round = opened.body.id as string;
  const checkIn = (person: string) => api(hub, member, `/api/v1/modules/birlikteyiz/rounds/${round}/checkins`, { method: 'POST', body: { person, status: 'safe', note: 'x'.repeat(200) } });
  let refusedAt = -1;
  for (let i = 0; i < 1001; i++) {
    const r = await checkIn(`Person ${i}`);
    if (r.status !== 200) {
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.equal(r.body.code, 'E_CONFLICT');
      refusedAt = i;
      break;
    }
  }
  assert.equal(refusedAt, 1000, 'the 1001st person is refused');
  // Someone already on the list can still be checked in again (now needing help).
  const again = await checkIn('Person 7');
  assert.equal(again.status, 200, JSON.stringify(again.body));
  const people = (await api(hub, member, `/api/v1/modules/birlikteyiz/rounds/${round}`)).body.people as Array<{ name: string; status: string }>;
  assert.equal(people.length, 1000);
});

test('a member opens at most 3 check-in rounds by hand at once (each asks every node over the mesh); closing one makes room', async () => {
  const hub = await startModuleHub({});
  const admin = await createAdminSession(hub);
  assert.equal((await api(hub, admin, '/api/v1/modules/birlikteyiz/enable', { method: 'POST', body: { settings: QUIET_FEEDS } })).status, 200);
  const member = await createOrgUser(hub, admin, 'member');
  const open = (title: string) => api(hub, member, '/api/v1/modules/birlikteyiz/rounds', { method: 'POST', body: { title } });
  const ids: string[] = [];
  for (const title of ['Drill 1', 'Drill 2', 'Aftershock felt']) {
    const r = await open(title);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ids.push(r.body.id as string);
  }
  const refused = await open('Drill 4');
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.match(refused.body.message, /at most 3 rounds opened by hand can be open at once: close one first/);
  assert.equal((await api(hub, member, `/api/v1/modules/birlikteyiz/rounds/${ids[0]}/close`, { method: 'POST' })).status, 200);
  assert.equal((await open('Drill 4')).status, 201, 'a closed round makes room');
  const listed = (await api(hub, member, '/api/v1/modules/birlikteyiz/rounds')).body.rounds as Array<{ title: string; closedAt: number | null }>;
  assert.deepEqual(listed.filter((r) => r.closedAt === null).map((r) => r.title).sort(), ['Aftershock felt', 'Drill 2', 'Drill 4']);
});

test('an org holds a bounded number of assembly points (all of them listed, none hidden past the list)', async () => {
  const hub = await startModuleHub({});
  const admin = await createAdminSession(hub);
  assert.equal((await api(hub, admin, '/api/v1/modules/birlikteyiz/enable', { method: 'POST', body: { settings: QUIET_FEEDS } })).status, 200);
  const member = await createOrgUser(hub, admin, 'member');
  let refusedAt = -1;
  for (let i = 0; i < 501; i++) {
    const r = await api(hub, member, '/api/v1/modules/birlikteyiz/assembly-points', { method: 'POST', body: { name: `Point ${i}`, latitude: 41, longitude: 29 } });
    if (r.status !== 201) {
      assert.equal(r.status, 409, JSON.stringify(r.body));
      refusedAt = i;
      break;
    }
  }
  assert.equal(refusedAt, 500, 'the 501st point is refused');
  const listed = (await api(hub, member, '/api/v1/modules/birlikteyiz/assembly-points')).body.assemblyPoints as unknown[];
  assert.equal(listed.length, 500, 'every point the org has is listed');
});

test("a camera's password is never sent to the browser, and saving the settings shown keeps it", async () => {
  withoutOpenCv();
  const hub = await startModuleHub({});
  const admin = await createAdminSession(hub);
  const settings = { mediaDir: tempDir('cctv-media-'), cameras: [{ id: 'gate', name: 'Gate', source: 'rtsp://admin:hunter2-cam@192.0.2.10:554/stream1' }, { id: 'yard', source: 'http://192.0.2.11/video.cgi?user=admin&pwd=yard-pass' }] };
  const put = await api(hub, admin, '/api/v1/modules/cctv/settings', { method: 'PUT', body: settings });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const storedCctv = () => storedSettings<typeof settings>(hub, 'cctv');
  const secrets = /hunter2-cam|yard-pass/;
  assert.doesNotMatch(JSON.stringify(put.body), secrets, 'the answer to a settings change');
  const list = await api(hub, admin, '/api/v1/modules');
  assert.doesNotMatch(JSON.stringify(list.body), secrets, 'the modules list');
  const one = await api(hub, admin, '/api/v1/modules/cctv');
  assert.doesNotMatch(JSON.stringify(one.body), secrets, 'the module');
  const shown = one.body.settings as typeof settings;
  assert.equal(shown.cameras[0]!.source, 'rtsp://admin:***@192.0.2.10:554/stream1', 'the admin still sees which camera it is');
  // The admin UI saves the form as shown, with a changed name: the passwords stay as they were.
  shown.cameras[0]!.name = 'Front gate';
  const saved = await api(hub, admin, '/api/v1/modules/cctv/settings', { method: 'PUT', body: shown });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  const cctv = storedCctv();
  assert.equal(cctv.cameras[0]!.name, 'Front gate');
  assert.equal(cctv.cameras[0]!.source, 'rtsp://admin:hunter2-cam@192.0.2.10:554/stream1', 'the stored password is kept');
  assert.equal(cctv.cameras[1]!.source, 'http://192.0.2.11/video.cgi?user=admin&pwd=yard-pass');
  // A new password replaces the old one.
  shown.cameras[0]!.source = 'rtsp://admin:new-pass@192.0.2.10:554/stream1';
  assert.equal((await api(hub, admin, '/api/v1/modules/cctv/settings', { method: 'PUT', body: shown })).status, 200);
  assert.equal(storedCctv().cameras[0]!.source, 'rtsp://admin:new-pass@192.0.2.10:554/stream1');

  // The yard camera's stream moves to another path, the password left as shown: it keeps its password.
  const now = (await api(hub, admin, '/api/v1/modules/cctv')).body.settings as typeof settings;
  now.cameras[1]!.source = 'http://192.0.2.11/mjpg/video.cgi?user=admin&pwd=***';
  assert.equal((await api(hub, admin, '/api/v1/modules/cctv/settings', { method: 'PUT', body: now })).status, 200);
  assert.equal(storedCctv().cameras[1]!.source, 'http://192.0.2.11/mjpg/video.cgi?user=admin&pwd=yard-pass');
  // A camera at another host with *** for its password: refused, never saved as the password "***".
  now.cameras[0]!.source = 'rtsp://admin:***@192.0.2.99:554/stream1';
  const refused = await api(hub, admin, '/api/v1/modules/cctv/settings', { method: 'PUT', body: now });
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assert.match(refused.body.message, /type the password again/);
  assert.equal(storedCctv().cameras[0]!.source, 'rtsp://admin:new-pass@192.0.2.10:554/stream1', 'nothing was saved');
});

test("a module's own secret settings (named like one, or writeOnly in its schema) are never sent to the browser, and saving them as shown keeps each", async () => {
  const schema = {
    type: 'object',
    properties: {
      apiKey: { type: 'string', default: '' },
      pin: { type: 'string', writeOnly: true, default: '' },
      label: { type: 'string', default: '' },
      stations: { type: 'array', default: [], items: { type: 'object', properties: { id: { type: 'string' }, token: { type: 'string' } } } },
    },
  };
  const root = writeModules({ weather: { manifest: { settings: { version: 1, schema } } } });
  const hub = await startModuleHub({ root });
  const admin = await createAdminSession(hub);
  const settings = { apiKey: 'k-9f3e-weather', pin: '4417', label: 'Valley weather', stations: [{ id: 'north', token: 'tok-north' }, { id: 'south', token: 'tok-south' }] };
  const put = await api(hub, admin, '/api/v1/modules/weather/settings', { method: 'PUT', body: settings });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const secrets = /k-9f3e-weather|4417|tok-north|tok-south/;
  assert.doesNotMatch(JSON.stringify(put.body), secrets, 'the answer to a settings change');
  assert.doesNotMatch(JSON.stringify((await api(hub, admin, '/api/v1/modules')).body), secrets, 'the modules list');
  const shown = (await api(hub, admin, '/api/v1/modules/weather')).body.settings as typeof settings;
  assert.deepEqual(shown, { apiKey: '***', pin: '***', label: 'Valley weather', stations: [{ id: 'north', token: '***' }, { id: 'south', token: '***' }] });
  const stored = () => storedSettings<typeof settings>(hub, 'weather');

  // Saved as shown with a new label and the stations in another order: every secret stays with its own setting.
  const saved = await api(hub, admin, '/api/v1/modules/weather/settings', { method: 'PUT', body: { ...shown, label: 'Upper valley', stations: [shown.stations[1], shown.stations[0]] } });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  assert.deepEqual(stored(), { apiKey: 'k-9f3e-weather', pin: '4417', label: 'Upper valley', stations: [{ id: 'south', token: 'tok-south' }, { id: 'north', token: 'tok-north' }] });

  // A new value replaces the old one; a new station with *** has nothing to keep: refused, nothing saved.
  assert.equal((await api(hub, admin, '/api/v1/modules/weather/settings', { method: 'PUT', body: { ...shown, pin: '5520' } })).status, 200);
  assert.equal(stored().pin, '5520');
  const refused = await api(hub, admin, '/api/v1/modules/weather/settings', { method: 'PUT', body: { ...shown, stations: [...shown.stations, { id: 'east', token: '***' }] } });
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assert.match(refused.body.message, /stations\[#east\]\.token is shown as \*\*\* but no value is stored there: type it again/);
  assert.equal(stored().stations.length, 2, 'nothing was saved');
});

const stubWorker = async (): Promise<MotionWorker> =>
  ({ opencv: 'stub', pid: -1, busy: false, close: async () => {}, process: async () => ({ type: 'result', id: 0, detection: { regions: [], changed: 0, lighting: false }, ms: 0 }) }) as unknown as MotionWorker;

test("a camera's password is not in what its org's viewers see, whichever way the URL carries it", async () => {
  testHooks.service = { startWorker: stubWorker, backoff: { minMs: 20, maxMs: 80 } };
  after(() => void (testHooks.service = undefined));
  const hub = await startModuleHub({});
  const admin = await createAdminSession(hub);
  await api(hub, admin, '/api/v1/modules');
  // Foscam-style MJPEG (loginuse/loginpas), a password parameter named otherwise, and a password
  // with a slash the URL parser does not take: nobody listens on port 9, so each is retried.
  const cameras = [
    { id: 'foscam', source: 'http://127.0.0.1:9/videostream.cgi?loginuse=admin&loginpas=cam-secret-1' },
    { id: 'snap', source: 'http://127.0.0.1:9/snapshot.cgi?usr=admin&passw=cam-secret-2' },
    { id: 'slash', source: 'http://admin:cam/secret-3@127.0.0.1:9/mjpg' },
  ];
  const down = (id: string) => (e: HubEvent) => e.type === 'module.cctv.camera_status' && e.data.camera === id && e.data.state === 'reconnecting';
  const reported = Promise.all(cameras.map((c) => waitForEvent(hub, admin.orgId, down(c.id), { what: `${c.id} reconnecting` })));
  const enabled = await api(hub, admin, '/api/v1/modules/cctv/enable', { method: 'POST', body: { settings: { mediaDir: tempDir('cctv-media-'), cameras } } });
  assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
  const events = await reported;
  const viewer = await createOrgUser(hub, admin, 'viewer');
  const seen = await api(hub, viewer, '/api/v1/modules/cctv/cameras');
  assert.equal(seen.status, 200, JSON.stringify(seen.body));
  assert.equal(seen.body.cameras.length, 3);
  const secret = /cam-secret|secret-3/;
  assert.doesNotMatch(JSON.stringify(seen.body), secret, 'the cameras as a viewer reads them');
  assert.doesNotMatch(JSON.stringify(events), secret, 'camera_status events');
  assert.doesNotMatch(JSON.stringify((await api(hub, admin, '/api/v1/modules/cctv')).body), secret, 'the module settings, to the admin');
  await api(hub, admin, '/api/v1/modules/cctv/disable', { method: 'POST' });
});
