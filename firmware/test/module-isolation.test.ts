// A module's device handler runs in its own thread (module-thread.ts): one stuck in a loop that
// never ends, or one that allocates without end, does not take the node with it. The SOS still goes
// on air and texts still arrive while it misbehaves; the node ends its thread, shows it failed with
// the reason, and the other modules keep working.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loraParams } from '@unibos/mesh-protocol';
import { callNode } from '../src/control/control-client.ts';
import type { InboxMessage } from '../src/node/inbox.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import type { NodeStatus } from '../src/node/node-status.ts';
import { runNode, type RunningNode } from '../src/node/run-node.ts';
import { SimAir } from '../src/radio/sim-air.ts';
import { testManifest } from './support/test-module.ts';

const REPO_MODULES = fileURLToPath(new URL('../../modules/', import.meta.url));

function writeModule(dir: string, name: string, handler: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'module.json'), testManifest(name, { permissions: { events: { subscribe: ['mesh.text'] } } }));
  writeFileSync(join(dir, name, 'handler.js'), handler);
}

interface Rig {
  neighbour: RunningNode;
  field: RunningNode;
  fieldDir: string;
}

/**
 * A neighbour and a field node on the simulated air; the field node runs `modules` (name: handler
 * source) and birlikteyiz, answering check-ins by itself. Everything is stopped and removed after
 * the test, also when it fails or times out (a node left running would keep the file's process up).
 */
async function rig(t: TestContext, prefix: string, modules: Record<string, string>): Promise<Rig> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const nodes: RunningNode[] = [];
  let air: SimAir | undefined;
  t.after(async () => {
    for (const n of nodes.reverse()) await n.stop();
    await air?.close();
    rmSync(root, { recursive: true, force: true });
  });
  const modulesDir = join(root, 'modules');
  for (const [name, handler] of Object.entries(modules)) writeModule(modulesDir, name, handler);
  symlinkSync(join(REPO_MODULES, 'birlikteyiz'), join(modulesDir, 'birlikteyiz'));
  air = new SimAir({ params: loraParams('ShortFast'), port: 0 });
  const port = await air.listen();
  const base = { preset: 'ShortFast', 'http-port': 'off', air: `127.0.0.1:${port}`, lon: '29' };
  const logger = pino({ level: 'silent' });
  const neighbour = await runNode(loadNodeConfig({ env: {}, flags: { ...base, 'data-dir': join(root, 'neighbour'), lat: '41', name: 'Neighbour' } }), { logger, env: {} });
  nodes.push(neighbour);
  const fieldDir = join(root, 'field');
  mkdirSync(fieldDir);
  writeFileSync(join(fieldDir, 'config.json'), JSON.stringify({ moduleOptions: { birlikteyiz: { answer: 'safe', delayMs: 0 } } }));
  const field = await runNode(
    loadNodeConfig({ env: {}, flags: { ...base, 'data-dir': fieldDir, lat: '41.002', name: 'Field', 'modules-dir': modulesDir, module: [...Object.keys(modules), 'birlikteyiz'].join(',') } }),
    { logger, env: {} },
  );
  nodes.push(field);
  return { neighbour, field, fieldDir };
}

function heard(node: RunningNode, match: (m: InboxMessage) => boolean): Promise<InboxMessage> {
  return new Promise((resolve) => {
    const fn = (m: InboxMessage): void => {
      if (!match(m)) return;
      node.device.off('message', fn);
      resolve(m);
    };
    node.device.on('message', fn);
  });
}

/** The neighbour sends the field node a text: resolves once it is in the field node's inbox. */
async function textArrives(r: Rig, text: string): Promise<void> {
  const arrived = heard(r.field, (m) => m.text === text);
  r.neighbour.device.sendText(text, r.field.device.nodeId);
  await arrived;
}

/** `unibos sos` on the field node (its control API): resolves once the neighbour has the SOS. */
async function sosHeard(r: Rig): Promise<void> {
  const sos = heard(r.neighbour, (m) => m.level === 'SOS' && m.from === r.field.device.nodeId);
  await callNode(r.fieldDir, 'POST', '/sos');
  await sos;
}

