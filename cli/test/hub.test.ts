// The hub as a new admin meets it: `unibos hub init`, `unibos hub`, a claim token made through the
// API, `unibos gateway claim`, then a gateway and a node on the simulated air. The node shows up in
// the fleet with its position as heard, unclaimed until `unibos node claim` proves it with its keys,
// its text arrives on the event stream, and a text the admin sends from the hub reaches the node and
// is reported delivered.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { Proc, procs, unibos } from './support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'unibos-hub-cli-'));
const sockets: WebSocket[] = [];
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  for (const s of sockets) s.terminate();
  rmSync(root, { recursive: true, force: true });
});

type HubEvent = { type: string; id: number; data: Record<string, any> };

/** The event stream as the admin UI reads it; next() resolves with the first matching event, seen or coming. */
function eventStream(url: string, token: string): { next(match: (e: HubEvent) => boolean, what: string): Promise<HubEvent>; opened: Promise<void> } {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}&since=0`);
  sockets.push(ws);
  const events: HubEvent[] = [];
  let waiters: Array<() => void> = [];
  ws.on('message', (raw) => {
    const m = JSON.parse(String(raw)) as { type: string; id: number; event: string; data: Record<string, any> };
    if (m.type === 'event') events.push({ type: m.event, id: m.id, data: m.data });
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  return {
    opened: new Promise((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject))),
    next: async (match, what) => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${what} on the event stream within 90 s`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => (clearTimeout(t), resolve()));
        });
      }
    },
  };
}

test('hub init, hub, gateway claim, node: fleet, event stream and a delivered downlink', { timeout: 240_000 }, async () => {
  const hubDir = join(root, 'hub');
  const passwordFile = join(root, 'password');
  writeFileSync(passwordFile, 'a long enough password\n', { mode: 0o600 });
  const init = await unibos(['hub', 'init', '--email', 'ops@example.org', '--password-file', passwordFile, '--org', 'Valley', '--data-dir', hubDir]);
  assert.equal(init.code, 0, init.stderr);
  const again = await unibos(['hub', 'init', '--email', 'ops2@example.org', '--password-file', passwordFile, '--data-dir', hubDir]);
  assert.equal(again.code, 2, 'a second first admin is refused');

  const hub = new Proc(['hub', '--data-dir', hubDir, '--port', '0', '--mqtt-port', '0']);
  const ready = await hub.waitFor((l) => l.msg === 'hub ready', 'the hub');
  const url = String(ready.url);
  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ops@example.org', password: 'a long enough password' }) });
  assert.equal(login.status, 200);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const authed = { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` };
  const stream = eventStream(url, accessToken);
  await stream.opened;

  const claimToken = (await (await fetch(`${url}/api/v1/claim-tokens`, { method: 'POST', headers: authed, body: JSON.stringify({ kind: 'gateway', name: 'Valley gateway' }) })).json()) as { token: string };
  const gwDir = join(root, 'gw');
  const claimed = await unibos(['gateway', 'claim', '--hub-api', url, '--token', claimToken.token, '--data-dir', gwDir]);
  assert.equal(claimed.code, 0, claimed.stderr);
  assert.equal(statSync(join(gwDir, 'hub.json')).mode & 0o777, 0o600);
  const reused = await unibos(['gateway', 'claim', '--hub-api', url, '--token', claimToken.token, '--data-dir', join(root, 'gw2')]);
  assert.equal(reused.code, 2, 'a claim token works once');

  const air = new Proc(['air', '--port', '0', '--preset', 'ShortFast']);
  const airPort = String((await air.waitFor((l) => l.msg === 'simulated air listening', 'the air')).port);
  const radio = ['--preset', 'ShortFast', '--air', `127.0.0.1:${airPort}`, '--lat', '41'];
  const gw = new Proc(['gateway', '--data-dir', gwDir, ...radio, '--lon', '29', '--http-port', 'off', '--mqtt-port', '0', '--ws-port', 'off']);
  const gatewayId = String((await gw.waitFor((l) => l.msg === 'gateway started', 'the gateway')).gateway);
  const node = new Proc(['node', '--data-dir', join(root, 'node'), ...radio, '--lon', '29.004', '--gps', 'sim', '--name', 'Shepherd', '--http-port', 'off']);
  const nodeId = String((await node.waitFor((l) => l.msg === 'node started', 'the node')).nodeId);

  await stream.next((e) => e.type === 'node.online' && e.data.id === `!${gatewayId}`, 'the gateway online');
  const position = await stream.next((e) => e.type === 'mesh.position' && e.data.nodeId === nodeId, 'the node\u2019s position');
  assert.equal(position.data.receptions[0].gatewayId, `!${gatewayId}`);
  const fleet = (await (await fetch(`${url}/api/v1/nodes/${encodeURIComponent(nodeId)}`, { headers: authed })).json()) as { name: string; online: boolean; position: { latitude: number }; claimed: boolean };
  assert.equal(fleet.online, true);
  assert.equal(fleet.position.latitude, 41);
  // Heard through the org's gateway, but not the org's own until the node proves itself with its keys.
  assert.equal(fleet.claimed, false);
  const gatewayEntry = (await (await fetch(`${url}/api/v1/nodes/!${gatewayId}`, { headers: authed })).json()) as { claimed: boolean };
  assert.equal(gatewayEntry.claimed, true, 'the gateway claimed itself with its identity keys');
  const nodeToken = (await (await fetch(`${url}/api/v1/claim-tokens`, { method: 'POST', headers: authed, body: JSON.stringify({ kind: 'node' }) })).json()) as { token: string };
  const nodeClaim = await unibos(['node', 'claim', '--hub-api', url, '--token', nodeToken.token, '--name', 'Shepherd (claimed)', '--data-dir', join(root, 'node')]);
  assert.equal(nodeClaim.code, 0, nodeClaim.stderr);
  assert.equal(statSync(join(root, 'node', 'hub-device.json')).mode & 0o777, 0o600);
  const owned = (await (await fetch(`${url}/api/v1/nodes/${encodeURIComponent(nodeId)}`, { headers: authed })).json()) as { name: string; position: { latitude: number }; claimed: boolean; heardBy: Array<{ gatewayId: string }> };
  assert.equal(owned.claimed, true, 'the heard entry became the org\u2019s own');
  assert.equal(owned.name, 'Shepherd (claimed)');
  assert.equal(owned.position.latitude, 41, 'what was heard before the claim is kept');
  assert.equal(owned.heardBy[0]?.gatewayId, `!${gatewayId}`);

  const sent = await unibos(['send', '--data-dir', join(root, 'node'), 'hello hub']);
  assert.equal(sent.code, 0, sent.stderr);
  const text = await stream.next((e) => e.type === 'mesh.text' && e.data.data.text === 'hello hub', 'the node\u2019s text');
  assert.equal(text.data.nodeId, nodeId);

  const down = await fetch(`${url}/api/v1/nodes/${encodeURIComponent(nodeId)}/messages`, { method: 'POST', headers: authed, body: JSON.stringify({ text: 'come down, storm coming' }) });
  assert.equal(down.status, 202, await down.clone().text());
  const { id } = (await down.json()) as { id: string };
  await node.waitFor((l) => l.msg === 'text received', 'the node to receive the hub\u2019s text');
  await stream.next((e) => e.type === 'message.status' && e.data.id === id && e.data.status === 'delivered', 'the delivery report');

  assert.equal(await node.stop(), 0);
  assert.equal(await gw.stop(), 0);
  assert.equal(await hub.stop(), 0);
  await air.stop();
});
