// `unibos inbox`: texts and alerts the running node received.

import { callNode, formatNodeId, type InboxMessage } from '@unibos/firmware';
import { DATA_DIR_HELP, ago, parseControlArgs, printJson, table } from '../node-control.ts';

const HELP = `usage: unibos inbox [options]

Lists the texts and alerts (SOS, "I am safe", warnings) this node received, oldest first.

  --after N        only messages after number N
${DATA_DIR_HELP}
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseControlArgs<{ after?: string }>(argv, HELP, { after: { type: 'string' } });
  if (!args) return 0;
  const after = args.values.after === undefined ? '' : `?after=${encodeURIComponent(args.values.after)}`;
  const { messages } = await callNode<{ messages: InboxMessage[] }>(args.dataDir, 'GET', `/inbox${after}`);
  if (args.values.json) {
    printJson(messages);
    return 0;
  }
  if (messages.length === 0) {
    process.stdout.write('no messages\n');
    return 0;
  }
  const rows = messages.map((m) => [String(m.seq), formatNodeId(m.from), m.kind === 'alert' ? (m.level ?? 'ALERT') : 'text', m.text, String(m.hops), ago(m.rxMs)]);
  process.stdout.write(table(['#', 'FROM', 'KIND', 'TEXT', 'HOPS', 'RECEIVED'], rows));
  return 0;
}