/** The module's line of `unibos status` once it has left `loaded` (the node's watchdog or memory bound acted). */
async function settled(fieldDir: string, name: string): Promise<NodeStatus['modules'][number]> {
  for (;;) {
    const m = (await callNode<NodeStatus>(fieldDir, 'GET', '/status')).modules.find((x) => x.name === name)!;
    if (m.state !== 'loaded') return m;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What the person at the field node sees: `unibos inbox`. */
async function inboxTexts(fieldDir: string): Promise<string[]> {
  return (await callNode<{ messages: InboxMessage[] }>(fieldDir, 'GET', '/inbox')).messages.map((m) => m.text);
}

/**
 * The other module still works: birlikteyiz answers "are you safe?" by itself. The field node's SOS
 * is open (sosHeard), so the node refuses the module's "I am safe" (only the person ends an SOS):
 * the answer shows as a call the node could not do, and the SOS stays open.
 */
async function checkInAnswered(r: Rig): Promise<void> {
  const status = () => callNode<NodeStatus>(r.fieldDir, 'GET', '/status');
  const failed = async () => (await status()).modules.find((m) => m.name === 'birlikteyiz')!.failed;
  const before = await failed();
  r.neighbour.device.sendAlert('EARTHQUAKE', 'M5.4 quake 6 km NE. Are you safe? Press once: safe, hold: help', r.field.device.nodeId);
  while ((await failed()) === before) await new Promise((resolve) => setTimeout(resolve, 50));
  const sos = (await status()).sos;
  assert.equal(sos.cancelled, false, 'the SOS is still open');
}

test('a module stuck in a loop: the SOS still goes on air and texts still arrive; the node ends it and shows why, the other module runs on', { timeout: 60_000 }, async (t) => {
  // A bug that spins for ever on the first text it hears.
  const r = await rig(t, 'unibos-module-stuck-', {
    spinner: 'export default (d) => { const off = d.onMessage(() => { while (true) {} }); return { stop: off }; };',
  });
  const { fieldDir } = r;

  await textArrives(r, 'hello Field');

  // The person holds the button (`unibos sos`) while the module spins: the neighbour hears the SOS.
  await sosHeard(r);

  await textArrives(r, 'are you ok?');
  assert.deepEqual((await inboxTexts(fieldDir)).filter((t) => t.startsWith('hello') || t.startsWith('are you ok')).sort(), ['are you ok?', 'hello Field']);

  const spinner = await settled(fieldDir, 'spinner');
  assert.equal(spinner.state, 'failed');
  assert.match(spinner.reason!, /^stuck: it did not answer the node for 5 s .*its thread was ended; it stays off until the node restarts$/);
  assert.equal(spinner.ended, 1);

  const birlikteyiz = (await callNode<NodeStatus>(fieldDir, 'GET', '/status')).modules.find((m) => m.name === 'birlikteyiz')!;
  assert.equal(birlikteyiz.state, 'loaded');
  await checkInAnswered(r);
  // Not restarted: it stays failed (a module that loops at once would loop again).
  assert.equal((await settled(fieldDir, 'spinner')).ended, 1);
});

test('a module that allocates without end, in its heap or in Buffers, is ended; the node carries on', { timeout: 60_000 }, async (t) => {
  // A leak: every text heard starts another 8 MB a millisecond. (Capped at 512 MB, far past the
  // node's bound, so a run on a node without the bound cannot take a shared machine's memory.)
  const leak = (make: string): string =>
    `export default (d) => { const kept = []; let t; const off = d.onMessage(() => { t ??= setInterval(() => { if (kept.length < 64) kept.push(${make}); }, 1); }); return { stop() { off(); clearInterval(t); } }; };`;
  const r = await rig(t, 'unibos-module-hog-', { 'heap-hog': leak('new Array(1 << 20).fill(0.5)'), 'buffer-hog': leak('Buffer.alloc(8 << 20, 1)') });
  const { fieldDir } = r;

  await textArrives(r, 'hello Field');

  const heapHog = await settled(fieldDir, 'heap-hog');
  assert.equal(heapHog.state, 'failed');
  assert.match(heapHog.reason!, /^out of memory: it outgrew its 64 MB heap, so its thread was ended/);
  assert.equal(heapHog.ended, 1);
  const bufferHog = await settled(fieldDir, 'buffer-hog');
  assert.equal(bufferHog.state, 'failed');
  assert.match(bufferHog.reason!, /^out of memory: it outgrew its 64 MB of buffers \(it held \d+ MB\), so its thread was ended/);
  assert.equal(bufferHog.ended, 1);

  // The node carries on: the SOS goes on air, a text arrives, the other module answers.
  await sosHeard(r);
  await textArrives(r, 'are you ok?');
  assert.ok((await inboxTexts(fieldDir)).includes('are you ok?'));
  await checkInAnswered(r);
});

test('a module that calls process.exit() or throws in a bare timer ends only itself; the node carries on', { timeout: 60_000 }, async (t) => {
  const r = await rig(t, 'unibos-module-exit-', {
    quitter: 'export default (d) => { const off = d.onMessage(() => process.exit(3)); return { stop: off }; };',
    'bare-timer': "export default (d) => { const off = d.onMessage(() => setTimeout(() => { throw new Error('late boom'); }, 0)); return { stop: off }; };",
  });
  const { fieldDir } = r;
  await textArrives(r, 'hello Field');

  const quitter = await settled(fieldDir, 'quitter');
  assert.equal(quitter.state, 'failed');
  assert.match(quitter.reason!, /^its thread exited \(code 3\) by itself/);
  const bare = await settled(fieldDir, 'bare-timer');
  assert.equal(bare.state, 'unloaded');
  assert.match(bare.reason!, /threw: late boom$/);

  await sosHeard(r);
  await checkInAnswered(r);
});
