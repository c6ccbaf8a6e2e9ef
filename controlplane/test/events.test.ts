// The /ws event stream against a real hub with real WebSocket clients: auth, live delivery, org
// isolation, resume without gap or duplicate, topic filter, keepalive and the slow-consumer close.

import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import type { HubEventType } from '@unibos/mesh-protocol';
import { eventStreamRoutes } from '../src/events/event-routes.ts';
import type { EventLog } from '../src/events/event-log.ts';
import type { EventTopic, NewHubEvent } from '../src/events/hub-event.ts';
import { bearer, createAdminSession, createApiKey, createOrgUser } from './support/test-auth.ts';
import { startTestHub, type TestHub } from './support/test-hub.ts';

interface EventFrame {
  type: 'event';
  id: number;
  topic: EventTopic;
  event: string;
  ts: number;
  data: Record<string, unknown>;
}
type Frame = { type: 'hello'; lastId: number } | { type: 'pong' } | { type: 'error'; code: string; message: string } | EventFrame;

/** A /ws client that queues what it receives, so a test awaits the next frame instead of sleeping. */
class StreamClient {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly frames: Frame[] = [];
  private wake: (() => void) | null = null;

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.wake?.();
    });
    this.ws.on('close', () => this.wake?.());
  }

  async next(): Promise<Frame> {
    while (this.frames.length === 0) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('stream closed while a frame was awaited');
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
    return this.frames.shift()!;
  }

  async hello(): Promise<number> {
    const frame = await this.next();
    assert.equal(frame.type, 'hello');
    return (frame as { lastId: number }).lastId;
  }

  async events(n: number): Promise<EventFrame[]> {
    const out: EventFrame[] = [];
    while (out.length < n) {
      const frame = await this.next();
      assert.equal(frame.type, 'event', `expected an event, got ${JSON.stringify(frame)}`);
      out.push(frame as EventFrame);
    }
    return out;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** A ping answered means every message sent before it was handled. */
  async roundTrip(): Promise<void> {
    this.send({ type: 'ping' });
    assert.deepEqual(await this.next(), { type: 'pong' });
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await this.closed;
  }
}

function wsUrl(base: string, query: Record<string, string | number>): string {
  const url = new URL('/ws', base.replace(/^http/, 'ws'));
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
  return url.toString();
}

// At module level: the hub's own after() then runs once all tests are done.
const hub: TestHub = await startTestHub();
const admin = await createAdminSession(hub);

