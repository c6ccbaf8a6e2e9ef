// A hub command across a gateway crash. The hub publishes a command again until it has stored the
// gateway's report; a gateway SIGKILLed after its node queued the text (support/ref-crash-gateway.ts)
// must, once restarted on the same data dir, answer the repeat with the packet id the text got and
// put it on air once, not twice. A gateway killed before its node queued anything says so and sends
// nothing: it cannot know, and a second copy is the worse mistake.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNodeId } from '@unibos/mesh-protocol';
import { MeshBridge, type MeshBridgeOptions } from '../src/bridge/mesh-bridge.ts';
import { openGatewayDb } from '../src/run-gateway.ts';
import { params, silent, simMesh } from './support/sim-mesh.ts';

const CHILD = fileURLToPath(new URL('./support/ref-crash-gateway.ts', import.meta.url));
type Report = { ref: string; packetId?: number; status: string; error?: string };

/** The gateway on `dir` takes `command` and is killed at `kill`; the packet id its node gave the text, if it got that far. */
function crashingGateway(dir: string, kill: 'recorded' | 'queued' | 'reported', command: string): number | undefined {
  const run = spawnSync(process.execPath, ['--import', 'tsx', CHILD, dir, kill, command], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.signal, 'SIGKILL', `the gateway was killed at ${kill}: ${run.stdout} ${run.stderr}`);
  const packet = /^packet (\d+)$/m.exec(run.stdout);
  return packet ? Number(packet[1]) : undefined;
}

/** The restarted gateway G (same data dir) and the field node N it writes to, on the simulated medium. */
async function restarted(t: { after(fn: () => Promise<void>): void }, gatewayDir: string, n: ReturnType<ReturnType<typeof simMesh>['make']>, mesh: ReturnType<typeof simMesh>) {
  const g = mesh.make('G', 'GATEWAY', { dir: gatewayDir });
  const db = openGatewayDb(gatewayDir);
  t.after(async () => void db.close());
  const reports: Report[] = [];
  const bridge = new MeshBridge({
    gatewayId: 'gw1',
    device: g.device,
    params,
    db,
    local: { publish: async (topic: string, body: string | Buffer) => void (topic.endsWith('/txstatus') && reports.push(JSON.parse(String(body)))) },
    uplink: { forward: () => undefined },
    logger: silent,
  });
  await g.device.start();
  await n.device.start();
  return { g, bridge, reports };
}

for (const kill of ['queued', 'reported'] as const) {
  test(`a text the gateway queued before it was killed (${kill === 'queued' ? 'before recording its packet id' : 'before its report was stored'}) goes on air once after the restart, and the repeat gets its packet id`, async (t) => {
    const mesh = simMesh(t, { seed: 21, link: { rssi: -100, snr: 4 }, prefix: 'unibos-bridge-restart' });
    const n = mesh.make('N', 'CLIENT');
    const gatewayDir = mkdtempSync(join(tmpdir(), 'unibos-bridge-restart-G-'));
    const command = JSON.stringify({ text: 'the bridge on route 4 is closed', to: formatNodeId(n.id), ref: 'hub-msg-1' });
    const packetId = crashingGateway(gatewayDir, kill, command);
    assert.ok(packetId !== undefined, 'the node queued the text before the kill');

    const s = await restarted(t, gatewayDir, n, mesh);
    // The hub never stored a report, so it publishes the command again.
    assert.equal(s.bridge.handleTx(Buffer.from(command), 'hub').ok, true);
    assert.deepEqual(s.reports, [{ ref: 'hub-msg-1', packetId, status: 'queued' }], 'the repeat is answered with the packet id the text already has');
    mesh.scheduler.runUntil(mesh.scheduler.now() + 10 * 60_000);

    const received = n.device.inbox.latest().filter((m) => m.text === 'the bridge on route 4 is closed');
    assert.equal(received.length, 1, 'N received the text once');
    assert.equal(received[0]!.packetId, packetId, 'the copy queued before the crash, the one the hub matches acknowledgements by');
    assert.equal(s.g.device.outbox.size, 0, 'nothing else waits to go out');
  });
}

test('a text the gateway was killed before queueing is not sent after the restart: the hub is told it is not known whether it went', async (t) => {
  const mesh = simMesh(t, { seed: 22, link: { rssi: -100, snr: 4 }, prefix: 'unibos-bridge-restart' });
  const n = mesh.make('N', 'CLIENT');
  const gatewayDir = mkdtempSync(join(tmpdir(), 'unibos-bridge-restart-G-'));
  const command = JSON.stringify({ text: 'water at the mosque', to: formatNodeId(n.id), ref: 'hub-msg-2' });
  assert.equal(crashingGateway(gatewayDir, 'recorded', command), undefined);

  const s = await restarted(t, gatewayDir, n, mesh);
  s.bridge.handleTx(Buffer.from(command), 'hub');
  mesh.scheduler.runUntil(mesh.scheduler.now() + 10 * 60_000);
  assert.equal(s.reports.length, 1);
  assert.equal(s.reports[0]!.status, 'refused');
  assert.match(s.reports[0]!.error ?? '', /restarted while queueing it/);
  assert.equal(n.device.inbox.latest().filter((m) => m.text === 'water at the mosque').length, 0, 'nothing went on air');
});

