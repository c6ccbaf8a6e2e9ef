// The device settings every long-running role takes (`unibos node`, `unibos gateway`): one flag
// per config key that has one, their help lines, the config they make, and a SIGTERM-aware run.

import { CONFIG_KEYS, loadNodeConfig, type NodeConfig } from '@unibos/firmware';
import type { Logger } from 'pino';
import type { Parsed } from './cli-args.ts';

const FLAGS = Object.values(CONFIG_KEYS as Record<string, { flag?: string; env?: string; help: string }>).filter((d) => d.flag);

export const NODE_FLAG_HELP = `  --config PATH        JSON config file
${FLAGS.map((d) => `  --${`${d.flag} VALUE`.padEnd(19)}${d.help}${d.env ? ` [${d.env}]` : ''}`).join('\n')}`;

export function nodeFlagOptions(): Record<string, { type: 'string' }> {
  const options: Record<string, { type: 'string' }> = { config: { type: 'string' } };
  for (const d of FLAGS) options[d.flag!] = { type: 'string' };
  return options;
}

export function nodeConfigFromFlags(parsed: Parsed): NodeConfig {
  const flags: Record<string, string | undefined> = {};
  for (const d of FLAGS) {
    const v = parsed.values[d.flag!];
    if (typeof v === 'string') flags[d.flag!] = v;
  }
  const file = parsed.values.config;
  return loadNodeConfig({ flags, ...(typeof file === 'string' ? { file } : {}) });
}

/** Resolves once SIGTERM or SIGINT has stopped `running` (or 5 s have passed: then exit 1). */
export function runUntilSignal(running: { stop(): Promise<void> }, logger: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      // A wedged driver must not keep a stopping service alive: systemd expects us gone in seconds.
      setTimeout(() => process.exit(1), 5000).unref();
      running.stop().then(resolve, (err) => {
        logger.error({ err }, 'error while stopping');
        resolve();
      });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}
