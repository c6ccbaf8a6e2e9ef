// Starts a real hub (HTTP on an ephemeral port, a fresh data dir) for a test, and stops it after.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import pino from 'pino';
import { hubConfigDefaults, runHub, type HubConfig, type RunningHub } from '../../src/index.ts';
import type { ModulesOptions } from '../../src/modules/modules-plugin.ts';

export interface TestHub extends RunningHub {
  dataDir: string;
}

export async function startTestHub(overrides: Partial<HubConfig> = {}, options: { now?: () => number; keepDataDir?: boolean; modules?: ModulesOptions; logger?: pino.Logger } = {}): Promise<TestHub> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'unibos-hub-'));
  // No free-space reserve for readings unless the test asks for one: what it checks must not hang on how full this machine's disk is.
  const config: HubConfig = { ...hubConfigDefaults(dataDir), httpPort: 0, mqttPort: 0, sensorMinFreeBytes: 0, ...overrides };
  const hub = await runHub(config, { logger: options.logger ?? pino({ level: process.env.UNIBOS_TEST_LOG ?? 'silent' }), ...(options.now ? { now: options.now } : {}), ...(options.modules ? { modules: options.modules } : {}) });
  let stopped = false;
  const testHub: TestHub = {
    ...hub,
    dataDir,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await hub.stop();
    },
  };
  after(async () => {
    await testHub.stop();
    if (!options.keepDataDir && !overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return testHub;
}