test('a text queued before a restart that then fails is still reported failed to the hub under its ref', async (t) => {
  const mesh = simMesh(t, { seed: 23, link: { rssi: -100, snr: 4 }, prefix: 'unibos-bridge-restart' });
  const away = mesh.make('Away', 'CLIENT'); // never started: switched off in the field
  const gatewayDir = mkdtempSync(join(tmpdir(), 'unibos-bridge-restart-G-'));
  const packetId = crashingGateway(gatewayDir, 'reported', JSON.stringify({ text: 'are you there?', to: formatNodeId(away.id), ref: 'hub-msg-3' }));

  const g = mesh.make('G', 'GATEWAY', { dir: gatewayDir });
  const db = openGatewayDb(gatewayDir);
  t.after(async () => void db.close());
  const reports: Report[] = [];
  new MeshBridge({ gatewayId: 'gw1', device: g.device, params, db, local: { publish: async (topic: string, body: string | Buffer) => void (topic.endsWith('/txstatus') && reports.push(JSON.parse(String(body)))) }, uplink: { forward: () => undefined }, logger: silent });
  await g.device.start();
  mesh.scheduler.runUntil(mesh.scheduler.now() + 3 * 24 * 3600_000);
  assert.equal(reports.length, 1, `one report: ${JSON.stringify(reports)}`);
  assert.equal(reports[0]!.ref, 'hub-msg-3');
  assert.equal(reports[0]!.packetId, packetId);
  assert.equal(reports[0]!.status, 'refused');
  assert.match(reports[0]!.error ?? '', /nobody acknowledged it/);
});

test('a switch TOGGLE the hub sends again after a gateway restart is not run again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-bridge-restart-switch-'));
  t.after(async () => rmSync(dir, { recursive: true, force: true }));
  const runs: string[] = [];
  let lastRun: Promise<unknown> = Promise.resolve();
  const start = (outcome: 'confirmed' | 'never') => {
    const db = openGatewayDb(dir);
    const reports: Report[] = [];
    const bridge = new MeshBridge({
      gatewayId: 'gw1',
      device: { router: new EventEmitter() } as unknown as MeshBridgeOptions['device'],
      params,
      db,
      local: { publish: async (topic: string, body: string | Buffer) => void (topic.endsWith('/txstatus') && reports.push(JSON.parse(String(body)))) },
      uplink: { forward: () => undefined },
      logger: silent,
      // 'never': the gateway dies while the device has not answered yet.
      switches: {
        run: (req) => {
          runs.push(`${req.sensor} ${req.state}`);
          const result = outcome === 'confirmed' ? Promise.resolve({ status: 'confirmed', state: 'ON' }) : new Promise<never>(() => undefined);
          lastRun = result;
          return result;
        },
      },
    });
    return { db, bridge, reports };
  };
  const toggle = (ref: string) => Buffer.from(JSON.stringify({ ref, switch: { sensor: 'plug1', state: 'TOGGLE', channel: 1 } }));

  const first = start('confirmed');
  first.bridge.handleTx(toggle('sw-1'), 'hub');
  await lastRun; // the bridge's own handler of the outcome ran first
  assert.equal(first.reports.at(-1)?.status, 'confirmed');
  first.db.close();
  const second = start('never');
  second.bridge.handleTx(toggle('sw-1'), 'hub');
  second.bridge.handleTx(toggle('sw-2'), 'hub');
  second.db.close(); // killed while plug1 has not answered sw-2
  const third = start('never');
  third.bridge.handleTx(toggle('sw-1'), 'hub');
  third.bridge.handleTx(toggle('sw-2'), 'hub');
  third.db.close();

  assert.deepEqual(runs, ['plug1 TOGGLE', 'plug1 TOGGLE'], 'each ref switched the plug once');
  assert.deepEqual(second.reports, [{ ref: 'sw-1', status: 'queued' }, { ref: 'sw-2', status: 'queued' }]);
  assert.deepEqual(third.reports, [
    { ref: 'sw-1', status: 'queued' },
    { ref: 'sw-2', status: 'unconfirmed', error: 'the gateway restarted before the device confirmed the switch; it is not switched again' },
  ]);
});
