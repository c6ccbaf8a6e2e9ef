// `unibos trace NODE`: the path the running node's direct messages take to NODE and back, with the
// SNR each hop heard the trace at (Meshtastic's traceroute, over our next-hop routes).

import { callNode, type NodeStatus } from '@unibos/firmware';
import { integer } from '../cli-args.ts';
import { CliError } from '../cli-error.ts';
import { say } from '../cli-language.ts';
import { decimal } from '../cli-number.ts';
import { fitHelp } from '../help-width.ts';
import { DATA_DIR_HELP, ago, parseControlArgs, plain, printJson } from '../node-control.ts';
import { PeerNames } from '../node-names.ts';

const HELP = fitHelp(say(
  'usage: unibos trace NODE [options]\n\nTraces the path the running node\'s direct messages take to NODE (a node id such as !1a2b3c4d, or\nthe name it announced, any case; see unibos peers) and back: every hop adds itself and the SNR it\nheard the trace at. "?" is a relay that carried the trace without recording itself.\n\n  --timeout S      seconds to wait for the answer (default 60)\n{options}\n',
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
  if (args.positionals.length !== 1) throw new CliError(say('give one node to trace: its id, such as !1a2b3c4d, or its name\n\n{help}', { help: HELP }));
  const timeoutS = integer('--timeout', args.values.timeout, 60, 1, 600);
  const to = await (await PeerNames.load(args.dataDir)).resolve(args.positionals[0]!);
  // The node answers when the trace does: our own wait covers its timeout and then some.
  const r = await callNode<TraceAnswer>(args.dataDir, 'POST', '/trace', { to, timeoutS }, { timeoutMs: (timeoutS + 10) * 1000 });
  if (args.values.json) {
    printJson(r);
    return r.answered ? 0 : 1;
  }
  if (!r.answered) {
    process.stderr.write(`${await unanswered(args.dataDir, r)}\n`);
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

/**
 * No answer in time, with what this node knows of the destination now: when and how far away it
 * last heard it, or that it never has, and then the trace went out as a flood its hop limit bounds.
 */
async function unanswered(dataDir: string, r: TraceAnswer): Promise<string> {
  const names = await PeerNames.load(dataDir);
  const node = names.label(r.destination);
  const peer = names.peer(r.destination);
  if (peer === undefined) {
    const { mesh } = await callNode<NodeStatus>(dataDir, 'GET', '/status');
    return say('no answer from {node} within {seconds} s: {self} has never heard from it, so the trace went out as a flood, as far as its hop limit of {hops} lets one go; the node may be off, farther away, or not exist', { node, seconds: r.timeoutS, self: r.self, hops: mesh.hopLimit });
  }
  const when = ago(peer.lastHeardMs);
  if (peer.hops <= 1) return say('no answer from {node} within {seconds} s: {self} last heard it directly {ago}; it may have moved or been switched off since, or the trace or its answer was lost on the way (try again, or give a longer --timeout)', { node, seconds: r.timeoutS, self: r.self, ago: when });
  return say('no answer from {node} within {seconds} s: {self} last heard it {ago}, {hops} hops away; it may have moved or been switched off since, or the trace or its answer was lost on the way (try again, or give a longer --timeout)', { node, seconds: r.timeoutS, self: r.self, ago: when, hops: peer.hops });
}

/** "!a → !b "Clinic" (6.25 dB) → ? (? dB)": the first node sent, every later one heard the one before. */
function path(hops: TraceHopAnswer[]): string {
  const node = (h: TraceHopAnswer) => (h.name ? `${plain(h.node)} "${plain(h.name)}"` : plain(h.node));
  return hops.map((h, i) => (i === 0 ? node(h) : `${node(h)} (${h.snr === null ? '?' : decimal(h.snr, 2)} dB)`)).join(' → ');
}
