// `unibos gateway`: a field device that also runs the MQTT broker for local sensors, bridges the
// mesh to MQTT and forwards everything to the hub. `unibos gateway device add|list|remove`
// manages the sensors' credentials.

import { readFileSync } from 'node:fs';
import { createLogger, defaultDataDir } from '@unibos/firmware';
import { DEVICE_ROLES, DeviceCredentials, isDeviceRole, openGatewayDb, runGateway } from '@unibos/gateway';
import { CliError } from '../cli-error.ts';
import { integer, parseCommand } from '../cli-args.ts';
import { NODE_FLAG_HELP, nodeConfigFromFlags, nodeFlagOptions, runUntilSignal } from '../node-flags.ts';
import { table } from '../node-control.ts';

const HELP = `usage: unibos gateway [options]
       unibos gateway device add ID [--role sensor|hub] | list | remove ID  [--data-dir DIR]

Runs a gateway: a UNIBOS node (it acknowledges SOS) plus an MQTT broker for local sensors, the
mesh<->MQTT bridge (unibos/v1/gw/{id}/rx|tx|status, unibos/v1/mesh/{node}/{kind}, Home Assistant
discovery) and, with --hub, a durable uplink that forwards everything with QoS 1.

  --mqtt-host ADDR     address the MQTT listeners bind to (default 127.0.0.1)
  --mqtt-port N        MQTT over TCP (default 1883)
  --ws-port N|off      MQTT over WebSocket (default 8083)
  --allow-anonymous    accept clients without credentials, from loopback only
  --hub URL            the hub broker, e.g. mqtt://hub.local:1884
  --hub-user NAME      username at the hub
  --hub-password-file PATH  file holding the hub password [UNIBOS_HUB_PASSWORD]
${NODE_FLAG_HELP}
`;

const GATEWAY_OPTIONS = {
  'mqtt-host': { type: 'string' },
  'mqtt-port': { type: 'string' },
  'ws-port': { type: 'string' },
  'allow-anonymous': { type: 'boolean' },
  hub: { type: 'string' },
  'hub-user': { type: 'string' },
  'hub-password-file': { type: 'string' },
} as const;

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'device') return device(argv.slice(1));
  const parsed = parseCommand(argv, HELP, { ...nodeFlagOptions(), ...GATEWAY_OPTIONS });
  if (!parsed) return 0;
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const config = nodeConfigFromFlags(parsed);
  const wsPort = v['ws-port'] === 'off' ? null : integer('--ws-port', v['ws-port'] as string | undefined, 8083, 0, 65_535);
  let hub: { url: string; username?: string; password?: string } | undefined;
  if (typeof v.hub === 'string') {
    if (!/^(mqtts?|wss?):\/\/[^\s]+$/.test(v.hub)) throw new CliError(`--hub must be an mqtt://, mqtts://, ws:// or wss:// URL, got '${v.hub}'`);
    hub = { url: v.hub };
    if (typeof v['hub-user'] === 'string') hub.username = v['hub-user'];
    const password = typeof v['hub-password-file'] === 'string' ? readSecret(v['hub-password-file']) : process.env.UNIBOS_HUB_PASSWORD;
    if (password !== undefined) hub.password = password;
  }
  const logger = createLogger('unibos-gateway');
  const gateway = await runGateway(
    config,
    {
      mqttHost: typeof v['mqtt-host'] === 'string' ? v['mqtt-host'] : '127.0.0.1',
      mqttPort: integer('--mqtt-port', v['mqtt-port'] as string | undefined, 1883, 0, 65_535),
      wsPort,
      allowAnonymous: v['allow-anonymous'] === true,
      hub,
    },
    { logger },
  );
  await runUntilSignal(gateway, logger);
  return 0;
}

function readSecret(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new CliError(`cannot read --hub-password-file ${path}: ${(err as Error).message}`);
  }
}

async function device(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, { role: { type: 'string' }, 'data-dir': { type: 'string' } }, true);
  if (!parsed) return 0;
  const [action, id] = parsed.positionals;
  const dataDir = typeof parsed.values['data-dir'] === 'string' ? parsed.values['data-dir'] : defaultDataDir();
  const db = openGatewayDb(dataDir);
  try {
    const credentials = new DeviceCredentials(db);
    if (action === 'add' && id) {
      const role = typeof parsed.values.role === 'string' ? parsed.values.role : 'sensor';
      if (!isDeviceRole(role)) throw new CliError(`--role must be one of ${DEVICE_ROLES.join(', ')}`);
      const secret = await credentials.add(id, role);
      process.stdout.write(`added ${role} ${id}\nusername: ${id}\npassword: ${secret}\n(shown once: only its hash is stored)\n`);
    } else if (action === 'list') {
      const rows = credentials.list().map((d) => [d.id, d.role, new Date(d.createdMs).toISOString()]);
      process.stdout.write(rows.length ? table(['DEVICE', 'ROLE', 'ADDED'], rows) : 'no devices\n');
    } else if (action === 'remove' && id) {
      if (!credentials.remove(id)) throw new CliError(`no device ${id}`);
      process.stdout.write(`removed ${id}; a running gateway refuses its next connection\n`);
    } else {
      throw new CliError(`usage: unibos gateway device add ID [--role sensor|hub] | list | remove ID`);
    }
  } finally {
    db.close();
  }
  return 0;
}
