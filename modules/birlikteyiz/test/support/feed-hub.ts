// birlikteyiz's hub entry on a real Fastify app over the stand-in module API: a USGS feed the test
// writes (quakes appear and are revised between polls), the hub's clock, SOS and "I am safe" frames
// from nodes, and the API as an admin's client calls it.

import Fastify, { type FastifyInstance } from 'fastify';
import type { FleetNode } from '@unibos/mesh-protocol';
import type { BirlikteyizSettings } from '../../src/birlikteyiz-settings.ts';
import type { CheckinRound } from '../../src/checkin-rounds.ts';
import { usgsFeedDocument, type DemoQuake } from '../../src/demo-feed.ts';
import { fakeModule, NOW, SETTINGS } from './fake-module.ts';

export async function feedHub(nodes: FleetNode[], settings: Partial<BirlikteyizSettings> = {}) {
  const f = fakeModule({ orgA: nodes });
  const subscribers = new Map<string, (e: unknown) => void>();
  const jobs = new Map<string, () => unknown>();
  /** What the USGS feed lists at the next poll. */
  const feed: DemoQuake[] = [];
  let hubNow = NOW;
  Object.assign(f.m, {
    now: () => hubNow,
    settings: { ...SETTINGS, usgsUrl: 'http://feed.invalid/usgs', ...settings },
    events: { ...f.m.events, subscribe: (type: string, h: (e: unknown) => void) => void subscribers.set(type, h) },
    jobs: { every: (name: string, _ms: number, run: () => unknown) => (jobs.set(name, run), { runNow() {}, setInterval() {}, cancel() {} }) },
    fetch: async () => new Response(usgsFeedDocument(feed, hubNow), { status: 200 }),
  });
  // ModuleErrors carry their statusCode: Fastify's own error handler answers as the hub's does.
  const app: FastifyInstance = Fastify();
  const { default: plugin } = await import('../../src/birlikteyiz-plugin.ts');
  await plugin(app as never, { module: f.m });
  await app.ready();
  const call = async <T = unknown>(method: 'GET' | 'POST', url: string, body?: object): Promise<{ status: number; body: T }> => {
    const res = await app.inject({ method, url, headers: { 'x-org': 'orgA' }, ...(body ? { payload: body } : {}) });
    return { status: res.statusCode, body: res.json() as T };
  };
  return {
    ...f,
    app,
    feed,
    at: (ms: number) => void (hubNow = ms),
    /** The USGS poll. */
    poll: async () => void (await jobs.get('poll usgs')!()),
    /** The job that closes the rounds past their time, as the hub runs it every few seconds. */
    closeDue: async () => void (await jobs.get('close rounds')!()),
    /**
     * An SOS or "I am safe" a gateway heard from `nodeId` now; `automatic`: the node's module answered, no person (Alert.automatic);
     * `datedAt`: the gateway's time for it, when not now (a backlog delivered late).
     */
    frame: (nodeId: string, level: 'SOS' | 'SAFE', requestId?: number, o: { automatic?: boolean; datedAt?: number } = {}) =>
      subscribers.get('mesh.alert')!({ orgId: 'orgA', type: 'mesh.alert', id: 1, ts: hubNow, data: { id: 1, nodeId, nodeName: null, kind: 'alert', packetId: 1, time: new Date(o.datedAt ?? hubNow).toISOString(), data: { level, ...(requestId ? { requestId } : {}), ...(o.automatic ? { automatic: true } : {}) }, receptions: [] } }),
    /**
     * The hub resolved the node's SOS alert now: `by` an admin (`user:...`), or the node itself (its "I am safe", or a
     * new SOS superseding it: the hub names the node as the resolver).
     */
    alertResolved: (nodeId: string, requestId: number | null, by: string, lastHeardMs = hubNow) => {
      const heard = new Date(lastHeardMs).toISOString();
      subscribers.get('alert.resolved')!({ orgId: 'orgA', type: 'alert.resolved', id: 2, ts: hubNow, data: { id: 9, nodeId, nodeName: null, level: 'SOS', text: 'SOS', position: null, state: 'resolved', raisedAt: heard, lastHeardAt: heard, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: new Date(hubNow).toISOString(), resolvedBy: by, requestId, receivedAt: heard, acknowledgedNote: null, resolvedNote: null, stages: [] } });
    },
    rounds: async () => (await call<{ rounds: CheckinRound[] }>('GET', '/rounds')).body.rounds,
    call,
    /** The alert texts that went into the mesh, in order. */
    alerts: () => f.sent.map((s) => (s.body as { alert?: { text: string } }).alert?.text).filter((t): t is string => t !== undefined),
    close: () => app.close(),
  };
}
