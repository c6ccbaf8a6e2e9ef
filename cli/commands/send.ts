// `unibos send "text" [--to NODE [--private]]`: queue a text (or an end-to-end encrypted one) on the running node.

import { callNode, formatNodeId, parseNodeId } from '@unibos/firmware';
import { CliError } from '../cli-error.ts';
import { say } from '../cli-language.ts';
import { fitHelp } from '../help-width.ts';
import { DATA_DIR_HELP, idsAsText, parseControlArgs, printJson } from '../node-control.ts';
import { PeerNames, isExplicitId } from '../node-names.ts';

const HELP = fitHelp(say(
  'usage: unibos send "text" [--to NODE [--private]] [options]\n\nQueues a text message on the running node. It is stored before this command returns and sent as\nsoon as the radio and the duty-cycle budget allow, surviving restarts until it is delivered.\n\n  --to NODE        a node id such as !1a2b3c4d, or the name it announced, any case (see unibos peers; default: everyone on the channel)\n  --private        encrypted end to end: only NODE can read it (at most 117 bytes of text; default: off)\n{options}\n',
  { options: DATA_DIR_HELP },
));

export async function run(argv: string[]): Promise<number> {
  const args = await parseControlArgs<{ to?: string; private?: boolean }>(argv, HELP, { to: { type: 'string' }, private: { type: 'boolean' } }, true);
  if (!args) return 0;
  if (args.positionals.length !== 1) throw new CliError(say('give the text as one argument (quote it)\n\n{help}', { help: HELP }));
  const isPrivate = args.values.private === true;
  if (isPrivate && args.values.to === undefined) throw new CliError(say('--private needs --to NODE: a private message goes to one node'));
  // An id goes as it is (the node says what is wrong with it); a name is one of the nodes this one has heard.
  const to = await destination(args.dataDir, args.values.to);
  const body = to === undefined ? { text: args.positionals[0] } : { text: args.positionals[0], to: to.id, ...(isPrivate ? { private: true } : {}) };
  const r = await callNode<{ packetId: number; queued: number }>(args.dataDir, 'POST', '/send', body);
  if (args.values.json) printJson(idsAsText(r, ['packetId']));
  else if (isPrivate) process.stdout.write(`${say('queued private message {id} for {to}, encrypted end to end ({count} in the outbox)', { id: formatNodeId(r.packetId), to: to?.label ?? '', count: r.queued })}\n`);
  else process.stdout.write(`${say('queued message {id} for {to} ({count} in the outbox)', { id: formatNodeId(r.packetId), to: to?.label ?? say('everyone'), count: r.queued })}\n`);
  return 0;
}

/** --to as the node takes it (`id`) and as this command says it (`label`: "Farm !e2c751c9" when named). */
async function destination(dataDir: string, to: string | undefined): Promise<{ id: string; label: string } | undefined> {
  if (to !== undefined && /^\s*(!|0x)ffffffff\s*$/i.test(to)) throw new CliError(say('{to} is the address of everyone: leave out --to to send to everyone', { to: to.trim() }));
  if (to !== undefined && isExplicitId(to)) {
    // Said back as the node writes ids (!DEADBEEF is !deadbeef).
    const id = formatNodeId(parseNodeId(to)!);
    return { id, label: id };
  }
  if (to === undefined) return undefined;
  const names = await PeerNames.load(dataDir);
  const id = await names.resolve(to);
  return { id, label: names.label(id) };
}
