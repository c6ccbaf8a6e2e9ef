// Org isolation (issue 5): every resource belongs to an org, and another org's resource answers
// 404 exactly like a missing one. Org A gets one of each resource through the real paths (a
// gateway over the real uplink, what its mesh and sensors said, a downlink, a member, an API
// key, a claim token); org B's owner and an all-scopes org-B API key then call every route that
// takes an id with A's ids. The routes come from the running app, so a new route with a path
// parameter fails this file until it has a case here.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { PERMISSIONS } from '../src/auth/auth-context.ts';
import { createAdminSession, createApiKey, createOrgUser, bearer } from './support/test-auth.ts';
import { TestGateway, claimDevice } from './support/test-gateway.ts';
import { proveAndClaim, testIdentity } from './support/test-identity.ts';
import { startTestHub, type TestHub } from './support/test-hub.ts';
import { waitForEvent } from './support/hub-events.ts';
import { opaque, registerDevice } from './support/messenger-client.ts';

interface Reply {
  status: number;
  text: string;
  body: any;
}

async function call(hub: TestHub, token: string | null, method: string, url: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${hub.url}${url}`, {
    method,
    headers: { ...(token ? bearer(token) : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: res.status, text, body: parsed };
}

interface RouteRef {
  method: string;
  path: string;
}

/**
 * Every method and path the app answers, from Fastify's route tree (printRoutes): each line is
 * one radix node whose text continues its parent's, e.g. `/api/v1/me` > `mbers` > `/:userId`.
 * HEAD is left out (Fastify adds it to every GET).
 */
function appRoutes(app: FastifyInstance): RouteRef[] {
  const out: RouteRef[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false, includeMeta: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = (depth > 0 ? stack[depth - 1]! : '') + m[2]!;
    stack.push(path);
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter((s) => s && s !== 'HEAD')) {
      out.push({ method, path: path.startsWith('/') ? path : `/${path}` });
    }
  }
  return out;
}

const hasParam = (path: string): boolean => /:[A-Za-z]|\*/.test(path);

function fill(path: string, params: Record<string, string>): string {
  return path.replace(/:([A-Za-z0-9_]+)|\*/g, (whole, name: string | undefined) => {
    const v = params[name ?? '*'];
    if (v === undefined) throw new Error(`no value for ${whole} in ${path}`);
    return v;
  });
}

/** A /ws client that queues frames, so a test awaits the next one instead of sleeping. */
class StreamClient {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  readonly texts: string[] = [];
  private wake: (() => void) | null = null;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', () => resolve()));
    this.ws.on('message', (data) => {
      this.texts.push(data.toString());
      this.wake?.();
    });
    this.ws.on('close', () => this.wake?.());
  }

  /** Frames up to and including the first that matches; fails if the stream closes first. */
  async until(match: (frame: Record<string, any>) => boolean): Promise<string[]> {
    const seen: string[] = [];
    for (;;) {
      while (this.texts.length === 0) {
        if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`stream closed; frames so far: ${seen.join('\n')}`);
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
      }
      const text = this.texts.shift()!;
      seen.push(text);
      if (match(JSON.parse(text) as Record<string, any>)) return seen;
    }
  }
}

// At module level: the hub's own after() then runs once every test of the file is done.
const hub = await startTestHub({ dedupWindowMs: 0 });
const orgA = await createAdminSession(hub, { orgName: 'Isolation org A' });
const orgB = await createAdminSession(hub, { orgName: 'Isolation org B' });
assert.notEqual(orgA.orgId, orgB.orgId);

// Org A's resources, each made through the path a user or device would take.
const GW_A_IDENTITY = testIdentity();
const GW_A = GW_A_IDENTITY.id;
const NODE_A = '!a0a0a0a1';
const SENSOR_A = 'orgA-tank-7f3a';
const gwA = await TestGateway.connect(hub, orgA, GW_A_IDENTITY);
gwA.mesh(NODE_A, 'info', { longName: 'Org A hut', shortName: 'AHUT', role: 'CLIENT' }, { packetId: 1 });
gwA.mesh(NODE_A, 'text', { text: 'org A secret text' }, { packetId: 2 });
gwA.mesh(NODE_A, 'position', { latitude: 47.25, longitude: 8.5 }, { packetId: 3 });
gwA.mesh(NODE_A, 'alert', { level: 'SOS', text: 'org A SOS', position: { latitude: 47.25, longitude: 8.5 } }, { packetId: 4 });
gwA.sensor(SENSOR_A, 'level', '42');
const raised = await waitForEvent(hub, orgA.orgId, (e) => e.type === 'alert.raised', { what: 'org A\u2019s alert' });
// One connection keeps order: once the reading (sent last) is in, so is everything before it.
await waitForEvent(hub, orgA.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === SENSOR_A, { what: 'org A\u2019s reading' });
const ALERT_A = String(raised.data.id);
const sentA = await call(hub, orgA.accessToken, 'POST', `/api/v1/nodes/${NODE_A}/messages`, { text: 'org A downlink' });
assert.equal(sentA.status, 202, sentA.text);
const MESSAGE_A = sentA.body.id as string;
assert.equal((await gwA.nextDownlink()).ref, MESSAGE_A);
const switchedA = await call(hub, orgA.accessToken, 'POST', `/api/v1/gateways/!${GW_A}/switch`, { sensor: 'plug1', state: 'ON' });
assert.equal(switchedA.status, 202, switchedA.text);
const SWITCH_A = switchedA.body.ref as string;
assert.equal((await gwA.nextDownlink()).ref, SWITCH_A);
const memberA = await createOrgUser(hub, orgA, 'member');
const keyA = await createApiKey(hub, orgA, ['read'], 'org A key 5c1e');
const claimA = await call(hub, orgA.accessToken, 'POST', '/api/v1/claim-tokens', { kind: 'node', name: 'Org A spare' });
assert.equal(claimA.status, 201, claimA.text);
const CLAIM_TOKEN_A = claimA.body.token as string;
// Org A's messenger: a device each, a direct conversation, an attachment and a message referring to it.
const deviceA = await registerDevice(hub, orgA, 'Org A phone');
const memberDeviceA = await registerDevice(hub, memberA, 'Org A member phone');
const convA = await call(hub, orgA.accessToken, 'POST', '/api/v1/messenger/conversations', { kind: 'direct', userId: memberA.userId });
assert.equal(convA.status, 201, convA.text);
const CONVERSATION_A = convA.body.id as string;
const uploadA = await fetch(`${hub.url}/api/v1/messenger/attachments`, { method: 'POST', headers: { ...bearer(orgA.accessToken), 'content-type': 'application/octet-stream' }, body: Buffer.from('org A encrypted blob') });
assert.equal(uploadA.status, 201);
const ATTACHMENT_A = ((await uploadA.json()) as { id: string }).id;
const sentMessengerA = await call(hub, orgA.accessToken, 'POST', `/api/v1/messenger/conversations/${CONVERSATION_A}/messages`, { clientId: randomUUID(), kind: 'message', senderDevice: deviceA.id, recipientDevices: [memberDeviceA.id], ciphertext: opaque(), attachments: [ATTACHMENT_A] });
assert.equal(sentMessengerA.status, 201, sentMessengerA.text);

// Org B: its owner, and an API key with every scope.
const keyB = await createApiKey(hub, orgB, [...PERMISSIONS], 'org B all scopes');
// B's owner's messenger device (B's all-scopes key acts for the same user).
const deviceB = await registerDevice(hub, orgB, 'Org B phone');
const callersB = [
  { who: 'org B\u2019s owner', token: orgB.accessToken },
  { who: 'org B\u2019s all-scopes API key', token: keyB.key },
];

/** Text that is org A's alone: none of it may appear in anything org B is answered. */
const SECRETS_A = [GW_A, NODE_A.slice(1), SENSOR_A, MESSAGE_A, SWITCH_A, orgA.orgId, orgA.userId, orgA.email, memberA.userId, memberA.email, keyA.id, 'org A key 5c1e', 'Isolation org A', 'Org A hut', 'org A secret text', 'org A SOS', 'org A downlink', 'Org A spare', deviceA.id, memberDeviceA.id, CONVERSATION_A, ATTACHMENT_A, sentMessengerA.body.id as string, 'Org A phone'];

function leakedSecrets(text: string): string[] {
  return SECRETS_A.filter((s) => text.includes(s));
}

interface RouteCase {
  /** Pairs of path parameters: org A's, and the same shape for something that exists in no org. */
  pairs: Array<[a: Record<string, string>, missing: Record<string, string>]>;
  body?: unknown;
  /** A query string the route needs besides the id (e.g. the caller's own device). */
  query?: string;
}

const NOBODY_NODE = '0badf00d';
const nodePairs: RouteCase['pairs'] = [
  [{ id: NODE_A }, { id: `!${NOBODY_NODE}` }],
  [{ id: `!${GW_A}` }, { id: `!${NOBODY_NODE}` }],
  [{ id: GW_A }, { id: NOBODY_NODE }],
];
const memberPairs: RouteCase['pairs'] = [
  [{ userId: memberA.userId }, { userId: randomUUID() }],
  [{ userId: orgA.userId }, { userId: randomUUID() }],
];
/** Every parameterised route of the app. A new one fails the first test until it is added here. */
const ROUTE_CASES: Record<string, RouteCase> = {
  'GET /api/v1/nodes/:id': { pairs: nodePairs },
  'PATCH /api/v1/nodes/:id': { pairs: nodePairs, body: { name: 'renamed by org B' } },
  'DELETE /api/v1/nodes/:id': { pairs: nodePairs },
  'POST /api/v1/nodes/:id/messages': { pairs: nodePairs, body: { text: 'from org B' } },
  'GET /api/v1/sensors/:id/readings': { pairs: [[{ id: SENSOR_A }, { id: 'no-such-sensor' }]] },
  'GET /api/v1/messages/:id': { pairs: [[{ id: MESSAGE_A }, { id: randomUUID() }]] },
  'GET /api/v1/switches/:ref': { pairs: [[{ ref: SWITCH_A }, { ref: randomUUID() }]] },
  'POST /api/v1/alerts/:id/acknowledge': { pairs: [[{ id: ALERT_A }, { id: '999999' }]] },
  'POST /api/v1/alerts/:id/resolve': { pairs: [[{ id: ALERT_A }, { id: '999999' }]] },
  'PATCH /api/v1/members/:userId': { pairs: memberPairs, body: { role: 'viewer' } },
  'DELETE /api/v1/members/:userId': { pairs: memberPairs },
  'DELETE /api/v1/api-keys/:id': { pairs: [[{ id: keyA.id }, { id: randomUUID() }]] },
  'POST /api/v1/gateways/:id/switch': { pairs: [[{ id: `!${GW_A}` }, { id: `!${NOBODY_NODE}` }], [{ id: GW_A }, { id: NOBODY_NODE }]], body: { sensor: 'plug1', state: 'ON' } },
  // Static files (the admin UI, the OpenAPI UI): no org data, but an org-A id in the path must
  // not find anything either.
  'GET /*': {
    pairs: [
      [{ '*': NODE_A }, { '*': `!${NOBODY_NODE}` }],
      [{ '*': MESSAGE_A }, { '*': randomUUID() }],
      [{ '*': `api/v1/nodes/${NODE_A}/records` }, { '*': `api/v1/nodes/!${NOBODY_NODE}/records` }],
    ],
  },
  'DELETE /api/v1/messenger/devices/:id': { pairs: [[{ id: deviceA.id }, { id: randomUUID() }]] },
  'POST /api/v1/messenger/devices/:id/prekeys': { pairs: [[{ id: deviceA.id }, { id: randomUUID() }]], body: { bundle: {} } },
  'GET /api/v1/messenger/users/:userId/bundles': { pairs: memberPairs },
  'GET /api/v1/messenger/users/:userId/keys': { pairs: memberPairs },
  'GET /api/v1/messenger/conversations/:id': { pairs: [[{ id: CONVERSATION_A }, { id: randomUUID() }]] },
  'PATCH /api/v1/messenger/conversations/:id': { pairs: [[{ id: CONVERSATION_A }, { id: randomUUID() }]], body: { name: 'renamed by org B' } },
  'POST /api/v1/messenger/conversations/:id/members': { pairs: [[{ id: CONVERSATION_A }, { id: randomUUID() }]], body: { userIds: [orgB.userId] } },
  'DELETE /api/v1/messenger/conversations/:id/members/:userId': { pairs: [[{ id: CONVERSATION_A, userId: memberA.userId }, { id: randomUUID(), userId: randomUUID() }]] },
  'PATCH /api/v1/messenger/conversations/:id/members/:userId': { pairs: [[{ id: CONVERSATION_A, userId: memberA.userId }, { id: randomUUID(), userId: randomUUID() }]], body: { role: 'admin' } },
  'POST /api/v1/messenger/conversations/:id/leave': { pairs: [[{ id: CONVERSATION_A }, { id: randomUUID() }]] },
  'PUT /api/v1/messenger/conversations/:id/mute': { pairs: [[{ id: CONVERSATION_A }, { id: randomUUID() }]], body: { muted: true } },
  'GET /api/v1/messenger/conversations/:id/messages': { pairs: [[{ id: CONVERSATION_A }, { id: randomUUID() }]] },
  'POST /api/v1/messenger/conversations/:id/messages': { pairs: [[{ id: CONVERSATION_A }, { id: randomUUID() }]], body: { clientId: 'org-b-try', kind: 'message', senderDevice: deviceB.id, recipientDevices: [deviceA.id], ciphertext: 'AAAA' } },
  'GET /api/v1/messenger/attachments/:id': { pairs: [[{ id: ATTACHMENT_A }, { id: randomUUID() }]] },
  'DELETE /api/v1/messenger/attachments/:id': { pairs: [[{ id: ATTACHMENT_A }, { id: randomUUID() }]] },
  // A node org A heard is, for org B, a node nobody heard: no key, no conversation, nothing to send through.
  'GET /api/v1/messenger/mesh/:nodeId/key': { pairs: [[{ nodeId: NODE_A }, { nodeId: `!${NOBODY_NODE}` }]] },
  'GET /api/v1/messenger/mesh/:nodeId/messages': { pairs: [[{ nodeId: NODE_A }, { nodeId: `!${NOBODY_NODE}` }]], query: `?device=${deviceB.id}` },
  'POST /api/v1/messenger/mesh/:nodeId/messages': { pairs: [[{ nodeId: NODE_A }, { nodeId: `!${NOBODY_NODE}` }]], body: { senderDevice: deviceB.id, sealed: 'AAAA' } },
  'GET /docs/*': { pairs: [[{ '*': MESSAGE_A }, { '*': randomUUID() }], [{ '*': SENSOR_A }, { '*': 'no-such-sensor' }]] },
};

/** Org-wide reads without a path parameter: what B gets must hold nothing of A's. */
const LIST_CASES: Record<string, string[]> = {
  'GET /api/v1/nodes': ['/api/v1/nodes', '/api/v1/nodes?kind=gateway', '/api/v1/nodes?status=online', '/api/v1/nodes?claimed=false', '/api/v1/nodes?claimed=true'],
  'GET /api/v1/records': ['/api/v1/records', `/api/v1/records?node=${NODE_A}`, '/api/v1/records?kind=alert'],
  'GET /api/v1/sensors': ['/api/v1/sensors'],
  'GET /api/v1/messages': ['/api/v1/messages', `/api/v1/messages?node=${NODE_A}`, '/api/v1/messages?node=broadcast'],
  'GET /api/v1/alerts': ['/api/v1/alerts', '/api/v1/alerts?state=open'],
  'GET /api/v1/members': ['/api/v1/members'],
  'GET /api/v1/api-keys': ['/api/v1/api-keys'],
  'GET /api/v1/orgs': ['/api/v1/orgs'],
  'GET /api/v1/me': ['/api/v1/me'],
  'GET /api/v1/modules': ['/api/v1/modules'],
  'GET /api/v1/messenger/devices': ['/api/v1/messenger/devices'],
  'GET /api/v1/messenger/conversations': ['/api/v1/messenger/conversations'],
  'GET /api/v1/messenger/inbox': [`/api/v1/messenger/inbox?device=${deviceB.id}`],
  'GET /api/v1/messenger/mesh': [`/api/v1/messenger/mesh?device=${deviceB.id}`],
  // Hub-wide and unauthenticated by design; checked for A's data all the same.
  'GET /api/v1/setup': ['/api/v1/setup'],
  'GET /api/v1/ui-config': ['/api/v1/ui-config'],
  'GET /alive': ['/alive'],
  'GET /ready': ['/ready'],
  'GET /health': ['/health'],
  'GET /metrics': ['/metrics'],
  'GET /docs': ['/docs'],
  'GET /docs/': ['/docs/'],
  'GET /docs/json': ['/docs/json'],
  'GET /docs/yaml': ['/docs/yaml'],
  'GET /docs/static/index.html': ['/docs/static/index.html'],
  'GET /docs/static/swagger-initializer.js': ['/docs/static/swagger-initializer.js'],
};
/** Checked by its own test below (a WebSocket, not a plain GET). */
const STREAM_ROUTE = 'GET /ws';
/**
 * The module host's routes take a module name, which is hub-wide (modules are installed per hub),
 * not an org's resource; what a module serves under /api/v1/modules/{name}/ is scoped by the
 * caller's org inside the module (test/modules-birlikteyiz.test.ts checks birlikteyiz's rounds).
 */
const MODULE_ROUTE = /^[A-Z]+ \/(api\/v1\/)?modules\/:name/;

const routes = appRoutes(hub.app);

describe('org isolation: org B cannot see or touch org A\u2019s resources', { timeout: 60_000 }, () => {
  test('the route table is read from the running app and every parameterised route has a case', () => {
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    // The parser works (known routes are there), so an empty list cannot pass this vacuously.
    for (const known of ['GET /api/v1/nodes/:id', 'DELETE /api/v1/members/:userId', 'GET /api/v1/records', STREAM_ROUTE]) assert.ok(keys.includes(known), `route tree lost ${known}:\n${hub.app.printRoutes({ commonPrefix: false })}`);
    const uncovered = keys.filter((k) => hasParam(k) && !(k in ROUTE_CASES) && !MODULE_ROUTE.test(k));
    assert.deepEqual(uncovered, [], 'a route with a path parameter has no org-isolation case: add it to ROUTE_CASES');
    const stale = Object.keys(ROUTE_CASES).filter((k) => !keys.includes(k));
    assert.deepEqual(stale, [], 'ROUTE_CASES names routes the app no longer has');
    const unlisted = keys.filter((k) => k.startsWith('GET ') && !hasParam(k) && !(k in LIST_CASES) && k !== STREAM_ROUTE);
    assert.deepEqual(unlisted, [], 'a GET route has no org-isolation case: add it to LIST_CASES');
  });

  test('every route with an id answers org B 404 E_NOT_FOUND for org A\u2019s ids, exactly as for a missing one', async () => {
    const failures: string[] = [];
    // The caller's own input (the id in the path) may be echoed; nothing else of A's may appear.
    const norm = (r: Reply, p: Record<string, string>): string => Object.values(p).reduce((t, v) => t.split(v).join('<id>'), r.text);
    const exercised = new Set<string>();
    for (const { method, path } of routes.filter((r) => hasParam(r.path))) {
      const c = ROUTE_CASES[`${method} ${path}`];
      if (!c) continue; // reported by the route-table test
      exercised.add(`${method} ${path}`);
      for (const { who, token } of callersB) {
        for (const [params, missingParams] of c.pairs) {
          const url = fill(path, params) + (c.query ?? '');
          const got = await call(hub, token, method, url, c.body);
          const missing = await call(hub, token, method, fill(path, missingParams) + (c.query ?? ''), c.body);
          const where = `${who}: ${method} ${url}`;
          if (got.status !== 404 || got.body?.code !== 'E_NOT_FOUND') {
            failures.push(`${where} answered ${got.status} ${got.text.slice(0, 200)}`);
            continue;
          }
          const leaks = leakedSecrets(norm(got, params));
          if (leaks.length > 0) failures.push(`${where} leaks ${leaks.join(', ')}: ${got.text}`);
          // Same answer as for an id nobody has, once the id itself is taken out of the message.
          if (norm(got, params) !== norm(missing, missingParams)) failures.push(`${where} answered ${got.text}, a missing one ${missing.text}`);
        }
      }
    }
    assert.deepEqual([...exercised].sort(), Object.keys(ROUTE_CASES).sort(), 'every case ran against a live route');
    assert.deepEqual(failures, []);
  });

  test('org B\u2019s lists and org-wide reads hold nothing of org A\u2019s', async () => {
    const failures: string[] = [];
    for (const [route, urls] of Object.entries(LIST_CASES)) {
      for (const url of urls) {
        for (const { who, token } of [...callersB, { who: 'nobody', token: null }]) {
          const got = await call(hub, token, 'GET', url);
          if (route.startsWith('GET /api/v1/') && !['GET /api/v1/setup', 'GET /api/v1/ui-config'].includes(route)) {
            if (token === null) {
              if (got.status !== 401) failures.push(`${who}: GET ${url} answered ${got.status} without a token`);
              continue;
            }
            // api-keys and members need [members]; an all-scopes key and the owner have it.
            if (got.status !== 200) failures.push(`${who}: GET ${url} answered ${got.status} ${got.text.slice(0, 200)}`);
          }
          const leaks = leakedSecrets(got.text);
          if (leaks.length > 0) failures.push(`${who}: GET ${url} holds org A\u2019s ${leaks.join(', ')}`);
        }
      }
    }
    // And B's lists are not simply failing: B sees its own org, owner and key.
    const me = await call(hub, orgB.accessToken, 'GET', '/api/v1/me');
    assert.equal(me.body.org.id, orgB.orgId);
    const keys = await call(hub, keyB.key, 'GET', '/api/v1/api-keys');
    assert.deepEqual(keys.body.items.map((k: { id: string }) => k.id), [keyB.id]);
    const members = await call(hub, keyB.key, 'GET', '/api/v1/members');
    assert.deepEqual(members.body.items.map((m: { userId: string }) => m.userId), [orgB.userId]);
    assert.deepEqual(failures, []);
  });

  test('ids in a body are isolated too: B cannot switch into A, nor claim A\u2019s gateway id', async () => {
    const sw = await call(hub, orgB.accessToken, 'POST', '/api/v1/auth/switch-org', { orgId: orgA.orgId });
    const swMissing = await call(hub, orgB.accessToken, 'POST', '/api/v1/auth/switch-org', { orgId: randomUUID() });
    assert.equal(sw.status, 404, sw.text);
    assert.equal(sw.body.code, 'E_NOT_FOUND');
    assert.equal(sw.text, swMissing.text, 'another org answers like a missing one');
    // With B's own claim token, A's gateway id is refused (B cannot prove it holds the gateway's keys), and A's gateway keeps its credentials.
    const t = await call(hub, orgB.accessToken, 'POST', '/api/v1/claim-tokens', { kind: 'gateway' });
    const claim = await call(hub, null, 'POST', '/api/v1/devices/claim', { token: t.body.token, deviceId: GW_A });
    assert.equal(claim.status, 401, claim.text);
    assert.equal((await call(hub, orgB.accessToken, 'GET', `/api/v1/nodes/!${GW_A}`)).status, 404);
  });

  test('org A\u2019s resources are intact after org B\u2019s attempts', async () => {
    const node = await call(hub, orgA.accessToken, 'GET', `/api/v1/nodes/${NODE_A}`);
    assert.equal(node.status, 200);
    assert.equal(node.body.name, 'Org A hut', 'B\u2019s rename did nothing');
    const gateway = await call(hub, orgA.accessToken, 'GET', `/api/v1/nodes/!${GW_A}`);
    assert.equal(gateway.status, 200, 'B\u2019s delete did nothing');
    assert.equal(gateway.body.online, true);
    assert.equal(gwA.uplink.stats.state, 'connected');
    assert.equal(gwA.uplink.stats.connects, 1, 'A\u2019s gateway was never disconnected');
    const records = await call(hub, orgA.accessToken, 'GET', `/api/v1/records?node=${NODE_A}`);
    assert.deepEqual(records.body.items.map((r: { kind: string }) => r.kind).sort(), ['alert', 'info', 'position', 'text']);
    const readings = await call(hub, orgA.accessToken, 'GET', `/api/v1/sensors/${SENSOR_A}/readings`);
    assert.deepEqual(readings.body.items.map((r: { value: number }) => r.value), [42]);
    const message = await call(hub, orgA.accessToken, 'GET', `/api/v1/messages/${MESSAGE_A}`);
    assert.equal(message.status, 200);
    assert.equal(message.body.text, 'org A downlink');
    const switched = await call(hub, orgA.accessToken, 'GET', `/api/v1/switches/${SWITCH_A}`);
    assert.equal(switched.status, 200);
    assert.deepEqual([switched.body.sensor, switched.body.status], ['plug1', 'sent']);
    const alerts = await call(hub, orgA.accessToken, 'GET', '/api/v1/alerts');
    assert.deepEqual(alerts.body.items.map((a: { id: number; state: string; acknowledgedBy: string | null }) => [String(a.id), a.state, a.acknowledgedBy]), [[ALERT_A, 'open', null]], 'B could not acknowledge or resolve it');
    const members = await call(hub, orgA.accessToken, 'GET', '/api/v1/members');
    assert.deepEqual(
      members.body.items.map((m: { userId: string; role: string }) => [m.userId, m.role]).sort(),
      [[orgA.userId, 'owner'], [memberA.userId, 'member']].sort(),
      'B could neither demote nor remove A\u2019s members',
    );
    const keys = await call(hub, orgA.accessToken, 'GET', '/api/v1/api-keys');
    assert.deepEqual(keys.body.items.map((k: { id: string }) => k.id), [keyA.id]);
    const viaKey = await call(hub, keyA.key, 'GET', '/api/v1/me');
    assert.equal(viaKey.status, 200, 'A\u2019s API key still works');
    assert.equal(viaKey.body.org.id, orgA.orgId);
    // The claim token is unspent and claims into A, not B.
    const spare = testIdentity();
    const claim = await proveAndClaim(hub.url, CLAIM_TOKEN_A, spare);
    assert.equal(claim.status, 201, JSON.stringify(claim.body));
    assert.equal((await call(hub, orgA.accessToken, 'GET', `/api/v1/nodes/!${spare.id}`)).body.name, 'Org A spare');
    assert.equal((await call(hub, orgB.accessToken, 'GET', `/api/v1/nodes/!${spare.id}`)).status, 404);
  });

  test('org B\u2019s event stream (/ws) never carries org A\u2019s events, live or replayed', async () => {
    const clients = callersB.map(({ token }) => {
      const url = new URL('/ws', hub.url.replace(/^http/, 'ws'));
      url.searchParams.set('token', token);
      url.searchParams.set('since', '0');
      return new StreamClient(url.toString());
    });
    after(() => {
      for (const c of clients) c.ws.terminate();
    });
    await Promise.all(clients.map((c) => c.opened));
    for (const c of clients) await c.until((f) => f.type === 'hello');
    const mark = hub.app.events.lastId();
    // Live traffic in A: mesh, sensors, nodes and alerts topics.
    gwA.mesh(NODE_A, 'text', { text: 'org A secret text, live' }, { packetId: 20 });
    gwA.sensor(SENSOR_A, 'level', '43');
    const ack = await call(hub, orgA.accessToken, 'POST', `/api/v1/alerts/${ALERT_A}/acknowledge`);
    assert.equal(ack.status, 200, ack.text);
    await waitForEvent(hub, orgA.orgId, (e) => e.type === 'sensor.reading' && e.data.value === 43, { afterId: mark, what: 'A\u2019s live reading' });
    // Then an event in B: delivery keeps append order, so a leaked A event would arrive before it.
    const marker = testIdentity();
    await claimDevice(hub, orgB, 'node', marker, 'B marker');
    for (const [i, c] of clients.entries()) {
      const frames = await c.until((f) => f.type === 'event' && f.event === 'node.claimed' && f.data?.id === `!${marker.id}`);
      const leaks = frames.filter((f) => leakedSecrets(f).length > 0);
      assert.deepEqual(leaks, [], `${callersB[i]!.who}\u2019s stream carried org A\u2019s events`);
      assert.ok(frames.every((f) => JSON.parse(f).type === 'event'), 'only events after hello');
    }
  });

  // These two need org B to have a fleet entry with the id of A's gateway (a node B's own
  // gateway heard announce that id), so they run after the sweeps above, where B has none.
  test('a node in org B with the id of org A\u2019s gateway does not route B\u2019s broadcast through A\u2019s gateway', async () => {
    const gwB = await TestGateway.connect(hub, orgB);
    gwB.mesh(`!${GW_A}`, 'info', { longName: 'impostor', shortName: 'IMP', role: 'GATEWAY' }, { packetId: 100 });
    await waitForEvent(hub, orgB.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === `!${GW_A}`, { what: 'the impostor\u2019s announcement in B' });
    const fromB = await call(hub, orgB.accessToken, 'POST', '/api/v1/messages', { text: 'org B broadcast' });
    assert.equal(fromB.status, 202, fromB.text);
    assert.equal((await gwB.nextDownlink()).ref, fromB.body.id, 'B\u2019s own gateway sends it');
    // A's gateway receives downlinks in publish order: had B's gone to it, it would come first.
    const fromA = await call(hub, orgA.accessToken, 'POST', '/api/v1/messages', { text: 'org A broadcast' });
    assert.equal(fromA.status, 202, fromA.text);
    const refs = [(await gwA.nextDownlink()).ref];
    if (refs[0] !== fromA.body.id) refs.push((await gwA.nextDownlink()).ref);
    assert.deepEqual(refs, [fromA.body.id], 'org A\u2019s gateway received org B\u2019s broadcast');
    assert.ok(!(fromB.body.gateways as string[]).includes(`!${GW_A}`), `B\u2019s broadcast lists A\u2019s gateway: ${fromB.text}`);
  });

  test('org B removing its own node with the id of org A\u2019s gateway leaves A\u2019s gateway connected', async () => {
    const inB = await call(hub, orgB.accessToken, 'GET', `/api/v1/nodes/!${GW_A}`);
    assert.equal(inB.status, 200, 'set up by the test before: B\u2019s fleet has a node with that id');
    const connects = gwA.uplink.stats.connects;
    const states: string[] = [];
    const off = gwA.uplink.onState((s) => states.push(s));
    try {
      const del = await call(hub, orgB.accessToken, 'DELETE', `/api/v1/nodes/!${GW_A}`);
      assert.equal(del.status, 204, 'B may remove its own node');
      // A round trip through A's gateway: had its connection been closed, this goes over a new one.
      gwA.mesh(NODE_A, 'text', { text: 'still connected?' }, { packetId: 30 });
      await waitForEvent(hub, orgA.orgId, (e) => e.type === 'mesh.text' && (e.data as { packetId: number }).packetId === 30, { what: 'A\u2019s round trip' });
    } finally {
      off();
    }
    assert.deepEqual(states, [], 'org A\u2019s gateway was disconnected by org B\u2019s delete');
    assert.equal(gwA.uplink.stats.connects, connects);
    const gateway = await call(hub, orgA.accessToken, 'GET', `/api/v1/nodes/!${GW_A}`);
    assert.equal(gateway.status, 200);
  });
});
