// `unibos node`: run this machine as a field device until SIGTERM/SIGINT.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, defaultDataDir, formatNodeId, loadOrCreateIdentity, runNode } from '@unibos/firmware';
import { CliError } from '../cli-error.ts';
import { say } from '../cli-language.ts';
import { fitHelp } from '../help-width.ts';
import { parseCommand } from '../cli-args.ts';
import { claimNodeAtHub } from '../hub-claim.ts';
import { giveToFolderOwner, writeSecretFile } from '../secret-file.ts';
import { nodeFlagHelp, nodeConfigFromFlags, nodeFlagOptions, runUntilSignal } from '../node-flags.ts';

const HELP = fitHelp(say(`usage: unibos node [options]
       unibos node claim --hub-api URL --token TOKEN [--name NAME] [--data-dir DIR]

Runs a UNIBOS field device: the mesh router on a LoRa radio (a RAK3172 modem on a serial port, an
SX1262/SX1276 board on SPI with --radio spi --board NAME, see \`unibos radio boards\`, or the
simulated air of \`unibos air\`), GPS, the SOS button and status LED, and a local control API
for \`unibos status|peers|send|sos|inbox\`. Logs are JSON lines on stdout. Settings come from
defaults < <data-dir>/config.json (or --config) < environment < these flags.

'claim' makes this node its org's own at the hub: it answers the hub's challenge with the node's
identity keys (<data-dir>/identity.json) and a claim token of kind "node" made by a hub admin, and
keeps the device token the hub returns in <data-dir>/hub-device.json (0600). Until then the hub
lists the node, if its gateways hear it, as "heard, unclaimed".

{flags}

Example, three nodes in a line on one machine (run \`unibos air\` first):
  unibos node --data-dir /tmp/a --lat 41.000 --lon 29.000 --http-port off
  unibos node --data-dir /tmp/b --lat 41.000 --lon 29.060 --http-port off
  unibos node --data-dir /tmp/c --lat 41.000 --lon 29.120 --http-port off
`, { flags: nodeFlagHelp() }));

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'claim') return claim(argv.slice(1));
  const parsed = parseCommand(argv, HELP, nodeFlagOptions());
  if (!parsed) return 0;
  const config = nodeConfigFromFlags(parsed);
  const logger = createLogger('unibos-node');
  await runUntilSignal(await runNode(config, { logger }), logger);
  return 0;
}

async function claim(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, { 'hub-api': { type: 'string' }, token: { type: 'string' }, name: { type: 'string' }, 'data-dir': { type: 'string' } });
  if (!parsed) return 0;
  const v = parsed.values;
  if (typeof v['hub-api'] !== 'string' || !/^https?:\/\/\S+$/.test(v['hub-api'])) throw new CliError(say("--hub-api must be the hub's http(s):// address, e.g. http://hub.local:8000"));
  if (typeof v.token !== 'string') throw new CliError(say('--token is required: a claim token for a node, made on the hub\'s Organisation screen (or POST /api/v1/claim-tokens {"kind":"node"})'));
  const dataDir = typeof v['data-dir'] === 'string' ? v['data-dir'] : defaultDataDir();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const identity = loadOrCreateIdentity(join(dataDir, 'identity.json'));
  const deviceToken = await claimNodeAtHub(v['hub-api'], v.token, identity, typeof v.name === 'string' ? v.name : undefined);
  const file = join(dataDir, 'hub-device.json');
  writeSecretFile(file, `${JSON.stringify({ hubApi: v['hub-api'], deviceId: formatNodeId(identity.nodeId), deviceToken }, null, 2)}\n`);
  giveToFolderOwner(dataDir, [join(dataDir, 'identity.json'), file]);
  process.stdout.write(`${say('node {id} claimed at {hub}\ndevice token kept in {file}', { id: formatNodeId(identity.nodeId), hub: v['hub-api'], file })}\n`);
  return 0;
}
