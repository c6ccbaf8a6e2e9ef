// A gateway process for the hub-command restart test: the gateway node (its node.db, not started, so
// nothing goes on air) and the bridge on gateway.db, as run-gateway wires them. It takes one hub
// command and SIGKILLs itself at a chosen point:
//   recorded   after the bridge recorded the ref, before the node queued anything
//   queued     after the node queued the message, before the bridge recorded its packet id
//   reported   when the bridge hands its `queued` report to the hub outbox, before that is stored
// Usage: ref-crash-gateway.ts <dataDir> <recorded|queued|reported> <command JSON>
// Prints "packet <id>" when the node queued the message (stdout is a pipe: synchronous on Linux).

import { join } from 'node:path';
import pino from 'pino';
import { SeededRandom, SimMedium, SimScheduler, loraParams } from '@unibos/mesh-protocol';
import { Device, loadNodeConfig, loadOrCreateIdentity, openNodeDb, SimManagedRadio } from '@unibos/firmware';
import { MeshBridge } from '../../src/bridge/mesh-bridge.ts';
import { openGatewayDb } from '../../src/run-gateway.ts';

const [dataDir, kill, command] = process.argv.slice(2);
if (!dataDir || !command || !['recorded', 'queued', 'reported'].includes(kill ?? '')) {
  process.stderr.write('usage: ref-crash-gateway.ts <dataDir> <recorded|queued|reported> <command JSON>\n');
  process.exit(2);
}
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const die = (): never => {
  say(`killing at ${kill}`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};

const logger = pino({ level: 'silent' });
const params = loraParams('ShortFast');
const scheduler = new SimScheduler();
const medium = new SimMedium({ params, scheduler, random: new SeededRandom(1), link: () => ({ rssi: -100, snr: 4 }) });
const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dataDir, preset: 'ShortFast', role: 'GATEWAY', name: 'G' } });
const identity = loadOrCreateIdentity(join(dataDir, 'identity.json'));
const device = new Device({ config, identity, db: openNodeDb(join(dataDir, 'node.db')), radio: new SimManagedRadio(medium.radio(identity.nodeId), scheduler), logger, scheduler });
const sendText = device.sendText.bind(device);
device.sendText = (text, to) => {
  if (kill === 'recorded') die();
  const queued = sendText(text, to);
  say(`packet ${queued.packetId}`);
  if (kill === 'queued') die();
  return queued;
};
const bridge = new MeshBridge({
  gatewayId: 'gw1',
  device,
  params,
  db: openGatewayDb(dataDir),
  local: { publish: async () => undefined },
  uplink: { forward: (m) => void (m.topic.endsWith('/txstatus') && die()) },
  logger,
});
bridge.handleTx(Buffer.from(command), 'hub');
say('survived');
