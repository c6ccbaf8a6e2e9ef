// `unibos inbox`: texts and alerts the running node received.

import { callNode, formatNodeId, type InboxMessage } from '@unibos/firmware';
import { integer } from '../cli-args.ts';
import { CliError } from '../cli-error.ts';
import { say } from '../cli-language.ts';
import { fitHelp } from '../help-width.ts';
import { DATA_DIR_HELP, ago, idsAsText, parseControlArgs, printJson, table } from '../node-control.ts';
import { PeerNames } from '../node-names.ts';

const HELP = fitHelp(say(
  'usage: unibos inbox [--last N | --after N] [options]\n\nLists the texts, private messages (🔒, end-to-end encrypted) and alerts (SOS, "I am safe",\nwarnings) this node received, oldest first. Each has a number; the node keeps the newest 10000.\n\n  --last N         the newest N messages (default 20, at most 1000)\n  --after N        instead, the messages after number N (up to 1000; page on from the last shown; default: the latest)\n{options}\n',
  { options: DATA_DIR_HELP },
));

const MAX = 1000;

export async function run(argv: string[]): Promise<number> {
  const args = await parseControlArgs<{ after?: string; last?: string }>(argv, HELP, { after: { type: 'string' }, last: { type: 'string' } });
  if (!args) return 0;
  const { after, last } = args.values;
  if (after !== undefined && last !== undefined) throw new CliError(say('give --last or --after, not both'));
  const query =
    after === undefined
      ? `limit=${integer('--last', last, 20, 1, MAX)}`
      : `after=${integer('--after', after, 0, 0, Number.MAX_SAFE_INTEGER)}&limit=${MAX}`;
  const { messages } = await callNode<{ messages: InboxMessage[] }>(args.dataDir, 'GET', `/inbox?${query}`);
  if (args.values.json) {
    printJson(messages.map((m) => idsAsText(m, ['from', 'to', 'packetId', 'requestId'])));
    return 0;
  }
  if (messages.length === 0) {
    process.stdout.write(`${say('no messages')}\n`);
    return 0;
  }
  // Who wrote it as people know them (the name the node last heard it announce), with its id to answer to.
  const names = await PeerNames.load(args.dataDir);
  const from = (id: number): string => names.label(formatNodeId(id));
  const rows = messages.map((m) => [String(m.seq), from(m.from), kindOf(m), textOf(m), String(m.hops), ago(m.rxMs)]);
  process.stdout.write(table([say('#'), say('FROM'), say('KIND'), say('TEXT'), say('HOPS'), say('RECEIVED')], rows));
  return 0;
}

function kindOf(m: InboxMessage): string {
  if (m.kind === 'alert') return alertLevel(m.level);
  // The lock says only the two ends could read it, whatever the row says.
  return m.kind === 'private' ? say('🔒 private') : say('text');
}

/** An alert's kind in the CLI's language (one this CLI does not know stays as the node said it). */
function alertLevel(level: string | null | undefined): string {
  switch (level) {
    case null:
    case undefined:
      return say('ALERT');
    case 'SOS':
      return say('SOS');
    case 'SAFE':
      return say('SAFE');
    case 'WARNING':
      return say('WARNING');
    case 'EARTHQUAKE':
      return say('EARTHQUAKE');
    case 'EVACUATE':
      return say('EVACUATE');
    case 'FIRE':
      return say('FIRE');
    case 'FLOOD':
      return say('FLOOD');
    case 'MEDICAL':
      return say('MEDICAL');
    case 'UNSPECIFIED':
      return say('UNSPECIFIED');
    default:
      return level;
  }
}

/** A private message that could not be opened says so, never as if it were the text. */
function textOf(m: InboxMessage): string {
  if (m.kind !== 'private' || !m.decryptError) return m.text;
  return say('could not decrypt: {reason}', { reason: m.text.replace(/^could not decrypt: /, '') });
}
