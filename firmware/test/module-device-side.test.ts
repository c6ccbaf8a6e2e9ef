// What a module's device handler gets of the node (module-device-side.ts): its timers, `after(ms)`,
// run when asked, also for waits longer than one Node timer can hold (about 24.8 days).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ModuleManifest } from '@unibos/module-api';
import type { Device } from '../src/node/device.ts';
import { ModuleDeviceSide } from '../src/node/module-device-side.ts';

test('after(ms) longer than a Node timer can hold waits, instead of firing at once', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-module-side-'));
  try {
    const device = Object.assign(new EventEmitter(), { nodeId: 1, name: 'N' }) as unknown as Device;
    const manifest = { name: 'waiter', permissions: {} } as unknown as ModuleManifest;
    const side = new ModuleDeviceSide({ name: 'waiter', manifest, device, dataDir, log: pino({ level: 'silent' }), onThrow: () => undefined });
    const fired: string[] = [];
    // A module that checks in monthly (30 days), and one past the 2^31 - 1 ms a Node timer holds.
    side.side.after(30 * 86_400_000, () => fired.push('monthly'));
    side.side.after(2 ** 31, () => fired.push('2^31 ms'));
    // Node runs timers in the order they fall due: this one marks a moment well before either.
    await new Promise<void>((resolve) => side.side.after(30, () => resolve()));
    assert.deepEqual(fired, [], 'neither long wait has fired after 30 ms');
    side.revoke();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
