// The claim first boot leaves for unibos-claim.service: a field device may boot long before its
// uplink works, so it retries with growing waits while the hub cannot be reached, is busy or failing,
// or a proxy answers in its place, and claims itself once the hub answers; a token the hub itself
// refuses is not retried, and its secret is gone. Whatever language the device speaks.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadOrCreateIdentity, formatNodeId } from '@unibos/firmware';
import { claimAtBoot, type BackoffOptions } from '../image/claim-at-boot.ts';
import { Proc, procs, unibos } from './support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'unibos-image-claim-'));
const servers: Server[] = [];
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  for (const s of servers) s.close();
  rmSync(root, { recursive: true, force: true });
});

interface Hub {
  url: string;
  token(kind: string): Promise<string>;
  authed: Record<string, string>;
}

let hubStarted: Promise<Hub> | undefined;
/** One real hub for the whole file. */
function hub(): Promise<Hub> {
  hubStarted ??= startHub();
  return hubStarted;
}

async function startHub(): Promise<Hub> {
  const hubDir = join(root, 'hub');
  writeFileSync(join(root, 'pw'), 'a long enough password\n', { mode: 0o600 });
  const init = await unibos(['hub', 'init', '--email', 'ops@example.org', '--password-file', join(root, 'pw'), '--data-dir', hubDir]);
  assert.equal(init.code, 0, init.stderr);
  const hub = new Proc(['hub', '--data-dir', hubDir, '--port', '0', '--mqtt-port', '0']);
  const url = String((await hub.waitFor((l) => l.msg === 'hub ready', 'the hub')).url);
  const login = (await (await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ops@example.org', password: 'a long enough password' }) })).json()) as { accessToken: string };
  const authed = { 'content-type': 'application/json', authorization: `Bearer ${login.accessToken}` };
  return { url, authed, token: async (kind) => ((await (await fetch(`${url}/api/v1/claim-tokens`, { method: 'POST', headers: authed, body: JSON.stringify({ kind }) })).json()) as { token: string }).token };
}

interface CannedAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

const hubError = (statusCode: number, code: string, message: string, headers: Record<string, string> = {}): CannedAnswer => ({
  status: statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ statusCode, code, error: 'Error', message }),
});
const proxyPage = (status: number, headers: Record<string, string> = {}): CannedAnswer => ({ status, headers: { 'content-type': 'text/html', ...headers }, body: `<html><body><h1>${status}</h1><hr>nginx</body></html>` });

/** Stands in front of the hub: the canned answers for the first requests, then passes them on. */
async function front(hubUrl: string, answers: CannedAnswer[]): Promise<{ url: string; requests: () => number }> {
  let seen = 0;
  const server = createServer((req, res) => {
    const canned = answers[seen++];
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (canned) {
        res.writeHead(canned.status, canned.headers ?? {}).end(canned.body);
        return;
      }
      const answer = await fetch(new URL(req.url!, hubUrl), { method: req.method!, ...(chunks.length ? { headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) } : {}) });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => seen };
}

/** A device whose first boot left a claim for `hubApi`. */
function device(name: string, claim: Record<string, unknown>): { dir: string; id: string } {
  const dir = join(root, name);
  mkdirSync(dir);
  const identity = loadOrCreateIdentity(join(dir, 'identity.json'));
  writeFileSync(join(dir, 'claim.json'), JSON.stringify(claim));
  return { dir, id: formatNodeId(identity.nodeId) };
}

function recordedBackoff(): BackoffOptions & { waits: number[] } {
  const waits: number[] = [];
  return { waits, firstDelayMs: 1000, maxDelayMs: 3000, random: () => 0.5, sleep: async (ms) => void waits.push(ms) };
}

async function inFleet(h: Hub, id: string): Promise<{ claimed: boolean }> {
  return (await (await fetch(`${h.url}/api/v1/nodes/${encodeURIComponent(id)}`, { headers: h.authed })).json()) as { claimed: boolean };
}

const unavailable = hubError(503, 'E_UNAVAILABLE', 'too many claims in progress; try again in a few minutes');

test('the claim waits longer after each failure and succeeds once the hub answers', { timeout: 120_000 }, async () => {
  const h = await hub();
  const f = await front(h.url, [unavailable, unavailable]);
  const d = device('device', { kind: 'gateway', hubApi: f.url, token: await h.token('gateway'), name: 'Valley gateway' });
  const backoff = recordedBackoff();
  const said: string[] = [];
  const outcome = await claimAtBoot(d.dir, (p, m) => said.push(`<${p}>${m}`), backoff);
  assert.deepEqual(outcome, { status: 'claimed', deviceId: d.id, attempts: 3 });
  assert.deepEqual(backoff.waits, [1000, 2000], 'each wait twice the one before');
  assert.ok(said.filter((l) => l.startsWith('<4>claim attempt')).length === 2, said.join('\n'));
  assert.ok(!existsSync(join(d.dir, 'claim.json')), 'the spent token is gone');
  assert.match(readFileSync(join(d.dir, 'hub.json'), 'utf8'), /"username"/);
  assert.equal((await inFleet(h, d.id)).claimed, true);
});

