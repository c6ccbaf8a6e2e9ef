// `unibos status`: what the running node is doing.

import { callNode, type NodeStatus } from '@unibos/firmware';
import { say, sayKnown, sayMessage } from '../cli-language.ts';
import { fitHelp } from '../help-width.ts';
import { DATA_DIR_HELP, parseControlArgs, plain, printJson } from '../node-control.ts';
import { sosLine } from '../sos-line.ts';
import { decimal } from '../cli-number.ts';
import { duration } from '../cli-duration.ts';
import { position } from '../cli-position.ts';
import { moduleState } from '../module-state.ts';
import { nodeRole } from '../node-role.ts';

const HELP = fitHelp(say(
  'usage: unibos status [options]\n\nShows the running node\'s identity, radio, GPS fix, mesh counters, outbox and how far\nits SOS got (sent, taken by a gateway, received by the hub, acknowledged, resolved), and\nthe modules it runs (loaded, or why not).\n\n{options}\n',
  { options: DATA_DIR_HELP },
));

export async function run(argv: string[]): Promise<number> {
  const args = await parseControlArgs(argv, HELP);
  if (!args) return 0;
  const s = await callNode<NodeStatus>(args.dataDir, 'GET', '/status');
  if (args.values.json) {
    printJson(s);
    return 0;
  }
  const fix = s.gps.fix;
  // Copies of frames already taken, our own among them, are how flooding works, not a fault: counted apart.
  const again = (s.mesh.drops.duplicate ?? 0) + (s.mesh.drops['own-frame'] ?? 0);
  const drops = [...Object.entries(s.mesh.drops).filter(([k]) => k !== 'duplicate' && k !== 'own-frame').map(([k, n]) => `${k} ${n}`), ...(again ? [say('copies heard again {n}', { n: again })] : [])].join(', ') || say('none');
  const rows: Array<[string, string]> = [
    [say('node'), say('{id}  {name}  ({role}), up {uptime}', { id: s.nodeId, name: plain(s.name), role: nodeRole(s.role), uptime: duration(s.uptimeS) })],
    // A node with no radio has no channel to name: a preset and frequency would read as set up.
    [say('radio'), (s.radio.type === 'none' ? say('{type}, {state}', { type: s.radio.type, state: radioState(s.radio.state) }) : say('{type}, {state}, {preset} on {mhz} MHz, {region}', { type: s.radio.type, state: radioState(s.radio.state), preset: s.radio.preset, mhz: decimal(s.radio.frequencyHz / 1e6, 3), region: s.radio.region })) + (s.radio.error ? `\n${plain(sayMessage(s.radio.error))}` : '') + (s.radio.warning ? `\n${plain(sayMessage(s.radio.warning))}` : '')],
    [say('gps'), fix && fix.mode !== 'none' ? say('{type}, {mode} fix {position}', { type: s.gps.type, mode: fixMode(fix.mode), position: position(fix.latitude, fix.longitude) }) : s.gps.type === 'none' ? say('none') : say('{type}, no fix', { type: s.gps.type })],
    [
      say('mesh'),
      say('channel {channel}, hop limit {hops}, channel use {percent}%', { channel: s.mesh.channel, hops: s.mesh.hopLimit, percent: decimal(s.mesh.channelUtilizationPercent) }) +
        // The regional budget: past it, the node's own messages wait (older nodes do not say).
        (s.mesh.dutyCycle ? `, ${say('duty cycle {used} of {budget} s this hour', { used: decimal(s.mesh.dutyCycle.usedS), budget: decimal(s.mesh.dutyCycle.budgetS) })}` : ''),
    ],
    [say('frames'), say('sent {sent}, received {received}, delivered {delivered}, relayed {relayed}; drops: {drops}', { sent: s.mesh.framesSent, received: s.mesh.framesReceived, delivered: s.mesh.delivered, relayed: s.mesh.relayed, drops })],
    [say('outbox'), outboxLine(s.outbox)],
    [say('sos'), plain(sosLine(s.sos))],
    [say('peers'), String(s.peers)],
    ...(s.modules?.length ? [[say('modules'), s.modules.map(moduleLine).join('\n')] as [string, string]] : []),
  ];
  // Labels in a column as wide as the longest in the language, at least as wide as the English one.
  const width = Math.max(10, ...rows.map(([label]) => label.length + 2));
  const indent = ' '.repeat(width);
  process.stdout.write(rows.map(([label, value]) => label.padEnd(width) + value.split('\n').join(`\n${indent}`)).join('\n') + '\n');
  return 0;
}

/** The radio's state in the CLI's language (a state this CLI does not know stays as the node said it). */
const RADIO_STATES = {
  ready: () => say('ready'),
  closed: () => say('closed'),
  configuring: () => say('configuring'),
  connecting: () => say('connecting'),
  recovering: () => say('recovering'),
  off: () => say('off'),
};

function radioState(state: string): string {
  return sayKnown(state, RADIO_STATES);
}

/** A GPS fix's mode as the CLI's language writes it ("3d" is "3B" in Turkish). */
function fixMode(mode: string): string {
  if (mode === '2d') return say('2d');
  if (mode === '3d') return say('3d');
  return mode;
}

/** One configured module: loaded (with refusals, if any), or why it is not running. */
function moduleLine(m: NodeStatus['modules'][number]): string {
  const head = `${plain(m.name)}${m.version ? ` ${plain(m.version)}` : ''} ${moduleState(m.state)}`;
  const counts = [m.refused ? say('{count} refused', { count: m.refused }) : '', m.failed ? say('{count} failed', { count: m.failed }) : '', m.errors ? say('{count} thrown', { count: m.errors }) : ''].filter(Boolean).join(', ');
  return `${head}${counts ? ` (${counts})` : ''}${m.reason ? `: ${plain(m.state === 'loaded' ? m.reason : sayMessage(m.reason))}` : ''}`;
}

/** What waits, and what left unsent since the node started (only the reasons that happened). */
function outboxLine(o: NodeStatus['outbox']): string {
  const dropped = o.dropped ?? { evicted: 0, undecodable: 0, 'router-refused': 0, 'gave-up': o.expired };
  return [
    o.maxMessages && o.queued >= o.maxMessages ? say('{count} queued, full', { count: o.queued }) : say('{count} queued', { count: o.queued }),
    o.oldestAgeS !== null ? say('oldest {age}', { age: duration(o.oldestAgeS) }) : '',
    dropped['gave-up'] ? say('{count} given up', { count: dropped['gave-up'] }) : '',
    dropped.evicted ? say('{count} pushed out by more urgent ones', { count: dropped.evicted }) : '',
    dropped.undecodable ? say('{count} unreadable', { count: dropped.undecodable }) : '',
    dropped['router-refused'] ? say('{count} refused by the router', { count: dropped['router-refused'] }) : '',
    o.refusedFull ? say('{count} refused (full)', { count: o.refusedFull }) : '',
  ]
    .filter(Boolean)
    .join(', ');
}
