// `npm start` as a new user runs it: `unibos demo` prints the admin URL and a login; the simulated
// nodes come onto the map (positions on the event stream), the weather sensor reports, and Ctrl-C
// stops everything cleanly. "Within a minute", as the demo promises, is its design rather than
// something a test can time on a shared machine: nodes beacon every 30 s and a first beacon lost
// in the start-up burst is retried (firmware/test/first-position-beacon.test.ts). So the test waits
// for every node's position; its deadline, several beacon intervals, only stops a hung run.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { Proc, procs } from './support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'unibos-demo-'));
const sockets: WebSocket[] = [];
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  for (const s of sockets) s.terminate();
  rmSync(root, { recursive: true, force: true });
});

/** Several 30-second beacon intervals: a failure guard, not a speed limit. */
const MAP_DEADLINE_MS = 150_000;

test('a demo whose flags are refused ends at once, and leaves its folder free for the next', { timeout: 60_000 }, async () => {
  const dir = join(root, 'refused');
  for (const flags of [['--nodes', '0'], ['--port', 'abc']]) {
    const demo = new Proc(['demo', '--data-dir', dir, '--mqtt-port', '0', '--gateway-port', '0', ...flags]);
    assert.equal(await demo.exited, 2, `${flags.join(' ')}: ${demo.stderr}`);
    assert.doesNotMatch(demo.stderr, /already running/);
  }
});

test('the demo shows every live node on the map, with a login it printed', { timeout: MAP_DEADLINE_MS + 120_000 }, async () => {
  const demo = new Proc(['demo', '--data-dir', root, '--port', '0', '--mqtt-port', '0', '--gateway-port', '0', '--nodes', '4']);
  // The gateway beacons its own position too: only the field nodes' positions count below.
  const gatewayId = /gateway (![0-9a-f]{8})/.exec((await demo.waitFor((l) => /demo is running: a hub, gateway ![0-9a-f]{8}/.test(l.msg), 'the banner')).msg)![1]!;
  const urlLine = await demo.waitFor((l) => /^\s+Admin UI\s+http/.test(l.msg), 'the admin URL');
  const url = urlLine.msg.trim().split(/\s+/).pop()!.replace(/\/$/, '');
  const email = (await demo.waitFor((l) => /^\s+Login\s+/.test(l.msg), 'the login')).msg.trim().split(/\s+/).pop()!;
  const password = (await demo.waitFor((l) => /^\s+Password\s+/.test(l.msg), 'the password')).msg.trim().split(/\s+/).pop()!;

  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  assert.equal(login.status, 200, 'the printed login works');
  const { accessToken } = (await login.json()) as { accessToken: string };
  assert.equal((await fetch(`${url}/`)).status, 200, 'the admin UI is served');

  const positions = new Set<string>();
  let sensor = false;
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(accessToken)}&since=0`);
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no run should take this long: positions from ${positions.size} of 4 nodes, sensor ${sensor}`)), MAP_DEADLINE_MS);
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { type: string; event?: string; data?: { nodeId?: string } };
      if (m.event === 'mesh.position' && m.data?.nodeId && m.data.nodeId !== gatewayId) positions.add(m.data.nodeId);
      if (m.event === 'sensor.reading') sensor = true;
      if (positions.size >= 4 && sensor) {
        clearTimeout(timer);
        resolve();
      }
    });
    ws.once('error', reject);
  });
  const nodes = (await (await fetch(`${url}/api/v1/nodes`, { headers: { authorization: `Bearer ${accessToken}` } })).json()) as { items: Array<{ kind: string; online: boolean; position: unknown }> };
  assert.ok(nodes.items.filter((n) => n.kind === 'node' && n.online && n.position).length >= 4, `the fleet lists the nodes online with positions: ${JSON.stringify(nodes.items.map((n) => [n.kind, n.online, !!n.position, (n as { id?: string }).id]))}`);
  assert.ok(nodes.items.some((n) => n.kind === 'gateway' && n.online), 'and the gateway');
  ws.close();

  // The banner lists the nodes, and the node commands find them by name.
  const listed = (await demo.waitFor((l) => /^\s+Nodes\s+/.test(l.msg), 'the node list')).msg;
  assert.match(listed, /Harbour !?[0-9a-f]{8}, School !?[0-9a-f]{8}/);
  const status = new Proc(['status', '--node', 'school'], { UNIBOS_DEMO_DIR: root });
  await status.waitFor((l) => /^node\s+![0-9a-f]{8}\s+School/.test(l.msg), '`unibos status --node school`');
  assert.equal(await status.exited, 0);
  // The gateway too, by the name `unibos peers` shows for it.
  assert.match(listed, /Demo gateway !?[0-9a-f]{8}/, 'the banner names the gateway among the nodes');
  const gw = new Proc(['status', '--node', 'Demo gateway'], { UNIBOS_DEMO_DIR: root });
  await gw.waitFor((l) => new RegExp(`^node\\s+${gatewayId}\\s+Demo gateway\\s+\\(gateway\\)`).test(l.msg), '`unibos status --node "Demo gateway"`');
  assert.equal(await gw.exited, 0);

  // An SOS raised on the gateway's own node (its button) reaches the hub like any node's, and the
  // node hears back how far it got.
  const sos = new Proc(['sos', '--node', 'Demo gateway'], { UNIBOS_DEMO_DIR: root });
  assert.equal(await sos.exited, 0, sos.stderr);
  const events = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(accessToken)}&since=0`);
  sockets.push(events);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no alert from the gateway\u2019s own SOS')), 60_000);
    events.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { event?: string; data?: { nodeId?: string; level?: string } };
      if (m.event === 'alert.raised' && m.data?.nodeId === gatewayId && m.data.level === 'SOS') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  events.close();

  // A second demo on the same folder is refused before it touches it, --fresh too; the first runs on.
  for (const extra of [[], ['--fresh']]) {
    const second = new Proc(['demo', '--data-dir', root, '--port', '0', '--mqtt-port', '0', '--gateway-port', '0', ...extra]);
    assert.equal(await second.exited, 2);
    assert.match(second.stderr, /a demo is already running with data dir .*: stop it first/);
    assert.doesNotMatch(second.stderr, /database|Error:/, 'nothing of it started');
  }
  assert.equal((await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status, 200, 'the first demo still answers');

  demo.child.kill('SIGINT');
  assert.equal(await demo.exited, 0, 'Ctrl-C stops everything cleanly');
});
