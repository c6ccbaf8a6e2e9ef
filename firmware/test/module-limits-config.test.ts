// The bounds of a module's thread are settings (moduleLimits.memoryMb, moduleLimits.stuckAfterS):
// a value out of range stops start-up naming the key, and a node set up with tighter bounds ends a
// stuck or hungry module by them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loraParams } from '@unibos/mesh-protocol';
import { callNode } from '../src/control/control-client.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import type { NodeStatus } from '../src/node/node-status.ts';
import { runNode, type RunningNode } from '../src/node/run-node.ts';
import { SimAir } from '../src/radio/sim-air.ts';
import { testManifest } from './support/test-module.ts';

const NO_DIR = '/nonexistent-unibos-test';

function configError(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (e: Error & { code?: string }) => {
    assert.equal(e.code, 'E_CONFIG');
    assert.match(e.message, pattern);
    return true;
  });
}

test('module limits: 64 MB and 5 s unless set; set in config.json or the environment, the environment winning', () => {
  assert.deepEqual(loadNodeConfig({ env: {}, flags: { 'data-dir': NO_DIR } }).moduleLimits, { memoryMb: 64, stuckAfterS: 5 });
  const dir = mkdtempSync(join(tmpdir(), 'unibos-module-limits-'));
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ moduleLimits: { memoryMb: 128, stuckAfterS: 10 } }));
    assert.deepEqual(loadNodeConfig({ env: {}, flags: { 'data-dir': dir } }).moduleLimits, { memoryMb: 128, stuckAfterS: 10 });
    assert.deepEqual(loadNodeConfig({ env: { UNIBOS_MODULE_MEMORY_MB: '96', UNIBOS_MODULE_STUCK_AFTER_S: '3' }, flags: { 'data-dir': dir } }).moduleLimits, { memoryMb: 96, stuckAfterS: 3 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a module limit out of range, or not a whole number, stops start-up naming the key, where it came from and what it takes', () => {
  configError(() => loadNodeConfig({ env: { UNIBOS_MODULE_MEMORY_MB: '16' }, flags: { 'data-dir': NO_DIR } }), /^config key moduleLimits\.memoryMb \(from environment variable UNIBOS_MODULE_MEMORY_MB\): expected an integer 32\.\.1024, got "16"$/);
  configError(() => loadNodeConfig({ env: { UNIBOS_MODULE_MEMORY_MB: '64MB' }, flags: { 'data-dir': NO_DIR } }), /^config key moduleLimits\.memoryMb .*expected an integer 32\.\.1024, got "64MB"$/);
  configError(() => loadNodeConfig({ env: { UNIBOS_MODULE_STUCK_AFTER_S: '1.5' }, flags: { 'data-dir': NO_DIR } }), /^config key moduleLimits\.stuckAfterS \(from environment variable UNIBOS_MODULE_STUCK_AFTER_S\): expected an integer 2\.\.120, got "1\.5"$/);
  const dir = mkdtempSync(join(tmpdir(), 'unibos-module-limits-'));
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ moduleLimits: { stuckAfterS: 0 } }));
    configError(() => loadNodeConfig({ env: {}, flags: { 'data-dir': dir } }), /^config key moduleLimits\.stuckAfterS \(from .*config\.json\): expected an integer 2\.\.120, got 0$/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ moduleLimits: { heapMb: 64 } }));
    configError(() => loadNodeConfig({ env: {}, flags: { 'data-dir': dir } }), /config\.json: unknown key "moduleLimits\.heapMb"$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function settled(fieldDir: string, name: string): Promise<NodeStatus['modules'][number]> {
  for (;;) {
    const m = (await callNode<NodeStatus>(fieldDir, 'GET', '/status')).modules.find((x) => x.name === name)!;
    if (m.state !== 'loaded') return m;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('a node set to 2 s and 32 MB ends a stuck module after 2 s and a hungry one past 32 MB', { timeout: 60_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-module-limits-node-'));
  const air = new SimAir({ params: loraParams('ShortFast'), port: 0 });
  let field: RunningNode | undefined;
  try {
    const modulesDir = join(root, 'modules');
    const modules: Record<string, string> = {
      spinner: 'export default () => { setTimeout(() => { while (true) {} }, 0); return { stop() {} }; };',
      // 8 MB more every millisecond, capped at 512 MB so a node without the bound cannot take the machine's memory.
      'heap-hog': 'export default () => { const kept = []; const t = setInterval(() => { if (kept.length < 64) kept.push(new Array(1 << 20).fill(0.5)); }, 1); return { stop() { clearInterval(t); } }; };',
    };
    for (const [name, handler] of Object.entries(modules)) {
      mkdirSync(join(modulesDir, name), { recursive: true });
      writeFileSync(join(modulesDir, name, 'module.json'), testManifest(name));
      writeFileSync(join(modulesDir, name, 'handler.js'), handler);
    }
    const fieldDir = join(root, 'field');
    mkdirSync(fieldDir);
    writeFileSync(join(fieldDir, 'config.json'), JSON.stringify({ moduleLimits: { memoryMb: 32, stuckAfterS: 2 } }));
    const port = await air.listen();
    field = await runNode(
      loadNodeConfig({ env: {}, flags: { preset: 'ShortFast', 'http-port': 'off', air: `127.0.0.1:${port}`, lat: '41', lon: '29', 'data-dir': fieldDir, 'modules-dir': modulesDir, module: Object.keys(modules).join(',') } }),
      { logger: pino({ level: 'silent' }), env: {} },
    );
    const spinner = await settled(fieldDir, 'spinner');
    assert.match(spinner.reason!, /^stuck: it did not answer the node for 2 s /);
    const hog = await settled(fieldDir, 'heap-hog');
    assert.match(hog.reason!, /^out of memory: it outgrew its 32 MB heap, so its thread was ended/);
  } finally {
    await field?.stop();
    await air.close();
    rmSync(root, { recursive: true, force: true });
  }
});
