// Every refusal is counted with its reason: an operator reads on /metrics which limits and checks
// turn people away (a shelter hitting the sign-in limit, a script posting oversized bodies, an admin
// trying to send an SOS from the hub), by route and by the code the client was answered with.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postFrom } from './support/post-from.ts';
import { api, createAdminSession } from './support/test-auth.ts';
import { startTestHub, type TestHub } from './support/test-hub.ts';

async function refused(hub: TestHub, route: string, code: string): Promise<number> {
  const text = await (await fetch(`${hub.url}/metrics`)).text();
  const m = new RegExp(`^unibos_hub_requests_refused_total\\{route="${route.replace(/[/:]/g, '\\$&')}",code="${code}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

test('the hub counts each refusal by route and the code it answered with', async () => {
  const hub = await startTestHub({}, { now: () => Date.parse('2030-01-01T00:00:00Z') });
  const admin = await createAdminSession(hub);
  const login = '/api/v1/auth/login';

  for (let i = 0; i < 11; i++) await postFrom(hub, login, { email: `guess${i}@example.test`, password: 'wrong password' }, '127.0.0.60');
  assert.equal(await refused(hub, login, 'E_AUTH_INVALID'), 10, 'ten wrong passwords');
  assert.equal(await refused(hub, login, 'E_RATE_LIMITED'), 1, 'then the address waits');

  // Fastify's own refusals (a body over the limit, before any route code runs) are counted as the client saw them.
  const big = await fetch(`${hub.url}${login}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'x'.repeat(70_000), password: 'p' }) });
  assert.equal(big.status, 413);
  assert.equal(await refused(hub, login, 'E_TOO_LARGE'), 1);

  const sos = await api(hub.url, admin, '/api/v1/messages', { method: 'POST', body: { alert: { level: 'SOS', text: 'Go to the assembly point' } } });
  assert.equal(sos.status, 400);
  assert.equal(await refused(hub, '/api/v1/messages', 'E_BAD_REQUEST'), 1, 'an SOS from the hub');

  // A path no route has is one label, whatever was asked: scanning the hub does not grow /metrics.
  for (const path of ['/wp-login.php', '/.env', '/api/v1/nope']) assert.equal((await fetch(`${hub.url}${path}`)).status, 404);
  assert.equal(await refused(hub, 'unmatched', 'E_NOT_FOUND'), 3);
  const text = await (await fetch(`${hub.url}/metrics`)).text();
  assert.doesNotMatch(text, /wp-login|\.env/);

  // Answers that went through are not counted.
  assert.equal((await postFrom(hub, login, { email: admin.email, password: admin.password }, '127.0.0.61')).status, 200);
  assert.equal(await refused(hub, login, 'E_AUTH_INVALID'), 10);
});
