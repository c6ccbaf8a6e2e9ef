// A hub in a child process of its own, so a test can read the hub's RSS without its own heap (the
// test's sockets and buffers) in the figure. Started with fork(); answers 'rss' with the resident
// set after a full gc (when --expose-gc is given) and stops on 'stop'.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { hubConfigDefaults, runHub } from '../../src/index.ts';

export interface HubProcessReady {
  kind: 'ready';
  url: string;
  mqttPort: number;
}

export interface HubProcessRss {
  kind: 'rss';
  rss: number;
}

const dataDir = mkdtempSync(join(tmpdir(), 'unibos-hub-proc-'));
const hub = await runHub({ ...hubConfigDefaults(dataDir), httpPort: 0, mqttPort: 0 }, { logger: pino({ level: process.env.UNIBOS_TEST_LOG ?? 'silent' }) });
const gc = (globalThis as { gc?: () => void }).gc;

let stopping: Promise<void> | null = null;
const shutdown = (): Promise<void> =>
  (stopping ??= hub.stop().finally(() => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }));

process.on('message', (m: { cmd: 'rss' | 'stop' }) => {
  if (m.cmd === 'rss') {
    gc?.();
    gc?.();
    process.send!({ kind: 'rss', rss: process.memoryUsage().rss } satisfies HubProcessRss);
  } else {
    void shutdown();
  }
});
// The parent went away without saying stop (a failed test): do not outlive it.
process.on('disconnect', () => void shutdown());
process.send!({ kind: 'ready', url: hub.url, mqttPort: hub.mqttPort } satisfies HubProcessReady);
