// `unibos node`: run this machine as a field device until SIGTERM/SIGINT.

import { createLogger, runNode } from '@unibos/firmware';
import { parseCommand } from '../cli-args.ts';
import { NODE_FLAG_HELP, nodeConfigFromFlags, nodeFlagOptions, runUntilSignal } from '../node-flags.ts';

const HELP = `usage: unibos node [options]

Runs a UNIBOS field device: the mesh router on a LoRa radio (a RAK3172 modem on a serial port, or
the simulated air of \`unibos air\`), GPS, the SOS button and status LED, and a local control API
for \`unibos status|peers|send|sos|inbox\`. Logs are JSON lines on stdout. Settings come from
defaults < <data-dir>/config.json (or --config) < environment < these flags.

${NODE_FLAG_HELP}

Example, three nodes in a line on one machine (run \`unibos air\` first):
  unibos node --data-dir /tmp/a --lat 41.000 --lon 29.000 --http-port off
  unibos node --data-dir /tmp/b --lat 41.000 --lon 29.060 --http-port off
  unibos node --data-dir /tmp/c --lat 41.000 --lon 29.120 --http-port off
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, nodeFlagOptions());
  if (!parsed) return 0;
  const config = nodeConfigFromFlags(parsed);
  const logger = createLogger('unibos-node');
  await runUntilSignal(await runNode(config, { logger }), logger);
  return 0;
}
