// The module host on a real hub: manifests checked (file and field named, the rest still starts),
// dependency order, cycles and missing modules, platform and capability checks, the module API's
// permissions, enable/disable and settings at runtime without a restart, and modules that throw
// (at setup, not ready yet, or later in a job) contained while the hub keeps serving.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAdminSession, createOrgUser, bearer, type TestSession, api } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { startModuleHub, writeModules } from './support/module-test-hub.ts';
import type { TestHub } from './support/test-hub.ts';

const ALL = ['linux', 'macos', 'windows', 'raspberry_pi'];
const host = { platform: 'linux' as const, alsoLinux: false, provides: { requires_lora: true, requires_gps: false, requires_camera: false } };


async function moduleStatus(hub: TestHub, s: TestSession, name: string): Promise<any> {
  const list = await api(hub, s, '/api/v1/modules', { method: 'GET' });
  return list.body.modules.find((m: { name: string }) => m.name === name);
}

function waitForState(hub: TestHub, s: TestSession, name: string, state: string, afterId = 0): Promise<unknown> {
  return waitForEvent(hub, s.orgId, (e) => e.type === 'module.state' && e.data.name === name && e.data.state === state, { afterId, what: `${name} ${state}` });
}

test('a bad manifest is reported with its file and field, and the other modules still start', async () => {
  const root = writeModules({
    good: {},
    broken: { manifest: { category: 'weather', license: undefined, permissions: { events: { publish: ['ok', 'Not Allowed'] } } } },
    garbled: { raw: '{ "name": "garbled", ' },
  });
  const hub = await startModuleHub({ root, host });
  const admin = await createAdminSession(hub);
  await api(hub, admin, '/api/v1/modules/good/enable', { method: 'POST' });
  const broken = await moduleStatus(hub, admin, 'broken');
  assert.equal(broken.state, 'invalid');
  assert.match(broken.error, new RegExp(`${join(root, 'broken', 'module.json').replace(/[/.]/g, '\\$&')}: category: must be one of`));
  assert.match(broken.error, /license: is required/);
  assert.match(broken.error, /permissions\.events\.publish\[1\]/);
  assert.match((await moduleStatus(hub, admin, 'garbled')).error, /garbled\/module\.json: \(root\): not JSON/);
  assert.equal((await moduleStatus(hub, admin, 'good')).state, 'loaded');
  assert.deepEqual((await api(hub, admin, '/api/v1/modules/good/hello', { method: 'GET' })).body, { hello: true });
  const refused = await api(hub, admin, '/api/v1/modules/broken/enable', { method: 'POST' });
  assert.equal(refused.status, 422);
  assert.equal(refused.body.code, 'E_MODULE_MANIFEST');
});

test('modules set up after what they depend on; missing and cyclic dependencies are clear errors', async () => {
  const recorder = (name: string) => ({ 'hub.js': `export default async function plugin() { (globalThis.__moduleOrder ??= []).push(${JSON.stringify(name)}); }` });
  const root = writeModules({
    app: { manifest: { dependencies: { core: '>=0.1.0', modules: { middle: '^1.0.0' } } }, files: recorder('app') },
    middle: { manifest: { dependencies: { core: '>=0.1.0', modules: { base: '^1.0.0' } } }, files: recorder('middle') },
    base: { files: recorder('base') },
    needy: { manifest: { dependencies: { core: '>=0.1.0', modules: { ghost: '^2.0.0' } } } },
    'loop-a': { manifest: { dependencies: { core: '>=0.1.0', modules: { 'loop-b': '*' } } } },
    'loop-b': { manifest: { dependencies: { core: '>=0.1.0', modules: { 'loop-a': '*' } } } },
    picky: { manifest: { dependencies: { core: '^9.0.0' } } },
    old: { manifest: { dependencies: { core: '>=0.1.0', modules: { base: '^2.0.0' } } } },
  });
  const dataDir = writeModules({});
  const { writeFileSync } = await import('node:fs');
  const enabled = Object.fromEntries(['app', 'middle', 'base'].map((n) => [n, { enabled: true, settings: {}, settingsVersion: 1 }]));
  writeFileSync(join(dataDir, 'modules.json'), JSON.stringify({ version: 1, modules: enabled }));
  (globalThis as { __moduleOrder?: string[] }).__moduleOrder = [];
  const hub = await startModuleHub({ root, host }, { dataDir });
  const admin = await createAdminSession(hub);
  assert.deepEqual((globalThis as { __moduleOrder?: string[] }).__moduleOrder, ['base', 'middle', 'app']);
  assert.match((await moduleStatus(hub, admin, 'needy')).error, /depends on module "ghost" \(\^2\.0\.0\), which is not installed/);
  assert.match((await moduleStatus(hub, admin, 'loop-a')).error, /dependency cycle: loop-a -> loop-b -> loop-a/);
  assert.match((await moduleStatus(hub, admin, 'picky')).error, /needs UNIBOS core \^9\.0\.0; this is 0\.1\.0/);
  assert.match((await moduleStatus(hub, admin, 'old')).error, /depends on "base" \^2\.0\.0; installed is 1\.0\.0/);
  const refused = await api(hub, admin, '/api/v1/modules/loop-b/enable', { method: 'POST' });
  assert.equal(refused.body.code, 'E_MODULE_DEPENDENCY');
  // Disabling a module takes down what needs it; enabling it brings them back.
  await api(hub, admin, '/api/v1/modules/base/disable', { method: 'POST' });
  assert.equal((await moduleStatus(hub, admin, 'middle')).state, 'setup_error');
  assert.equal((await moduleStatus(hub, admin, 'app')).state, 'setup_error');
  await api(hub, admin, '/api/v1/modules/base/enable', { method: 'POST' });
  assert.equal((await moduleStatus(hub, admin, 'app')).state, 'loaded');
});

