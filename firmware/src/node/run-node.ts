// `unibos node` as a library call: state folder, identity, database, hardware, the node loop, the
// control API and systemd notifications, started in that order and stopped in reverse.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { startControlServer, type ControlServer } from '../control/control-server.ts';
import { SystemdNotifier } from '../system/sd-notify.ts';
import { Device } from './device.ts';
import { buildDeviceParts, type DeviceParts } from './device-parts.ts';
import { formatNodeId } from '@unibos/mesh-protocol';
import { loadOrCreateIdentity } from './identity.ts';
import { endLeftoverChildren, moduleChildMark } from './module-child-group.ts';
import { MODULE_CHILD_KILL_GRACE_MS } from './module-child-processes.ts';
import type { NodeConfig } from './node-config.ts';
import { openNodeDb } from './node-db.ts';

export interface RunningNode {
  device: Device;
  control: ControlServer;
  stop(): Promise<void>;
}

export interface RunNodeOptions {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Hardware to use instead of what the config names (tests). */
  parts?: DeviceParts;
  /** More metrics on the node's /metrics (a gateway adds its broker and uplink). */
  metrics?: (registry: Registry) => void;
}

export async function runNode(config: NodeConfig, options: RunNodeOptions): Promise<RunningNode> {
  const { logger } = options;
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const identity = loadOrCreateIdentity(join(config.dataDir, 'identity.json'));
  const log = logger.child({ node: formatNodeId(identity.nodeId) });
  const db = openNodeDb(join(config.dataDir, 'node.db'), log);
  const notifier = new SystemdNotifier({ env: options.env ?? process.env, onError: (m) => log.warn(m) });
  let control: ControlServer | undefined;
  let device: Device | undefined;
  try {
    const parts = options.parts ?? buildDeviceParts(config, identity.nodeId, log);
    device = new Device({ config, identity, db, ...parts, logger: log });
    // The control socket is claimed before the radio opens: a second node on the same folder stops here.
    control = await startControlServer({ device, dataDir: config.dataDir, httpPort: config.http.port, logger: log, metrics: options.metrics });
    // The folder is ours now: what a node killed before on it left running (its modules' ffmpeg) is ended.
    const leftover = await endLeftoverChildren(moduleChildMark(config.dataDir), MODULE_CHILD_KILL_GRACE_MS);
    if (leftover.length > 0) log.warn({ processes: leftover }, `ended ${leftover.length} process${leftover.length === 1 ? '' : 'es'} that modules of a node killed before left running: ${leftover.join(', ')}`);
    await device.start();
    // module-api (and ajv) are loaded only by a node that names a module; a module that cannot load is reported, not fatal.
    if (config.modules.length > 0) device.modules = await (await import('./module-loader.ts')).loadNodeModules({ device, config, log });
  } catch (err) {
    await control?.close();
    await device?.stop().catch(() => undefined);
    db.close();
    notifier.close();
    throw err;
  }
  const running = device;
  const server = control;
  notifier.ready(`node ${formatNodeId(identity.nodeId)} on ${config.radio.type} radio`);
  notifier.startWatchdog();
  let stopping: Promise<void> | undefined;
  return {
    device: running,
    control: server,
    stop: () =>
      (stopping ??= (async () => {
        notifier.stopping();
        await server.close();
        // Handlers stop() before the radio closes; a thread that does not finish in a grace is ended.
        await running.modules?.stop();
        await running.stop();
        db.close();
        notifier.close();
      })()),
  };
}
