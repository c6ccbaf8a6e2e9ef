// `unibos node`: run this machine as a field device until SIGTERM/SIGINT.

import { CONFIG_KEYS, createLogger, loadNodeConfig, runNode } from '@unibos/firmware';
import { parseCommand } from '../cli-args.ts';

const FLAGS = Object.values(CONFIG_KEYS as Record<string, { flag?: string; env?: string; help: string; default: unknown }>).filter((d) => d.flag);

const HELP = `usage: unibos node [options]

Runs a UNIBOS field device: the mesh router on a LoRa radio (a RAK3172 modem on a serial port, or
the simulated air of \`unibos air\`), GPS, the SOS button and status LED, and a local control API
for \`unibos status|peers|send|sos|inbox\`. Logs are JSON lines on stdout. Settings come from
defaults < <data-dir>/config.json (or --config) < environment < these flags.

  --config PATH        JSON config file
${FLAGS.map((d) => `  --${`${d.flag} VALUE`.padEnd(19)}${d.help}${d.env ? ` [${d.env}]` : ''}`).join('\n')}

Example, three nodes in a line on one machine (run \`unibos air\` first):
  unibos node --data-dir /tmp/a --lat 41.000 --lon 29.000 --http-port off
  unibos node --data-dir /tmp/b --lat 41.000 --lon 29.060 --http-port off
  unibos node --data-dir /tmp/c --lat 41.000 --lon 29.120 --http-port off
`;

export async function run(argv: string[]): Promise<number> {
  const options: Record<string, { type: 'string' }> = { config: { type: 'string' } };
  for (const d of FLAGS) options[d.flag!] = { type: 'string' };
  const parsed = parseCommand(argv, HELP, options);
  if (!parsed) return 0;
  const flags: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(parsed.values)) if (typeof v === 'string' && k !== 'config') flags[k] = v;
  const config = loadNodeConfig({ flags, ...(typeof parsed.values.config === 'string' ? { file: parsed.values.config } : {}) });
  const logger = createLogger('unibos-node');
  const node = await runNode(config, { logger });
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      // A wedged driver must not keep a stopping service alive: systemd expects us gone in seconds.
      setTimeout(() => process.exit(1), 5000).unref();
      node.stop().then(resolve, (err) => {
        logger.error({ err }, 'error while stopping');
        resolve();
      });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  return 0;
}