test('platforms and capabilities are checked against the machine', async () => {
  const root = writeModules({ winonly: { manifest: { platforms: ['windows'] } }, camera: { manifest: { capabilities: { requires_camera: true } } }, anywhere: { manifest: { platforms: ALL, capabilities: { requires_lora: true } } } });
  const hub = await startModuleHub({ root, host });
  const admin = await createAdminSession(hub);
  assert.deepEqual([(await moduleStatus(hub, admin, 'winonly')).state, (await moduleStatus(hub, admin, 'winonly')).error], ['unsupported', 'runs on windows; this hub is linux']);
  assert.match((await moduleStatus(hub, admin, 'camera')).error, /needs camera/);
  assert.equal((await api(hub, admin, '/api/v1/modules/winonly/enable', { method: 'POST' })).body.code, 'E_MODULE_UNSUPPORTED');
  assert.equal((await api(hub, admin, '/api/v1/modules/anywhere/enable', { method: 'POST' })).body.state, 'loaded');
});

test('the module API enforces the manifest: undeclared event types, topics and priorities are refused', async () => {
  const hubJs = `
export default async function plugin(app, { module }) {
  const run = (fn) => async (request, reply) => {
    const { orgId } = module.caller(request);
    try { return { ok: true, result: await fn(orgId) }; }
    catch (err) { return reply.code(err.statusCode ?? 500).send({ code: err.code, message: err.message }); }
  };
  app.post('/declared', run((orgId) => module.events.publish(orgId, 'module.guarded.reading', { value: 1 })));
  app.post('/undeclared', run((orgId) => module.events.publish(orgId, 'module.guarded.secret', { value: 2 })));
  app.post('/other-module', run((orgId) => module.events.publish(orgId, 'module.other.reading', { value: 3 })));
  app.post('/hub-event', run((orgId) => module.events.publish(orgId, 'alert.raised', {})));
  app.post('/subscribe-undeclared', run(() => module.events.subscribe('node.online', () => {})));
  app.post('/mesh', run((orgId) => module.mesh.send(orgId, 'broadcast', { text: 'hi' }, 'normal')));
  app.post('/mqtt-declared', run(() => module.mqtt.subscribe('sensor/quake/pga', () => {})));
  app.post('/mqtt-undeclared', run(() => module.mqtt.subscribe('sensor/#', () => {})));
  app.post('/fleet', run((orgId) => module.fleet.list(orgId)));
  app.post('/network', run(() => module.fetch('http://127.0.0.1:9/')));
}`;
  const root = writeModules({ guarded: { manifest: { permissions: { events: { publish: ['reading'] }, mqtt: { subscribe: ['sensor/quake/+'] } } }, files: { 'hub.js': hubJs } } });
  const hub = await startModuleHub({ root, host });
  const admin = await createAdminSession(hub);
  await api(hub, admin, '/api/v1/modules/guarded/enable', { method: 'POST' });
  const ok = await api(hub, admin, '/api/v1/modules/guarded/declared', { method: 'POST', body: {} });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const event = await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.guarded.reading', { what: 'the declared event' });
  assert.equal(event.topic, 'modules');
  assert.deepEqual(event.data, { value: 1 });
  for (const path of ['undeclared', 'other-module', 'hub-event', 'subscribe-undeclared', 'mesh', 'mqtt-undeclared', 'fleet', 'network']) {
    const r = await api(hub, admin, `/api/v1/modules/guarded/${path}`, { method: 'POST', body: {} });
    assert.equal(r.status, 403, `${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.code, 'E_MODULE_PERMISSION', path);
  }
  assert.equal((await api(hub, admin, '/api/v1/modules/guarded/mqtt-declared', { method: 'POST', body: {} })).status, 200);
  assert.equal(hub.app.events.after(admin.orgId, 0, 1000).filter((e) => e.type.includes('secret')).length, 0, 'nothing undeclared reached the event log');
});

test('enable, disable and settings at runtime, without restarting the hub, persisted in modules.json', async () => {
  const hubJs = `export default async function plugin(app, { module }) { app.get('/greeting', async () => ({ greeting: module.settings.greeting, times: module.settings.times })); }
export function migrateSettings(s, from) { return from === 1 ? { greeting: s.hello, times: 1 } : s; }`;
  const schema = { type: 'object', additionalProperties: false, properties: { greeting: { type: 'string', default: 'merhaba', maxLength: 20 }, times: { type: 'integer', minimum: 1, default: 2 } } };
  const root = writeModules({ greeter: { manifest: { settings: { version: 2, schema } }, files: { 'hub.js': hubJs } } });
  const dataDir = writeModules({});
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dataDir, 'modules.json'), JSON.stringify({ version: 1, modules: { greeter: { enabled: false, settings: { hello: 'selam' }, settingsVersion: 1 } } }));
  const hub = await startModuleHub({ root, host }, { dataDir });
  const admin = await createAdminSession(hub);
  assert.equal((await moduleStatus(hub, admin, 'greeter')).state, 'disabled');
  assert.equal((await api(hub, admin, '/api/v1/modules/greeter/greeting', { method: 'GET' })).body.code, 'E_MODULE_UNLOADED');

  const enabled = await api(hub, admin, '/api/v1/modules/greeter/enable', { method: 'POST' });
  assert.equal(enabled.body.state, 'loaded');
  assert.deepEqual((await api(hub, admin, '/api/v1/modules/greeter/greeting', { method: 'GET' })).body, { greeting: 'selam', times: 1 }, 'version 1 settings went through the migration hook');

  const bad = await api(hub, admin, '/api/v1/modules/greeter/settings', { method: 'PUT', body: { greeting: 'x'.repeat(30), times: 0 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'E_MODULE_SETTINGS');
  assert.match(bad.body.message, /greeting must NOT have more than 20 characters/);
  assert.match(bad.body.message, /times must be >= 1/);
  const put = await api(hub, admin, '/api/v1/modules/greeter/settings', { method: 'PUT', body: { greeting: 'hello' } });
  assert.deepEqual(put.body.settings, { greeting: 'hello', times: 2 }, 'defaults filled in');
  assert.deepEqual((await api(hub, admin, '/api/v1/modules/greeter/greeting', { method: 'GET' })).body, { greeting: 'hello', times: 2 }, 'reloaded with the new settings');

  const disabled = await api(hub, admin, '/api/v1/modules/greeter/disable', { method: 'POST' });
  assert.equal(disabled.body.state, 'unloaded');
  assert.equal((await api(hub, admin, '/api/v1/modules/greeter/greeting', { method: 'GET' })).status, 503);
  const stored = JSON.parse(readFileSync(join(dataDir, 'modules.json'), 'utf8'));
  assert.deepEqual(stored.modules.greeter, { enabled: false, settings: { greeting: 'hello', times: 2 }, settingsVersion: 2 });

  const member = await api(hub, { ...admin, accessToken: 'nope' }, '/api/v1/modules/greeter/enable', { method: 'POST' });
  assert.equal(member.status, 401);
});

test("modules are the whole hub's: an org's own owner cannot switch them off, change them or read their settings; the hub's admins can", async () => {
  const schema = { type: 'object', additionalProperties: false, properties: { feedUrl: { type: 'string', default: 'https://example.test/feed' } } };
  const root = writeModules({ quakes: { manifest: { settings: { version: 1, schema } } } });
  const hub = await startModuleHub({ root, host });
  const admin = await createAdminSession(hub);
  await api(hub, admin, '/api/v1/modules/quakes/enable', { method: 'POST', body: { settings: { feedUrl: 'https://feeds.example.test/quakes' } } });

  // A viewer of the hub's own org makes an org of their own and so owns it.
  const viewer = await createOrgUser(hub, admin, 'viewer');
  const made = await api(hub, viewer, '/api/v1/orgs', { method: 'POST', body: { name: 'mine' } });
  assert.equal(made.status, 201);
  const switched = await api(hub, viewer, '/api/v1/auth/switch-org', { method: 'POST', body: { orgId: made.body.id } });
  assert.equal(switched.status, 200);
  const owner = { ...viewer, accessToken: switched.body.accessToken, orgId: made.body.id };

  for (const [path, method, body] of [
    ['/api/v1/modules/quakes/disable', 'POST', undefined],
    ['/api/v1/modules/quakes/enable', 'POST', { settings: { feedUrl: 'http://attacker.example/feed' } }],
    ['/api/v1/modules/quakes/settings', 'PUT', { feedUrl: 'http://attacker.example/feed' }],
  ] as const) {
    const r = await api(hub, owner, path, { method, body });
    assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.code, 'E_FORBIDDEN');
    assert.match(r.body.message, /whole hub/);
  }
  const theirs = await api(hub, owner, '/api/v1/modules', { method: 'GET' });
  assert.equal(theirs.body.canManage, false);
  const seenByThem = theirs.body.modules.find((m: { name: string }) => m.name === 'quakes');
  assert.equal(seenByThem.state, 'loaded', 'still running');
  assert.equal(seenByThem.settings, undefined, 'its settings are not shown to another org');
  assert.equal((await api(hub, owner, '/api/v1/modules/quakes', { method: 'GET' })).body.settings, undefined);

  const ours = await api(hub, admin, '/api/v1/modules', { method: 'GET' });
  assert.equal(ours.body.canManage, true);
  assert.deepEqual(ours.body.modules.find((m: { name: string }) => m.name === 'quakes').settings, { feedUrl: 'https://feeds.example.test/quakes' }, 'unchanged');

  // The hub's admin switches it off: the other org hears of it, without the settings.
  const off = await api(hub, admin, '/api/v1/modules/quakes/disable', { method: 'POST' });
  assert.equal(off.body.state, 'unloaded');
  const event = await waitForEvent(hub, owner.orgId, (e) => e.type === 'module.state' && e.data.name === 'quakes' && e.data.state === 'unloaded', { what: 'quakes unloaded' });
  assert.equal(event.data.settings, undefined);
});

test('a JSON body nested thousands of levels deep is a 400 at the door, on module settings as on any route, and the hub carries on', async () => {
  const schema = { type: 'object', properties: { zones: { type: 'array', items: { type: 'object' } } } };
  const root = writeModules({ deep: { manifest: { settings: { version: 1, schema } } } });
  const hub = await startModuleHub({ root, host });
  const admin = await createAdminSession(hub);
  // Sent as text: 5,000 levels is more than JSON.stringify's own recursion takes here.
  const nested = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
  for (const [path, method, body] of [
    ['/api/v1/modules/deep/settings', 'PUT', `{"zones":${nested}}`],
    ['/api/v1/modules/deep/enable', 'POST', `{"settings":{"zones":${nested}}}`],
    ['/api/v1/orgs', 'POST', `{"name":${nested}}`],
  ] as const) {
    const res = await fetch(`${hub.url}${path}`, { method, headers: { ...bearer(admin.accessToken), 'content-type': 'application/json' }, body });
    const reply = (await res.json()) as { code: string; message: string };
    assert.equal(res.status, 400, `${method} ${path}: ${JSON.stringify(reply)}`);
    assert.equal(reply.code, 'E_BAD_REQUEST');
    assert.match(reply.message, /nested more than 64 levels/);
  }
  const fine = await api(hub, admin, '/api/v1/modules/deep/settings', { method: 'PUT', body: { zones: [{ name: 'gate', points: [[0, 0], [1, 1]] }] } });
  assert.equal(fine.status, 200, 'ordinary nesting is taken');
  assert.equal((await moduleStatus(hub, admin, 'deep')).settings.zones[0].name, 'gate');
});

test('a module that throws is contained: setup error with its reason, retry with backoff, runtime errors unload and retry', async () => {
  const root = writeModules({
    crashy: { files: { 'hub.js': `export default async function plugin() { throw new Error('cannot open the camera'); }` } },
    flaky: { files: { 'hub.js': `export default async function plugin(app) { globalThis.__flaky = (globalThis.__flaky ?? 0) + 1; if (globalThis.__flaky < 3) throw Object.assign(new Error('feed server not up yet'), { code: 'E_MODULE_NOT_READY' }); app.get('/up', async () => ({ attempts: globalThis.__flaky })); }` } },
    bomb: { files: { 'hub.js': `export default async function plugin(app, { module }) { globalThis.__bomb = (globalThis.__bomb ?? 0) + 1; if (globalThis.__bomb === 1) module.jobs.every('tick', 20, () => { throw new Error('kaboom'); }); app.get('/alive', async () => ({ alive: true })); }` } },
  });
  const hub = await startModuleHub({ root, host });
  const admin = await createAdminSession(hub);
  await api(hub, admin, '/api/v1/modules', { method: 'GET' });

  const crashy = await api(hub, admin, '/api/v1/modules/crashy/enable', { method: 'POST' });
  assert.equal(crashy.body.state, 'setup_error');
  assert.equal(crashy.body.error, 'cannot open the camera');
  assert.equal((await fetch(`${hub.url}/alive`)).status, 200, 'the hub is still up');

  const flaky = await api(hub, admin, '/api/v1/modules/flaky/enable', { method: 'POST' });
  assert.equal(flaky.body.state, 'setup_retry');
  assert.equal(flaky.body.error, 'feed server not up yet');
  assert.ok(flaky.body.retryAt);
  await waitForState(hub, admin, 'flaky', 'loaded');
  assert.deepEqual((await api(hub, admin, '/api/v1/modules/flaky/up', { method: 'GET' })).body, { attempts: 3 });

  await api(hub, admin, '/api/v1/modules/bomb/enable', { method: 'POST' });
  const retry = (await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.state' && e.data.name === 'bomb' && e.data.state === 'setup_retry', { what: 'bomb retrying' })) as unknown as { id: number; data: { error: string; runtimeErrors: number } };
  assert.equal(retry.data.error, 'runtime error in job tick: kaboom');
  assert.equal(retry.data.runtimeErrors, 1);
  await waitForState(hub, admin, 'bomb', 'loaded', retry.id);
  assert.deepEqual((await api(hub, admin, '/api/v1/modules/bomb/alive', { method: 'GET' })).body, { alive: true });
  assert.equal((await fetch(`${hub.url}/alive`)).status, 200);
});

test('a job still running when its module reloads ends on the old instance: its late error and writes count for nothing, and the new instance stays loaded', async () => {
  // Generation 1's job waits on a slow feed; the admin saves settings meanwhile (a reload), then
  // the feed answers: the old run writes and throws on an instance that is gone.
  const hubJs = `export default async function plugin(app, { module }) {
  const slow = globalThis.__slowPoll;
  const generation = ++slow.loads;
  const notes = module.store.collection('notes');
  module.jobs.every('poll', 60_000, async () => {
    try {
      if (generation === 1) { slow.started(); await slow.gate; }
      notes.put(null, 'from-' + generation, { generation });
      if (generation === 1) throw new Error('the feed answered after the reload');
      slow.secondRan();
    } finally {
      if (generation === 1) slow.firstEnded();
    }
  }, { immediately: true });
  app.get('/notes', async () => notes.list(null).map((d) => d.id));
}`;
  const schema = { type: 'object', additionalProperties: false, properties: { every: { type: 'integer', minimum: 1, default: 5 } } };
  const root = writeModules({ slowpoll: { manifest: { settings: { version: 1, schema } }, files: { 'hub.js': hubJs } } });
  const slow: Record<string, unknown> = { loads: 0 };
  const signal = (name: string) => new Promise<void>((resolve) => (slow[name] = resolve));
  const started = signal('started');
  const secondRan = signal('secondRan');
  const firstEnded = signal('firstEnded');
  slow.gate = signal('release');
  (globalThis as { __slowPoll?: unknown }).__slowPoll = slow;
  const hub = await startModuleHub({ root, host });
  const admin = await createAdminSession(hub);
  assert.equal((await api(hub, admin, '/api/v1/modules/slowpoll/enable', { method: 'POST' })).body.state, 'loaded');
  await started;
  const put = await api(hub, admin, '/api/v1/modules/slowpoll/settings', { method: 'PUT', body: { every: 7 } });
  assert.equal(put.body.state, 'loaded');
  await secondRan;
  (slow.release as () => void)();
  await firstEnded;
  // The host's catch of the old run comes a few promise turns after its finally: one turn of the event loop.
  await new Promise((resolve) => setImmediate(resolve));
  const status = await moduleStatus(hub, admin, 'slowpoll');
  assert.deepEqual([status.state, status.runtimeErrors, status.error], ['loaded', 0, null], 'the new instance is not blamed for the old one');
  assert.deepEqual((await api(hub, admin, '/api/v1/modules/slowpoll/notes', { method: 'GET' })).body, ['from-2'], 'the unloaded instance wrote nothing');
});
