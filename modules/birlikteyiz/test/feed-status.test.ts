// What every org's users learn of the feeds: the state, never the URL (a setting that may hold a
// private feed's key), neither on the event stream nor from GET /feeds, and the same on both.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BIRLIKTEYIZ_EVENT } from '../src/birlikteyiz-events.ts';
import { birlikteyizRoutes } from '../src/birlikteyiz-routes.ts';
import { fakeModule, node, SETTINGS } from './support/fake-module.ts';

const KEY = 'SECRET-KEY-123';
const URL_WITH_KEY = `https://feeds.example.net/quakes.geojson?api_key=${KEY}`;

test("a feed's URL and key reach no org: not on the event stream, not in GET /feeds, and both say the same", async () => {
  const f = fakeModule({ orgA: [node('n1', 37.3, 37.1)], orgB: [node('n2', 38.4, 27.1)] });
  const jobs: Array<() => unknown> = [];
  const handlers = new Map<string, (request: unknown, reply: unknown) => Promise<unknown>>();
  Object.assign(f.m, {
    settings: { ...SETTINGS, usgsUrl: URL_WITH_KEY },
    jobs: { every: (_n: string, _ms: number, run: () => unknown) => (jobs.push(run), { runNow() {}, setInterval() {}, cancel() {} }) },
    // A failure whose message carries the URL (as undici's and proxies' errors do).
    fetch: async (url: string) => {
      throw new Error(`request to ${url} failed, reason: connect ECONNREFUSED`);
    },
  });
  const fakeApp = { get: (path: string, a: any, b?: any) => void handlers.set(`GET ${path}`, b ?? a), post() {}, delete() {} };
  const { default: plugin } = await import('../src/birlikteyiz-plugin.ts');
  await plugin({ register: async (routes: typeof birlikteyizRoutes, opts: never) => routes(fakeApp as never, opts) } as never, { module: f.m });
  await jobs[0]!(); // the USGS poll, which fails
  const events = f.published.filter((p) => p.type === BIRLIKTEYIZ_EVENT.FEED_STATUS);
  assert.deepEqual(events.map((e) => e.orgId).sort(), ['orgA', 'orgB'], 'every org hears that the feed failed');
  for (const e of events) {
    const seen = JSON.stringify(e.data);
    assert.ok(!seen.includes(KEY), `${e.orgId} was sent the key: ${seen}`);
    assert.ok(!seen.includes('feeds.example.net'), `${e.orgId} was sent the URL: ${seen}`);
    assert.equal(e.data.state, 'unreachable');
    assert.match(e.data.lastError, /usgs feed/, 'the error still says which feed failed');
  }
  const listed = (await handlers.get('GET /feeds')!({ headers: { 'x-org': 'orgB' } }, {})) as { feeds: unknown[] };
  assert.ok(!JSON.stringify(listed).includes(KEY));
  assert.deepEqual(events[0]!.data, listed.feeds[0], 'the event stream and GET /feeds show the same status');
});
