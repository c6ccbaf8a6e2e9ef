// `unibos peers`: the running node's node database.

import { callNode, formatNodeId, type Peer } from '@unibos/firmware';
import { say } from '../cli-language.ts';
import { decimal } from '../cli-number.ts';
import { position } from '../cli-position.ts';
import { nodeRole } from '../node-role.ts';
import { fitHelp } from '../help-width.ts';
import { DATA_DIR_HELP, ago, idsAsText, parseControlArgs, printJson, table } from '../node-control.ts';

const HELP = fitHelp(say(
  'usage: unibos peers [options]\n\nLists the nodes this node has heard: its role (client, router or gateway), hops away (1 = heard\ndirectly), signal of the last direct reception, when it was last heard, its last reported position\nand battery, and an SOS it raised and has not ended with "I am safe" (such a node, like a gateway,\nis never forgotten to make room). Nodes with an open SOS come first.\n\n{options}\n',
  { options: DATA_DIR_HELP },
));

export async function run(argv: string[]): Promise<number> {
  const args = await parseControlArgs(argv, HELP);
  if (!args) return 0;
  const answer = await callNode<{ self: string; peers: Peer[] }>(args.dataDir, 'GET', '/peers');
  if (args.values.json) {
    printJson({ ...answer, peers: answer.peers.map((p) => idsAsText(p, ['nodeId'])) });
    return 0;
  }
  if (answer.peers.length === 0) {
    process.stdout.write(`${say('{id} has not heard any other node yet', { id: answer.self })}\n`);
    return 0;
  }
  // A node asking for help comes first (the node's own order otherwise), its SOS said next to its name.
  const peers = [...answer.peers.filter((p) => p.sosOpen), ...answer.peers.filter((p) => !p.sosOpen)];
  const rows = peers.map((p) => [
    formatNodeId(p.nodeId),
    p.longName ?? '',
    nodeRole(p.role),
    p.sosOpen ? say('SOS OPEN') : '',
    String(p.hops),
    p.snr === null ? '' : `${decimal(p.snr, 1)} dB`,
    p.rssi === null ? '' : `${Math.round(p.rssi)} dBm`,
    ago(p.lastHeardMs),
    p.latitude === null || p.longitude === null ? '' : position(p.latitude, p.longitude),
    p.batteryLevel === null ? '' : p.batteryLevel > 100 ? say('powered') : say('{percent}%', { percent: p.batteryLevel }),
  ]);
  process.stdout.write(table([say('NODE'), say('NAME'), say('ROLE'), say('SOS'), say('HOPS'), say('SNR'), say('RSSI'), say('LAST HEARD'), say('POSITION'), say('BATTERY')], rows));
  return 0;
}
