// `unibos sos [--safe]`: raise an SOS on the running node, or end it with "I am safe".

import { callNode, type SosStatus } from '@unibos/firmware';
import { say } from '../cli-language.ts';
import { fitHelp } from '../help-width.ts';
import { DATA_DIR_HELP, parseControlArgs, plain, printJson } from '../node-control.ts';
import { sosLine } from '../sos-line.ts';

const HELP = fitHelp(say(
  'usage: unibos sos [--safe] [options]\n\nRaises an SOS, as a long press of the node\'s button does: an alert with our position, resent at\ngrowing intervals until a gateway has durably queued it for the hub. `unibos status` then shows\nhow far it got: taken by a gateway, received by the hub, acknowledged by an admin, resolved.\nWith --safe, ends the SOS and sends "I am safe" (a short press).\n\n  --safe           cancel the SOS and tell the mesh you are safe (default: raise an SOS)\n{options}\n',
  { options: DATA_DIR_HELP },
));

export async function run(argv: string[]): Promise<number> {
  const args = await parseControlArgs<{ safe?: boolean }>(argv, HELP, { safe: { type: 'boolean' } });
  if (!args) return 0;
  if (args.values.safe) {
    const r = await callNode<{ packetId: number; cancelledSos: boolean }>(args.dataDir, 'POST', '/safe');
    if (args.values.json) printJson(r);
    else process.stdout.write(`${r.cancelledSos ? say('SOS cancelled; "I am safe" queued; it is resent until the hub confirms it (`unibos status` shows it)') : say('"I am safe" queued: with no SOS open it goes out once, to tell the mesh')}\n`);
    return 0;
  }
  const s = await callNode<SosStatus>(args.dataDir, 'POST', '/sos');
  if (args.values.json) printJson(s);
  else if (s.resending) process.stdout.write(`${say('SOS raised: copy {copy} queued, resent at growing intervals until a gateway takes it. `unibos status` shows how far it got; `unibos sos --safe` ends it.', { copy: s.copiesQueued ?? s.copiesSent })}\n`);
  else process.stdout.write(`${say('SOS sent again (it was already {summary}). `unibos sos --safe` ends it.', { summary: plain(sosLine(s)) })}\n`);
  return 0;
}
