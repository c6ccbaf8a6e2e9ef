// The claim first boot leaves for unibos-claim.service: a field device may boot long before its
// uplink works, so it retries with growing waits while the hub cannot be reached or is failing,
// and claims itself once the hub answers; a refused token is not retried, and its secret is gone.

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

async function startHub(): Promise<{ url: string; token(kind: string): Promise<string>; authed: Record<string, string> }> {
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

/** Stands in front of the hub: 503 for the first `failures` requests, then passes them on. */
async function flakyFront(hubUrl: string, failures: number): Promise<{ url: string; requests: () => number }> {
  let seen = 0;
  const server = createServer((req, res) => {
    seen++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (seen <= failures) {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ statusCode: 503, code: 'E_HUB_UNAVAILABLE', message: 'starting' }));
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

test('the claim waits longer after each failure and succeeds once the hub answers; a refused token is dropped', { timeout: 120_000 }, async () => {
  const hub = await startHub();
  const front = await flakyFront(hub.url, 2);
  const device = join(root, 'device');
  mkdirSync(device);
  const identity = loadOrCreateIdentity(join(device, 'identity.json'));
  writeFileSync(join(device, 'claim.json'), JSON.stringify({ kind: 'gateway', hubApi: front.url, token: await hub.token('gateway'), name: 'Valley gateway' }));
  const waits: number[] = [];
  const backoff: BackoffOptions = { firstDelayMs: 1000, maxDelayMs: 3000, random: () => 0.5, sleep: async (ms) => void waits.push(ms) };
  const said: string[] = [];
  const outcome = await claimAtBoot(device, (p, m) => said.push(`<${p}>${m}`), backoff);
  assert.deepEqual(outcome, { status: 'claimed', deviceId: formatNodeId(identity.nodeId), attempts: 3 });
  assert.deepEqual(waits, [1000, 2000], 'each wait twice the one before');
  assert.ok(said.filter((l) => l.startsWith('<4>claim attempt')).length === 2, said.join('\n'));
  assert.ok(!existsSync(join(device, 'claim.json')), 'the spent token is gone');
  assert.match(readFileSync(join(device, 'hub.json'), 'utf8'), /"username"/);
  const entry = (await (await fetch(`${hub.url}/api/v1/nodes/${encodeURIComponent(formatNodeId(identity.nodeId))}`, { headers: hub.authed })).json()) as { claimed: boolean; name: string };
  assert.equal(entry.claimed, true);

  // The same token again: the hub refuses it, and so would it every time.
  const other = join(root, 'other');
  mkdirSync(other);
  const token = await hub.token('node');
  const reused = await unibos(['node', 'claim', '--hub-api', hub.url, '--token', token, '--data-dir', join(root, 'first')]);
  assert.equal(reused.code, 0, reused.stderr);
  writeFileSync(join(other, 'claim.json'), JSON.stringify({ kind: 'node', hubApi: hub.url, token }));
  const waitsBefore = waits.length;
  const refused = await claimAtBoot(other, (p, m) => said.push(`<${p}>${m}`), backoff);
  assert.equal(refused.status, 'refused');
  assert.equal(waits.length, waitsBefore, 'no retry of a refused token');
  assert.ok(!existsSync(join(other, 'claim.json')));
  assert.ok(!readFileSync(join(other, 'claim.refused.json'), 'utf8').includes(token), 'the reason is kept, the token is not');
  assert.ok(said.some((l) => l.startsWith('<3>') && /failed for good/.test(l)));
});
