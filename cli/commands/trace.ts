// `unibos trace !NODE`: the path the running node's direct messages take to NODE and back, with the
// SNR each hop heard the trace at (Meshtastic's traceroute, over our next-hop routes).

import { callNode, parseNodeId } from '@unibos/firmware';
import { integer } from '../cli-args.ts';
import { CliError } from '../cli-error.ts';
import { say } from '../cli-language.ts';
import { decimal } from '../cli-number.ts';
import { fitHelp } from '../help-width.ts';
import { DATA_DIR_HELP, parseControlArgs, plain, printJson } from '../node-control.ts';

const HELP = fitHelp(say(
  'usage: unibos trace !NODE [options]\n\nTraces the path the running node\'s direct messages take to NODE and back: every hop adds itself\nand the SNR it heard the trace at. "?" is a relay that carried the trace without recording itself.\n\n  --timeout S      seconds to wait for the answer (default 60)\n{options}\n',
  { options: DATA_DIR_HELP },
));

interface TraceHopAnswer {
  node: string;
  name: string | null;
  snr: number | null;
}

interface TraceAnswer {
  self: string;
  destination: string;
  answered: boolean;
  timeoutS: number;
  towards: TraceHopAnswer[];
  back: TraceHopAnswer[];
}

export async function run(argv: string[]): Promise<number> {
  const args = await parseControlArgs<{ timeout?: string }>(argv, HELP, { timeout: { type: 'string' } }, true);
  if (!args) return 0;
  if (args.positionals.length !== 1) throw new CliError(say('give one node id to trace, such as !1a2b3c4d\n\n{help}', { help: HELP }));
  const to = args.positionals[0]!;
  if (parseNodeId(to) === null) throw new CliError(say('{value} is not a node id (write it as !1a2b3c4d)', { value: plain(to) }));
  const timeoutS = integer('--timeout', args.values.timeout, 60, 1, 600);
  // The node answers when the trace does: our own wait covers its timeout and then some.
  const r = await callNode<TraceAnswer>(args.dataDir, 'POST', '/trace', { to, timeoutS }, { timeoutMs: (timeoutS + 10) * 1000 });
  if (args.values.json) {
    printJson(r);
    return r.answered ? 0 : 1;
  }
  if (!r.answered) {
    process.stderr.write(`${say('no answer from {node} within {seconds} s: it may be off, out of range, or more than 8 hops away', { node: r.destination, seconds: r.timeoutS })}\n`);
    return 1;
  }
  const labels = [`${say('towards')}:`, `${say('back')}:`];
  const width = Math.max(...labels.map((l) => l.length));
  process.stdout.write(
    `${say('route to {node} (hops there: {there}, back: {back}):', { node: r.destination, there: r.towards.length - 1, back: r.back.length - 1 })}\n` +
      `  ${labels[0]!.padEnd(width)} ${path(r.towards)}\n` +
      `  ${labels[1]!.padEnd(width)} ${path(r.back)}\n`,
  );
  return 0;
}

/** "!a → !b "Clinic" (6.25 dB) → ? (? dB)": the first node sent, every later one heard the one before. */
function path(hops: TraceHopAnswer[]): string {
  const node = (h: TraceHopAnswer) => (h.name ? `${plain(h.node)} "${plain(h.name)}"` : plain(h.node));
  return hops.map((h, i) => (i === 0 ? node(h) : `${node(h)} (${h.snr === null ? '?' : decimal(h.snr, 2)} dB)`)).join(' → ');
}
