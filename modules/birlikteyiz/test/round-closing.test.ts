// Every round closes on its time, in an org with field nodes or without (a drill opened before any
// node was claimed), also after the module starts again; and only rounds open by their time count
// toward the limit of rounds opened by hand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import type { CheckinRound } from '../src/checkin-rounds.ts';
import { fakeModule, NOW, SETTINGS } from './support/fake-module.ts';

/** The hub entry on a Fastify app over `f`'s module API (its store kept across a restart), with its jobs by name. */
async function hubEntry(f: ReturnType<typeof fakeModule>, clock: { now: number }) {
  const jobs = new Map<string, () => unknown>();
  Object.assign(f.m, {
    now: () => clock.now,
    settings: { ...SETTINGS, usgsUrl: '', emscUrl: '', afadUrl: '', kandilliUrl: '', roundMinutes: 10 },
    jobs: { every: (name: string, _ms: number, run: () => unknown) => (jobs.set(name, run), { runNow() {}, setInterval() {}, cancel() {} }) },
  });
  const app = Fastify();
  const { default: plugin } = await import('../src/birlikteyiz-plugin.ts');
  await plugin(app as never, { module: f.m });
  await app.ready();
  return {
    app,
    closeDue: async () => void (await jobs.get('close rounds')!()),
    drill: async (orgId: string) => (await app.inject({ method: 'POST', url: '/rounds', headers: { 'x-org': orgId }, payload: { title: 'Drill' } })).statusCode,
    rounds: async (orgId: string) => (await app.inject({ method: 'GET', url: '/rounds', headers: { 'x-org': orgId } })).json<{ rounds: CheckinRound[] }>().rounds,
  };
}

test('drills in an org with no field node close on their time, also after a restart, and the org can hold another', async (t) => {
  const f = fakeModule({ orgA: [] });
  const clock = { now: NOW };
  const first = await hubEntry(f, clock);
  t.after(() => first.app.close());
  for (let i = 0; i < 3; i++) assert.equal(await first.drill('orgB'), 201);
  assert.equal(await first.drill('orgB'), 409, 'three open at once at most');

  // The module starts again (a settings change), and three hours pass: every drill was due after 10 minutes.
  const again = await hubEntry(f, clock);
  t.after(() => again.app.close());
  clock.now = NOW + 3 * 3_600_000;
  await again.closeDue();
  const rounds = await again.rounds('orgB');
  assert.deepEqual(rounds.map((r) => r.closedAt), [clock.now, clock.now, clock.now], 'closed by the job that closes rounds on time');
  assert.equal(f.published.filter((p) => p.orgId === 'orgB' && p.type === 'module.birlikteyiz.round_closed').length, 3, "the org's screens hear it");
  assert.equal(await again.drill('orgB'), 201, 'another drill opens');
});

test('a drill past its time counts as open toward the limit no more, before the closing job reaches it', async (t) => {
  const clock = { now: NOW };
  const hub = await hubEntry(fakeModule({ orgA: [] }), clock);
  t.after(() => hub.app.close());
  for (let i = 0; i < 3; i++) assert.equal(await hub.drill('orgA'), 201);
  clock.now = NOW + 10 * 60_000;
  assert.equal(await hub.drill('orgA'), 201, 'the three are over by their time');
});
