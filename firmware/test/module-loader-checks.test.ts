// What the module loader checks before a handler runs: a module's options on a node (config.json
// `moduleOptions`) against the settings schema of its manifest, the one the hub checks them with (a
// bad value leaves the module out with the field named, defaults are filled in, options the schema
// does not name pass on as device-only ones); and a handler file that never finishes loading is left
// out in bounded time instead of holding the node's start.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Device } from '../src/node/device.ts';
import { loadNodeModules } from '../src/node/module-loader.ts';
import { testManifest } from './support/test-module.ts';

// Keeps the options it was started with in its own store (<dataDir>/modules/NAME.json): a handler runs in its own thread, so the test reads what it saw there.
const HANDLER = "export default (d, options) => { d.store.set('options', options); return { stop() {} }; };";

function optionsSeen(dataDir: string, name: string): unknown {
  const file = join(dataDir, 'modules', `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { options?: unknown }).options : undefined;
}

function writeModule(dir: string, name: string, handler = HANDLER): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(
    join(dir, name, 'module.json'),
    testManifest(name, {
      permissions: {},
      settings: {
        version: 1,
        schema: {
          type: 'object',
          additionalProperties: false,
          properties: {
            threshold: { type: 'integer', minimum: 1, maximum: 255, default: 25 },
            algorithm: { enum: ['mog2', 'knn'], default: 'mog2' },
          },
        },
      },
    }),
  );
  writeFileSync(join(dir, name, 'handler.js'), handler);
}

test("moduleOptions are checked against the manifest's settings schema: a bad value names its field and leaves the module out; defaults are filled in", async () => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-module-settings-'));
  try {
    const modulesDir = join(root, 'modules');
    writeModule(modulesDir, 'gauge');
    writeModule(modulesDir, 'meter');
    const device = Object.assign(new EventEmitter(), { nodeId: 1, name: 'N' }) as unknown as Device;
    const abilities = { platform: 'linux' as const, alsoLinux: false, provides: { requires_lora: true, requires_gps: false, requires_camera: false } };
    const mods = await loadNodeModules({
      device,
      config: {
        modules: ['gauge', 'meter'],
        modulesDir,
        dataDir: join(root, 'data'),
        gps: { type: 'none' } as never,
        moduleOptions: { gauge: { tag: 'bad', threshold: 300 }, meter: { tag: 'good', answer: 'safe' } },
      },
      log: pino({ level: 'silent' }),
      abilities,
    });
    const [gauge, meter] = mods.status();
    assert.equal(gauge!.state, 'failed', 'a threshold past the manifest maximum is refused');
    assert.match(gauge!.reason ?? '', /moduleOptions\.gauge.*threshold.*255/);
    assert.equal(meter!.state, 'loaded');
    assert.equal(optionsSeen(join(root, 'data'), 'gauge'), undefined, "the handler never ran with a value the hub's schema refuses");
    // Defaults from the manifest, and a device-only option the hub's schema does not name.
    assert.deepEqual(optionsSeen(join(root, 'data'), 'meter'), { tag: 'good', answer: 'safe', threshold: 25, algorithm: 'mog2' });
    await mods.stop();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a handler whose top-level code never finishes is left out, and the modules after it load', async () => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-module-hang-'));
  try {
    const modulesDir = join(root, 'modules');
    writeFileSync(join(root, 'package.json'), '{"type": "module"}');
    // Waits for a network or a device that never answers.
    writeModule(modulesDir, 'stuck', 'await new Promise(() => {});\nexport default () => ({ stop() {} });');
    writeModule(modulesDir, 'meter');
    const device = Object.assign(new EventEmitter(), { nodeId: 2, name: 'M' }) as unknown as Device;
    const mods = await loadNodeModules({
      device,
      config: { modules: ['stuck', 'meter'], modulesDir, dataDir: join(root, 'data'), gps: { type: 'none' } as never, moduleOptions: { meter: { tag: 'after-stuck' } } },
      log: pino({ level: 'silent' }),
      abilities: { platform: 'linux', alsoLinux: false, provides: { requires_lora: true, requires_gps: false, requires_camera: false } },
      importTimeoutMs: 200,
    });
    const [stuck, meter] = mods.status();
    assert.equal(stuck!.state, 'failed');
    assert.match(stuck!.reason ?? '', /did not finish loading within 0\.2 s/);
    assert.equal(meter!.state, 'loaded');
    await mods.stop();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