test('a hub that rate-limits the claim (429) is asked again after its Retry-After, within the backoff\'s limits', { timeout: 120_000 }, async () => {
  const h = await hub();
  const f = await front(h.url, [
    hubError(429, 'E_RATE_LIMITED', 'Rate limit exceeded, retry in 2 seconds', { 'retry-after': '2' }),
    hubError(429, 'E_RATE_LIMITED', 'Rate limit exceeded, retry in 1 minute', { 'retry-after': '60' }),
  ]);
  const d = device('rate-limited', { kind: 'node', hubApi: f.url, token: await h.token('node') });
  const backoff = recordedBackoff();
  const said: string[] = [];
  const outcome = await claimAtBoot(d.dir, (p, m) => said.push(`<${p}>${m}`), backoff);
  assert.deepEqual(outcome, { status: 'claimed', deviceId: d.id, attempts: 3 }, said.join('\n'));
  assert.deepEqual(backoff.waits, [2000, 3000], 'Retry-After honoured, capped at the longest backoff wait');
  assert.ok(!existsSync(join(d.dir, 'claim.refused.json')));
  assert.match(readFileSync(join(d.dir, 'hub-device.json'), 'utf8'), /"deviceToken": "ubd_/);
  assert.equal((await inFleet(h, d.id)).claimed, true, 'the device is in the fleet');
});

test('on a Turkish device a 503 without an error code is still retried', { timeout: 120_000 }, async () => {
  const h = await hub();
  const f = await front(h.url, [proxyPage(503)]);
  const d = device('turkish', { kind: 'gateway', hubApi: f.url, token: await h.token('gateway') });
  // As systemd hands the locale to unibos-claim.service on an image built with LOCALE_DEFAULT=tr_TR.UTF-8.
  const saved = { UNIBOS_LANG: process.env.UNIBOS_LANG, LC_ALL: process.env.LC_ALL, LC_MESSAGES: process.env.LC_MESSAGES, LANG: process.env.LANG, LANGUAGE: process.env.LANGUAGE };
  delete process.env.UNIBOS_LANG;
  delete process.env.LC_MESSAGES;
  Object.assign(process.env, { LC_ALL: 'tr_TR.UTF-8', LANG: 'tr_TR.UTF-8', LANGUAGE: 'tr_TR:tr' });
  const said: string[] = [];
  const backoff = recordedBackoff();
  let outcome;
  try {
    outcome = await claimAtBoot(d.dir, (p, m) => said.push(`<${p}>${m}`), backoff);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  assert.deepEqual(outcome, { status: 'claimed', deviceId: d.id, attempts: 2 }, said.join('\n'));
  assert.ok(said.some((l) => l.startsWith('<4>claim attempt 1') && l.includes('merkez bağlamayı reddetti (503)')), `the device spoke Turkish: ${said.join('\n')}`);
  assert.equal(backoff.waits.length, 1);
  assert.equal((await inFleet(h, d.id)).claimed, true, 'the device is in the fleet');
});

test('a proxy\'s 404 or 401 page is retried; the hub refusing a used token is final, with its reason', { timeout: 120_000 }, async () => {
  const h = await hub();
  const token = await h.token('node');
  const used = await unibos(['node', 'claim', '--hub-api', h.url, '--token', token, '--data-dir', join(root, 'first')]);
  assert.equal(used.code, 0, used.stderr);
  // While the hub restarts, the reverse proxy in front of it answers with its own pages.
  const f = await front(h.url, [proxyPage(404), proxyPage(401, { 'www-authenticate': 'Basic realm="proxy"' })]);
  const d = device('reused', { kind: 'node', hubApi: f.url, token });
  const backoff = recordedBackoff();
  const said: string[] = [];
  const refused = await claimAtBoot(d.dir, (p, m) => said.push(`<${p}>${m}`), backoff);
  assert.equal(refused.status, 'refused', said.join('\n'));
  assert.equal(refused.status === 'refused' && refused.attempts, 3, 'the two proxy pages were retried, the refusal was not');
  assert.equal(backoff.waits.length, 2);
  assert.match(refused.status === 'refused' ? refused.message : '', /claim token unknown, used or expired/);
  assert.ok(!existsSync(join(d.dir, 'claim.json')));
  const kept = readFileSync(join(d.dir, 'claim.refused.json'), 'utf8');
  assert.match(kept, /claim token unknown, used or expired/);
  assert.ok(!kept.includes(token), 'the reason is kept, the token is not');
  assert.ok(said.some((l) => l.startsWith('<3>') && /failed for good \(.*claim token unknown, used or expired.*\); make a new claim token/.test(l)), said.join('\n'));
});
