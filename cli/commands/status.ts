// `unibos status`: what the running node is doing.

import { callNode, sosSummary, type NodeStatus } from '@unibos/firmware';
import { DATA_DIR_HELP, parseControlArgs, plain, printJson } from '../node-control.ts';

const HELP = `usage: unibos status [options]

Shows the running node's identity, radio, GPS fix, mesh counters, outbox and how far
its SOS got (sent, taken by a gateway, received by the hub, acknowledged, resolved), and
the modules it runs (loaded, or why not).

${DATA_DIR_HELP}
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseControlArgs(argv, HELP);
  if (!args) return 0;
  const s = await callNode<NodeStatus>(args.dataDir, 'GET', '/status');
  if (args.values.json) {
    printJson(s);
    return 0;
  }
  const fix = s.gps.fix;
  const drops = Object.entries(s.mesh.drops).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  process.stdout.write(
    [
      `node      ${s.nodeId}  ${plain(s.name)}  (${s.role}), up ${s.uptimeS} s`,
      `radio     ${s.radio.type}, ${s.radio.state}, ${s.radio.preset} on ${(s.radio.frequencyHz / 1e6).toFixed(3)} MHz, ${s.radio.region}${s.radio.error ? `\n          ${plain(s.radio.error)}` : ''}`,
      `gps       ${s.gps.type}${fix && fix.mode !== 'none' ? `, ${fix.mode} fix ${fix.latitude.toFixed(5)}, ${fix.longitude.toFixed(5)}` : s.gps.type === 'none' ? '' : ', no fix'}`,
      `mesh      channel ${s.mesh.channel}, hop limit ${s.mesh.hopLimit}, channel use ${s.mesh.channelUtilizationPercent}%`,
      `frames    sent ${s.mesh.framesSent}, received ${s.mesh.framesReceived}, delivered ${s.mesh.delivered}, relayed ${s.mesh.relayed}; drops: ${drops}`,
      `outbox    ${s.outbox.queued} queued${s.outbox.oldestAgeS !== null ? `, oldest ${s.outbox.oldestAgeS} s` : ''}${s.outbox.expired ? `, ${s.outbox.expired} given up` : ''}`,
      `sos       ${plain(sosSummary(s.sos))}`,
      `peers     ${s.peers}`,
      ...(s.modules?.length ? [`modules   ${s.modules.map(moduleLine).join('\n          ')}`] : []),
    ].join('\n') + '\n',
  );
  return 0;
}

/** One configured module: loaded (with refusals, if any), or why it is not running. */
function moduleLine(m: NodeStatus['modules'][number]): string {
  const head = `${plain(m.name)}${m.version ? ` ${plain(m.version)}` : ''} ${m.state}`;
  const counts = [m.refused ? `${m.refused} refused` : '', m.failed ? `${m.failed} failed` : '', m.errors ? `${m.errors} thrown` : ''].filter(Boolean).join(', ');
  return `${head}${counts ? ` (${counts})` : ''}${m.reason ? `: ${plain(m.reason)}` : ''}`;
}
