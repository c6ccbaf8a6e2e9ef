// A gateway process for the exactly-once tests, wired as run-gateway wires it (gateway.db shared by
// the broker and the hub outbox, sensor publishes through the bridge into the outbox, the uplink to
// a hub), that can SIGKILL itself at a chosen point of an MQTT handshake:
//   taken    after the sensor's message is committed to the outbox, before aedes stores or answers it
//   puback | pubrec | pubcomp   just before the broker writes its first such packet to a client
// Usage: exactly-once-gateway.ts <dataDir> <hubUrl> <gatewayId> <mqttPort> [none|taken|puback|pubrec|pubcomp]
// Prints "ready <port>", then "added <msgId> <duplicate>" for every outbox add (stdout is a pipe:
// synchronous on Linux, so a printed line was printed before any kill).

import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import pino from 'pino';
import type { LoRaParams } from '@unibos/mesh-protocol';
import { DeviceCredentials } from '../../src/broker/device-credentials.ts';
import { GatewayBroker } from '../../src/broker/gateway-broker.ts';
import { MeshBridge, type MeshBridgeOptions } from '../../src/bridge/mesh-bridge.ts';
import { openGatewayDb } from '../../src/run-gateway.ts';
import { HubOutbox } from '../../src/uplink/hub-outbox.ts';
import { HubUplink } from '../../src/uplink/hub-uplink.ts';

const KILL_POINTS = ['none', 'taken', 'puback', 'pubrec', 'pubcomp'] as const;
type KillPoint = (typeof KILL_POINTS)[number];
/** The MQTT packet type (high nibble of the first byte) written just before the kill. */
const PACKET_TYPE: Partial<Record<KillPoint, number>> = { puback: 0x40, pubrec: 0x50, pubcomp: 0x70 };

const [dataDir, url, gatewayId, portArg, killArg] = process.argv.slice(2);
const kill = (killArg ?? 'none') as KillPoint;
if (!dataDir || !url || !gatewayId || portArg === undefined || !KILL_POINTS.includes(kill)) {
  process.stderr.write('usage: exactly-once-gateway.ts <dataDir> <hubUrl> <gatewayId> <mqttPort> [none|taken|puback|pubrec|pubcomp]\n');
  process.exit(2);
}

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const die = (): void => {
  say(`killing at ${kill}`);
  process.kill(process.pid, 'SIGKILL');
};

let brokerPort = -1;
const killType = PACKET_TYPE[kill];
if (killType !== undefined) {
  // Every write the broker makes to a client goes through here (the write coalescer keeps the
  // prototype's write), so the kill lands before the packet can leave the process.
  const write = Socket.prototype.write;
  Socket.prototype.write = function killingWrite(this: Socket, ...args: Parameters<Socket['write']>): boolean {
    const chunk = args[0];
    if (this.localPort === brokerPort && Buffer.isBuffer(chunk) && chunk.length > 0 && (chunk[0]! & 0xf0) === killType) die();
    return write.apply(this, args);
  } as Socket['write'];
}

const logger = pino({ level: process.env.UNIBOS_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const db = openGatewayDb(dataDir);
const broker = await GatewayBroker.start({
  dataDir,
  credentials: new DeviceCredentials(db),
  gatewayId,
  logger,
  port: Number(portArg),
  wsPort: null,
  db,
});
brokerPort = broker.ports.mqtt;
const outbox = new HubOutbox(db, { logger });
const uplink = new HubUplink({ url, gatewayId, outbox, logger, reconnectMinMs: 20, reconnectMaxMs: 200 });
const device = { router: new EventEmitter() } as unknown as MeshBridgeOptions['device'];
const bridge = new MeshBridge({
  gatewayId,
  device,
  params: {} as LoRaParams,
  local: broker,
  uplink: {
    forward: (m) => {
      const receipt = outbox.add({ source: m.source, topic: m.topic, payload: m.payload, retain: m.retain ?? false, lane: m.lane, msgId: m.msgId });
      say(`added ${receipt.msgId} ${receipt.duplicate}`);
    },
  },
  logger,
});
broker.subscribe('unibos/v1/sensor/#', (topic, payload, _clientId, msgId) => {
  bridge.handleSensor(topic, payload, msgId);
  // Runs once the handler's caller has committed and returned, before any I/O of aedes completes.
  if (kill === 'taken') process.nextTick(die);
});
uplink.start();
say(`ready ${brokerPort}`);

process.on('SIGTERM', () => {
  void (async () => {
    await uplink.stop();
    await broker.close();
    db.close();
    say(`stopped depth=${outbox.size}`);
    process.exit(0);
  })();
});
