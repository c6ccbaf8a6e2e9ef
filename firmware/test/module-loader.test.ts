// A node configured with modules runs their device-side handlers (module-loader.ts): birlikteyiz's
// check-in answerer answers an "are you safe?" alert over the simulated air by itself; a module
// with a bad manifest, a missing handler, a need this node cannot meet, a handler that throws or
// one that asks for what its manifest does not declare is refused and reported in the node's
// status, and the node runs on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loraParams } from '@unibos/mesh-protocol';
import { EventWaiter } from '@unibos/test-support';
import { FirmwareError } from '../src/firmware-error.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import { runNode, type RunningNode } from '../src/node/run-node.ts';
import { callNode } from '../src/control/control-client.ts';
import type { InboxMessage } from '../src/node/inbox.ts';
import type { NodeStatus } from '../src/node/node-status.ts';
import { SimAir } from '../src/radio/sim-air.ts';
import { testManifest } from './support/test-module.ts';

const REPO_MODULES = fileURLToPath(new URL('../../modules/', import.meta.url));

const manifest = testManifest;

function writeModule(dir: string, name: string, manifestText: string, handler?: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'module.json'), manifestText);
  if (handler !== undefined) writeFileSync(join(dir, name, 'handler.js'), handler);
}

test('a node configured with birlikteyiz answers a check-in over the air; bad, throwing and over-reaching modules are refused and reported while it runs on', async () => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-modules-'));
  const modulesDir = join(root, 'modules');
  mkdirSync(modulesDir);
  symlinkSync(join(REPO_MODULES, 'birlikteyiz'), join(modulesDir, 'birlikteyiz'));
  // permissions.hardware names a part no manifest may name.
  writeModule(modulesDir, 'broken', manifest('broken', { permissions: { hardware: ['laser'] } }), 'export default () => ({ stop() {} });');
  writeModule(modulesDir, 'no-handler', manifest('no-handler', { entry: { device: 'src/gone.ts' } }));
  writeModule(modulesDir, 'needs-gps', manifest('needs-gps', { capabilities: { requires_gps: true } }), 'export default () => ({ stop() {} });');
  writeModule(modulesDir, 'thrower', manifest('thrower'), "export default (d) => { d.onMessage(() => { throw new Error('boom'); }); return { stop() {} }; };");
  // Hears alerts (declared) but may not send into the mesh or use the buzzer (not declared).
  writeModule(
    modulesDir,
    'greedy',
    manifest('greedy'),
    "export default (d) => { const off = d.onMessage((m) => { d.store.set('last', m.text); d.sendAlert('WARNING', 'me too'); d.buzzer(); d.sendText('hello'); }); return { stop: off }; };",
  );

  const air = new SimAir({ params: loraParams('ShortFast'), port: 0 });
  const port = await air.listen();
  const nodes: RunningNode[] = [];
  try {
    const base = { preset: 'ShortFast', 'http-port': 'off', air: `127.0.0.1:${port}`, lon: '29' };
    // The nodes' warnings, kept so the test can wait for one (a module's refused call is logged as it happens).
    const warnings: Array<{ module?: string; call?: string }> = [];
    const logged = new EventWaiter();
    const logger = pino({ level: 'warn' }, { write: (line: string) => (warnings.push(JSON.parse(line) as { module?: string; call?: string }), logged.wake()) });
    const asker = await runNode(loadNodeConfig({ env: {}, flags: { ...base, 'data-dir': join(root, 'asker'), lat: '41', name: 'Asker' } }), { logger, env: {} });
    nodes.push(asker);
    const fieldDir = join(root, 'field');
    mkdirSync(fieldDir);
    writeFileSync(join(fieldDir, 'config.json'), JSON.stringify({ moduleOptions: { birlikteyiz: { answer: 'safe', delayMs: 0 } } }));
    const field = await runNode(
      loadNodeConfig({
        env: { UNIBOS_MODULES: 'broken,no-handler' },
        flags: { ...base, 'data-dir': fieldDir, lat: '41.002', name: 'Field', 'modules-dir': modulesDir, module: 'birlikteyiz,broken,no-handler,needs-gps,thrower,greedy,missing' },
      }),
      { logger, env: {} },
    );
    nodes.push(field);

    const before = (await callNode<NodeStatus>(fieldDir, 'GET', '/status')).modules;
    const byName = (list: NodeStatus['modules']) => Object.fromEntries(list.map((m) => [m.name, m]));
    const b = byName(before);
    assert.deepEqual(
      before.map((m) => [m.name, m.state]),
      [
        ['birlikteyiz', 'loaded'],
        ['broken', 'failed'],
        ['no-handler', 'failed'],
        ['needs-gps', 'failed'],
        ['thrower', 'loaded'],
        ['greedy', 'loaded'],
        ['missing', 'failed'],
      ],
    );
    assert.match(b.broken!.reason!, /broken\/module\.json: permissions\.hardware\[0\]: must be one of/);
    assert.match(b['no-handler']!.reason!, /no-handler\/module\.json: entry\.device: .*src\/gone\.ts does not exist/);
    assert.match(b['needs-gps']!.reason!, /requires_gps/);
    assert.match(b.missing!.reason!, /missing\/module\.json: no such module/);

    // The hub's check-in question, as birlikteyiz sends it after a quake.
    // Nobody is at the field node: its answer says it was automatic, on the wire (Alert.automatic, what a hub counts
    // apart from a person's "I am safe") and in words (what a node's inbox or an older hub shows).
    const frames: Array<{ from: number; automatic: boolean | undefined }> = [];
    asker.device.router.on('deliver', (d) => d.data.alert?.level === 'SAFE' && frames.push({ from: d.from, automatic: d.data.alert.automatic }));
    const answered = new Promise<InboxMessage>((resolve) => asker.device.on('message', (m) => m.level === 'SAFE' && m.from === field.device.nodeId && resolve(m)));
    asker.device.sendAlert('EARTHQUAKE', 'M5.4 quake 6 km NE. Are you safe? Press once: safe, hold: help', field.device.nodeId);
    const answer = await answered;
    assert.equal(answer.text, 'Answered automatically: no person confirmed');
    assert.deepEqual(frames.find((f) => f.from === field.device.nodeId), { from: field.device.nodeId, automatic: true });

    const after = byName((await callNode<NodeStatus>(fieldDir, 'GET', '/status')).modules);
    assert.equal(after.thrower!.state, 'unloaded');
    assert.match(after.thrower!.reason!, /onMessage listener threw: boom/);
    assert.equal(after.thrower!.errors, 1);
    assert.equal(after.greedy!.state, 'loaded');
    assert.equal(after.greedy!.refused, 3, 'sendAlert, buzzer and sendText refused');
    assert.equal(after.birlikteyiz!.state, 'loaded');
    assert.equal(after.birlikteyiz!.refused, 0);

    // Still running: a second question is answered too; the thrower stays unloaded, the greedy one keeps being refused.
    const again = new Promise<InboxMessage>((resolve) => asker.device.on('message', (m) => m.level === 'SAFE' && m.from === field.device.nodeId && m.packetId !== answer.packetId && resolve(m)));
    asker.device.sendAlert('WARNING', 'Aftershock expected. Are you safe?', field.device.nodeId);
    await again;
    const last = byName((await callNode<NodeStatus>(fieldDir, 'GET', '/status')).modules);
    assert.equal(last.thrower!.errors, 1);
    assert.equal(last.greedy!.refused, 6);

    // The person at the field node asks for help: the answerer's "safe" to the next question must not call it off.
    field.device.raiseSos();
    asker.device.sendAlert('WARNING', 'Second aftershock. Are you safe?', field.device.nodeId);
    // The question goes out with the SOS: if the air loses it (they may collide), the asker sends it again after its
    // ack timeout (some 17 s here), so the wait allows for a retry or two.
    await logged.until(() => warnings.some((w) => w.module === 'birlikteyiz' && w.call === 'imSafe'), 'the answerer to try to answer', 60_000);
    assert.ok(byName((await callNode<NodeStatus>(fieldDir, 'GET', '/status')).modules).birlikteyiz!.failed > 0, 'its call counted as failed');
    const sos = (await callNode<NodeStatus>(fieldDir, 'GET', '/status')).sos;
    assert.equal(sos.cancelled, false, 'the SOS is still open');
    assert.notEqual(sos.stage, 'none');
  } finally {
    for (const n of nodes.reverse()) await n.stop();
    await air.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('the modules key: a repeatable flag, a comma list in the environment, a JSON list in the file; a bad name stops start-up naming the key', () => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-modules-config-'));
  try {
    const flags = { 'data-dir': root, lat: '41', lon: '29' };
    assert.deepEqual(loadNodeConfig({ env: {}, flags }).modules, []);
    assert.deepEqual(loadNodeConfig({ env: { UNIBOS_MODULES: 'birlikteyiz, river-gauge' }, flags }).modules, ['birlikteyiz', 'river-gauge']);
    writeFileSync(join(root, 'config.json'), JSON.stringify({ modules: ['birlikteyiz'], moduleOptions: { birlikteyiz: { answer: 'help' } } }));
    const fromFile = loadNodeConfig({ env: {}, flags });
    assert.deepEqual([fromFile.modules, fromFile.moduleOptions], [['birlikteyiz'], { birlikteyiz: { answer: 'help' } }]);
    assert.throws(
      () => loadNodeConfig({ env: {}, flags: { ...flags, module: 'Bad Name' } }),
      (err: unknown) => err instanceof FirmwareError && err.code === 'E_CONFIG' && /config key modules \(from --module\)/.test(err.message),
    );
    writeFileSync(join(root, 'config.json'), JSON.stringify({ moduleOptions: { birlikteyiz: 'safe' } }));
    assert.throws(() => loadNodeConfig({ env: {}, flags }), /config key moduleOptions .*a JSON object of objects/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
