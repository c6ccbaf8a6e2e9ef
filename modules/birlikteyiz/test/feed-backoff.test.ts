// When the internet comes back the feeds are polled again within about two minutes: a feed that
// could not be reached backs off to two minutes at most; one that answers badly still backs off
// to ten times the interval (no hammering a broken server).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FeedPoller } from '../src/feed-poller.ts';
import { parseUsgsFeed } from '../src/feeds/usgs-feed.ts';
import { NOW } from './support/fake-module.ts';

const poller = (fetch: () => Promise<Response>) => new FeedPoller({ source: 'usgs', url: 'https://feed.invalid/summary', parse: parseUsgsFeed, fetch, intervalMs: 60_000, now: () => NOW });

test('after an hour without internet the next poll is at most two minutes away', async () => {
  const p = poller(() => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } })));
  for (let i = 0; i < 30; i++) await p.poll();
  assert.equal(p.status.state, 'unreachable');
  assert.equal(p.status.failures, 30);
  assert.ok(p.status.nextPollInMs <= 120_000, `next poll in ${p.status.nextPollInMs / 1000} s`);
  assert.ok(p.status.nextPollInMs >= 60_000);
});

test('a feed that answers with an error still backs off to ten times its interval', async () => {
  const p = poller(() => Promise.resolve(new Response('down for maintenance', { status: 503 })));
  for (let i = 0; i < 10; i++) await p.poll();
  assert.equal(p.status.state, 'error');
  assert.equal(p.status.nextPollInMs, 600_000);
});