// A broken stream usually shows as a frame that never comes: fail then instead of hanging.
describe('event stream /ws', { timeout: 30_000 }, () => {
  const token = admin.accessToken;
  const orgId = admin.orgId;
  const clients: StreamClient[] = [];

  const connect = async (query: Record<string, string | number> = { token }, options: WebSocket.ClientOptions = {}, base = hub.url): Promise<StreamClient> => {
    const client = new StreamClient(wsUrl(base, query), options);
    clients.push(client);
    await client.opened;
    return client;
  };
  // The topic each call names is the one HUB_EVENT_TOPIC files its type under; the data is a stand-in.
  const append = (_topic: EventTopic, type: HubEventType, data: Record<string, unknown> = {}, org = orgId) => hub.app.events.append({ orgId: org, type, data } as unknown as NewHubEvent<HubEventType>);
  const counter = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const metric = await hub.app.metrics.getSingleMetric(name)?.get();
    return (metric?.values ?? []).filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
  };

  after(async () => {
    for (const client of clients) client.ws.terminate();
    await Promise.all(clients.map((c) => c.closed));
  });

  describe('authentication', () => {
    test('a connection without a token is closed with 4001', async () => {
      const client = await connect({});
      const { code, reason } = await client.closed;
      assert.equal(code, 4001);
      assert.match(reason, /authentication required/);
    });

    test('a bad token is closed with 4001 and the reason', async () => {
      const client = await connect({ token: 'not-a-token' });
      const { code, reason } = await client.closed;
      assert.equal(code, 4001);
      assert.match(reason, /invalid/i);
    });

    test('an API key without the read scope is closed with 4001', async () => {
      const { key } = await createApiKey(hub, admin, ['send'], 'sender');
      const client = await connect({ token: key });
      const { code, reason } = await client.closed;
      assert.equal(code, 4001);
      assert.match(reason, /may not read/);
    });

    test('an API key with read streams its org', async () => {
      const other = await createAdminSession(hub, { orgName: 'Readers' });
      const { key } = await createApiKey(hub, other, ['read'], 'dashboard');
      const client = await connect({ token: key });
      await client.hello();
      const sent = append('nodes', 'node.online', { n: 1 }, other.orgId);
      assert.deepEqual((await client.events(1)).map((e) => e.id), [sent.id]);
      await client.close();
    });

    test('a since that is not a non-negative integer is refused before the upgrade', async () => {
      const ws = new WebSocket(wsUrl(hub.url, { token, since: 'yesterday' }));
      ws.on('error', () => {}); // 'closed before the connection was established', after terminate()
      const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
      ws.terminate();
      assert.equal(status, 400);
    });
  });

  test('a live-only event says so, and one announced inside a transaction goes out after it commits, behind what it appended', async () => {
    const client = await connect();
    await client.hello();
    const events = hub.app.events as EventLog;
    let stored: { id: number } | null = null;
    events.batch(() => {
      stored = append('nodes', 'node.online', { id: '!00000009' });
      events.announce({ orgId, type: 'sensor.reading', data: { sensorId: 'plug1', metric: 'power', value: 14 } } as unknown as NewHubEvent<HubEventType>);
    });
    const [online, reading] = (await client.events(2)) as Array<EventFrame & { ephemeral?: boolean }>;
    assert.equal(online!.id, stored!.id);
    assert.equal(online!.ephemeral, undefined);
    assert.deepEqual({ event: reading!.event, id: reading!.id, ephemeral: reading!.ephemeral }, { event: 'sensor.reading', id: stored!.id, ephemeral: true }, 'the reading repeats the stored id, flagged as live only');
    await client.close();
  });

  test('hello carries the org\u2019s newest id, then live events arrive in order with every field', async () => {
    const before = append('nodes', 'node.online', { id: '!00000001' });
    const client = await connect();
    assert.equal(await client.hello(), before.id);
    const a = append('nodes', 'node.updated', { id: '!00000001', name: 'base' });
    const b = append('alerts', 'alert.raised', { level: 'sos' });
    const got = await client.events(2);
    assert.deepEqual(got, [
      { type: 'event', id: a.id, topic: 'nodes', event: 'node.updated', ts: a.ts, data: { id: '!00000001', name: 'base' } },
      { type: 'event', id: b.id, topic: 'alerts', event: 'alert.raised', ts: b.ts, data: { level: 'sos' } },
    ]);
    await client.close();
  });

  test('an event of another org never arrives', async () => {
    const other = await createAdminSession(hub, { orgName: 'Other' });
    const mine = await connect();
    const theirs = await connect({ token: other.accessToken });
    const mineHello = await mine.hello();
    await theirs.hello();
    const foreign = append('alerts', 'alert.raised', { secret: true }, other.orgId);
    const own = append('alerts', 'alert.raised', { secret: false });
    // Delivery keeps append order, so had the foreign event leaked it would come first.
    assert.deepEqual((await mine.events(1)).map((e) => e.id), [own.id]);
    assert.deepEqual((await theirs.events(1)).map((e) => e.id), [foreign.id]);
    // A replay from the start holds only the org's own events too.
    const replay = await connect({ token, since: 0 });
    const lastId = await replay.hello();
    assert.ok(lastId >= own.id && mineHello < own.id);
    const ids = hub.app.events.after(orgId, 0, 10_000).map((e) => e.id);
    const replayed = await replay.events(ids.length);
    assert.deepEqual(replayed.map((e) => e.id), ids);
    assert.ok(!replayed.some((e) => e.id === foreign.id));
    await replay.roundTrip(); // and nothing after them
    await Promise.all([mine.close(), theirs.close(), replay.close()]);
  });

  test('a client that reconnects with since gets exactly what it missed, in order, then live', async () => {
    const first = await connect();
    await first.hello();
    const seen = [append('mesh', 'mesh.text', { text: 'one' }), append('mesh', 'mesh.text', { text: 'two' }), append('sensors', 'sensor.reading', { t: 21.5 })];
    const got = await first.events(3);
    assert.deepEqual(got.map((e) => e.id), seen.map((e) => e.id));
    const lastSeen = got.at(-1)!.id;
    await first.close();

    const missed = [append('mesh', 'mesh.text', { text: 'three' }), append('nodes', 'node.offline', { id: '!00000002' })];
    append('mesh', 'mesh.text', { text: 'not yours' }, 'some-other-org');
    missed.push(append('messages', 'message.status', { status: 'delivered' }));

    const again = await connect({ token, since: lastSeen });
    assert.equal(await again.hello(), missed.at(-1)!.id);
    const replayed = await again.events(3);
    assert.deepEqual(replayed.map((e) => [e.id, e.event]), missed.map((e) => [e.id, e.type]));
    const live = append('alerts', 'alert.resolved', {});
    const next = await again.events(1);
    assert.deepEqual(next.map((e) => e.id), [live.id]);
    await again.roundTrip(); // nothing else (no duplicate) queued before the pong
    await again.close();
  });

  test('events appended during a long replay come exactly once, after it, with strictly increasing ids', async () => {
    const since = hub.app.events.lastId(orgId);
    const backlog = Array.from({ length: 1_234 }, (_, i) => append('sensors', 'sensor.reading', { i }).id);
    const client = await connect({ token, since });
    // Appended while the server pages through the backlog (500 a step, yielding between steps).
    const during: number[] = [];
    const appendDuring = async (): Promise<void> => {
      for (let i = 0; i < 60; i++) {
        during.push(append('sensors', 'sensor.reading', { live: i }).id);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    const [lastId] = await Promise.all([client.hello(), appendDuring()]);
    assert.ok(lastId >= backlog.at(-1)!);
    const got = (await client.events(backlog.length + during.length)).map((e) => e.id);
    assert.deepEqual(got, [...backlog, ...during]);
    for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!);
    await client.roundTrip();
    await client.close();
  });

  test('subscribe narrows the topics; a bad message answers E_BAD_REQUEST and the stream goes on', async () => {
    const client = await connect();
    await client.hello();
    client.send({ type: 'subscribe', topics: ['alerts', 'messages'] });
    await client.roundTrip();
    append('nodes', 'node.online', {});
    append('mesh', 'mesh.text', {});
    const alert = append('alerts', 'alert.raised', {});
    append('sensors', 'sensor.reading', {});
    const status = append('messages', 'message.status', {});
    assert.deepEqual((await client.events(2)).map((e) => e.id), [alert.id, status.id]);

    for (const [bad, why] of [
      [{ type: 'subscribe', topics: ['alerts', 'weather'] }, /unknown topic "weather"/],
      [{ type: 'subscribe', topics: 'alerts' }, /topics must be a non-empty array/],
      [{ type: 'subscribe', topics: [] }, /topics must be a non-empty array/],
      [{ type: 'shout' }, /unknown message type "shout"/],
      ['{not json', /not valid JSON/],
      [[1, 2], /JSON object/],
    ] as const) {
      client.send(bad);
      const frame = await client.next();
      assert.equal(frame.type, 'error');
      assert.equal((frame as { code: string }).code, 'E_BAD_REQUEST');
      assert.match((frame as { message: string }).message, why);
    }
    // The failed subscribes left the filter as it was.
    append('nodes', 'node.online', {});
    const second = append('alerts', 'alert.acknowledged', {});
    assert.deepEqual((await client.events(1)).map((e) => e.id), [second.id]);
    client.send({ type: 'subscribe', topics: ['nodes'] });
    await client.roundTrip();
    const node = append('nodes', 'node.offline', {});
    assert.deepEqual((await client.events(1)).map((e) => e.id), [node.id]);
    await client.close();
  });

  test('a message sent straight after opening, while the token is checked, is answered after hello', async () => {
    const client = new StreamClient(wsUrl(hub.url, { token }));
    clients.push(client);
    await client.opened;
    client.send({ type: 'ping' });
    client.send({ type: 'subscribe', topics: ['alerts'] });
    await client.hello();
    assert.deepEqual(await client.next(), { type: 'pong' });
    await client.roundTrip();
    append('nodes', 'node.online', {});
    const alert = append('alerts', 'alert.raised', {});
    assert.deepEqual((await client.events(1)).map((e) => e.id), [alert.id]);
    await client.close();
  });

  test('ping answers pong', async () => {
    const client = await connect();
    await client.hello();
    await client.roundTrip();
    await client.roundTrip();
    await client.close();
  });

  describe('a second listener over the same hub event log, tuned for tests', () => {
    // 50 ms pings instead of 30 s, replay pages of 5, and a log that can append at the worst moments.
    let fastBase: string;
    let app: FastifyInstance;
    const hooks: { beforeSnapshot?: () => void; onPage?: () => void } = {};
    before(async () => {
      const real = hub.app.events;
      const events = Object.create(real) as EventLog;
      events.lastId = (org?: string) => {
        hooks.beforeSnapshot?.();
        return real.lastId(org);
      };
      events.after = (org: string, afterId: number, limit: number) => {
        const page = real.after(org, afterId, limit);
        hooks.onPage?.();
        return page;
      };
      app = Fastify();
      await app.register(websocket);
      await app.register(eventStreamRoutes, { log: events, authenticateToken: (t) => hub.app.auth.authenticateToken(t), metrics: hub.app.metrics, limits: { maxStreams: 100, maxStreamsPerUser: 100 }, stream: { pingIntervalMs: 50, replayPageSize: 5 } });
      fastBase = await app.listen({ host: '127.0.0.1', port: 0 });
    });
    after(async () => {
      await app.close();
    });

    test('events appended while the stream subscribes and replays arrive once each, in id order', async () => {
      const since = hub.app.events.lastId(orgId);
      const backlog = Array.from({ length: 14 }, (_, i) => append('mesh', 'mesh.text', { i }).id);
      const expected = [...backlog];
      // Appended after the stream subscribed but before it read the newest id: in the replay AND
      // handed to the stream live a moment later; it must come once.
      hooks.beforeSnapshot = () => {
        hooks.beforeSnapshot = undefined;
        expected.push(append('mesh', 'mesh.text', { at: 'snapshot' }).id);
      };
      // Appended between replay pages: live events held back until the replay is done.
      const during: number[] = [];
      hooks.onPage = () => {
        during.push(append('mesh', 'mesh.text', { at: 'page' }).id);
      };
      const client = await connect({ token, since }, {}, fastBase);
      const lastId = await client.hello();
      assert.equal(lastId, expected.at(-1));
      // The replay ends with the newest id of hello; no page is read after it, so `during` is complete.
      const replayed = (await client.events(expected.length)).map((e) => e.id);
      hooks.onPage = undefined;
      assert.deepEqual(replayed, expected);
      assert.ok(during.length >= 3, `only ${during.length} pages read`);
      const held = (await client.events(during.length)).map((e) => e.id);
      assert.deepEqual(held, during);
      const live = append('mesh', 'mesh.text', { at: 'live' });
      assert.deepEqual((await client.events(1)).map((e) => e.id), [live.id]);
      await client.roundTrip(); // nothing else queued: no duplicate
      await client.close();
    });

    test('a client that answers pings stays connected', async () => {
      const client = await connect({ token }, {}, fastBase);
      await client.hello();
      let pings = 0;
      await new Promise<void>((resolve) => client.ws.on('ping', () => ++pings === 3 && resolve()));
      assert.equal(client.ws.readyState, WebSocket.OPEN);
      const live = append('nodes', 'node.online', {});
      assert.deepEqual((await client.events(1)).map((e) => e.id), [live.id]);
      await client.close();
    });

    test('a member removed from the org is cut off at the next keepalive with 4001', async () => {
      const viewer = await createOrgUser(hub, admin, 'viewer');
      const client = await connect({ token: viewer.accessToken }, {}, fastBase);
      await client.hello();
      const res = await fetch(`${hub.url}/api/v1/members/${viewer.userId}`, { method: 'DELETE', headers: bearer(admin.accessToken) });
      assert.equal(res.status, 204);
      const { code, reason } = await client.closed;
      assert.equal(code, 4001);
      assert.match(reason, /no longer a member/);
    });

    test('a client that does not answer pings is cut off', async () => {
      const client = await connect({ token }, { autoPong: false }, fastBase);
      await client.hello();
      const { code } = await client.closed;
      assert.equal(code, 1006); // terminated: no closing handshake
    });
  });

  test('a client that stops reading is closed with 4008 and the others carry on', async () => {
    const bystander = await connect();
    await bystander.hello();
    const slow = await connect();
    await slow.hello();
    const socket = (slow.ws as unknown as { _socket: Socket })._socket;
    socket.pause();

    const droppedBefore = await counter('unibos_ws_events_dropped_total');
    const big = 'x'.repeat(64 * 1024);
    let appended = 0;
    // Fill the kernel buffers and then the server's send buffer until the hub gives up on the client.
    while ((await counter('unibos_ws_events_dropped_total')) === droppedBefore) {
      assert.ok(++appended < 4_000, 'the hub never closed the stalled client');
      append('sensors', 'sensor.reading', { big });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    socket.resume();
    const { code, reason } = await slow.closed;
    assert.equal(code, 4008);
    assert.equal(reason, 'slow consumer');

    // The bystander got every event (it kept reading) and still gets new ones; new clients connect.
    const received = await bystander.events(appended);
    assert.equal(received.length, appended);
    const after = append('alerts', 'alert.raised', {});
    assert.deepEqual((await bystander.events(1)).map((e) => e.id), [after.id]);
    const fresh = await connect();
    await fresh.hello();
    await fresh.roundTrip();
    assert.equal(await counter('unibos_ws_closed_total', { reason: 'slow_consumer' }), 1);
    await Promise.all([bystander.close(), fresh.close()]);
  });

  test('a client that sends without reading the replies is closed with 4008 too: replies wait in the same bounded buffer', async () => {
    type ServerSide = { readyState: number; bufferedAmount: number };
    const server = (hub.app as unknown as { websocketServer: { clients: Set<ServerSide> } }).websocketServer;
    const before = new Set(server.clients);
    const client = await connect();
    await client.hello();
    const ours = [...server.clients].find((c) => !before.has(c))!;
    const socket = (client.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    // Each bad subscribe draws an error that quotes it: about 60 KiB the hub must hold until read.
    const bad = JSON.stringify({ type: 'subscribe', topics: ['x'.repeat(60_000)] });
    let sent = 0;
    while (ours.readyState === WebSocket.OPEN) {
      assert.ok(sent < 2_000, `the hub kept buffering replies to a client that does not read: ${Math.round(ours.bufferedAmount / 1e6)} MB held`);
      for (let i = 0; i < 20; i++, sent++) client.ws.send(bad);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    assert.ok(ours.bufferedAmount < 4 * 1024 * 1024, `held ${ours.bufferedAmount} bytes when it gave up`);
    socket.resume();
    const { code, reason } = await client.closed;
    assert.equal(code, 4008);
    assert.equal(reason, 'slow consumer');
  });
});
