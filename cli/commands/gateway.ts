// `unibos gateway`: a field device that also runs the MQTT broker for local sensors, bridges the
// mesh to MQTT and forwards everything to the hub. `unibos gateway device add|list|remove`
// manages the sensors' credentials; `unibos gateway outbox` shows what waits for the hub and what
// the hub would not take.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { callNode, createLogger, defaultDataDir, loadOrCreateIdentity } from '@unibos/firmware';
import { DEVICE_ROLES, DeviceCredentials, HubOutbox, isDeviceRole, openGatewayDb, runGateway } from '@unibos/gateway';
import { nodeIdHex } from '@unibos/mesh-protocol';
import { CliError } from '../cli-error.ts';
import { say, sayMessage } from '../cli-language.ts';
import { fitHelp } from '../help-width.ts';
import { integer, parseCommand } from '../cli-args.ts';
import { nodeFlagHelp, nodeConfigFromFlags, nodeFlagOptions, runUntilSignal } from '../node-flags.ts';
import { table } from '../node-control.ts';
import { claimGatewayAtHub } from '../hub-claim.ts';
import { giveToFolderOwner, writeSecretFile } from '../secret-file.ts';

const HELP = fitHelp(say(`usage: unibos gateway [options]
       unibos gateway device add ID [--role sensor|hub] [--allow '[read|write|readwrite] TOPIC']... [--deny TOPIC]...
       unibos gateway device list | remove ID  [--data-dir DIR]
       unibos gateway claim --hub-api URL --token TOKEN [--name NAME] [--data-dir DIR]
       unibos gateway outbox [--requeue all|SEQ,...] [--data-dir DIR]

Runs a gateway: a UNIBOS node (it tells an SOS sender once the SOS is safely queued for the hub) plus an MQTT broker for local sensors, the
mesh<->MQTT bridge (unibos/v1/gw/{id}/rx|tx|status, unibos/v1/mesh/{node}/{kind}, Home Assistant
discovery) and, with a hub, a durable uplink that forwards everything with QoS 1.

A device may write and read only unibos/v1/sensor/ID/# unless it has topic rules (mosquitto's ACL
format, outside unibos/v1/ only): --allow 'write tele/%u/#' (%u = the device id, %c = its client
id; access defaults to readwrite), --deny 'cmnd/%u/Backlog' (wins over any allow); or for every
device, in the file given to --acl-file (lines 'user ID', 'topic [read|write|readwrite|deny] TOPIC',
'pattern ...'). A bad rule is refused with its line (or flag) and the reason.

'claim' trades a claim token (made by a hub admin) for this gateway's hub credentials, proving with
the gateway's identity keys (<data-dir>/identity.json) that it is the device it claims to be, and
keeps them in <data-dir>/hub.json (0600); 'unibos gateway' then connects to that hub unless --hub
is given.

'outbox' shows the messages waiting for the hub (urgent ones, such as SOS, go first) and the dead
letters: messages the hub kept refusing (it ended the connection each time), set aside with the
reason so they cannot block the queue. --requeue puts them back once the hub is fixed; an urgent
one (an SOS, an alert) goes back by itself after 1, 5, 15 minutes and then every hour.

  --mqtt-host ADDR     address the MQTT listeners bind to (default 127.0.0.1)
  --mqtt-port N        MQTT over TCP (default 1883)
  --ws-port N|off      MQTT over WebSocket (default 8083)
  --allow-anonymous    accept clients without credentials, from loopback only (default: off)
  --acl-file PATH      topic rules for devices' own topic trees (mosquitto ACL format; default: none)
  --generic-topic PATTERN
                       read a number, ON/OFF or JSON payload on topics like 'home/{device}/{metric}'
                       as readings (repeatable; {device} required; default: none)
  --hub URL            the hub broker, e.g. mqtt://hub.local:1884 (default: from the claim, else none)
  --hub-user NAME      username at the hub (default: from the claim)
  --hub-password-file PATH
                       file holding the hub password (default: from the claim) [UNIBOS_HUB_PASSWORD]
{flags}
`, { flags: nodeFlagHelp(['role']) }));

const GATEWAY_OPTIONS = {
  'mqtt-host': { type: 'string' },
  'mqtt-port': { type: 'string' },
  'ws-port': { type: 'string' },
  'allow-anonymous': { type: 'boolean' },
  'acl-file': { type: 'string' },
  'generic-topic': { type: 'string', multiple: true },
  hub: { type: 'string' },
  'hub-user': { type: 'string' },
  'hub-password-file': { type: 'string' },
} as const;

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'device') return device(argv.slice(1));
  if (argv[0] === 'claim') return claim(argv.slice(1));
  if (argv[0] === 'outbox') return outbox(argv.slice(1));
  const parsed = parseCommand(argv, HELP, { ...nodeFlagOptions(), ...GATEWAY_OPTIONS });
  if (!parsed) return 0;
  const v = parsed.values as Record<string, string | boolean | undefined>;
  // The device settings' flags include --role, but a gateway's mesh role is always GATEWAY.
  if (v.role !== undefined) throw new CliError(say('a gateway\'s mesh role is always GATEWAY: --role is for `unibos node`'));
  const config = nodeConfigFromFlags(parsed);
  const wsPort = v['ws-port'] === 'off' ? null : integer('--ws-port', v['ws-port'] as string | undefined, 8083, 0, 65_535);
  let hub: { url: string; username?: string; password?: string } | undefined;
  if (typeof v.hub === 'string') {
    if (!/^(mqtts?|wss?):\/\/[^\s]+$/.test(v.hub)) throw new CliError(say("--hub must be an mqtt://, mqtts://, ws:// or wss:// URL, got '{value}'", { value: v.hub }));
    hub = { url: v.hub };
    if (typeof v['hub-user'] === 'string') hub.username = v['hub-user'];
    const password = typeof v['hub-password-file'] === 'string' ? readSecret(v['hub-password-file']) : process.env.UNIBOS_HUB_PASSWORD;
    if (password !== undefined) hub.password = password;
  } else {
    hub = readClaimedHub(config.dataDir);
  }
  const logger = createLogger('unibos-gateway');
  const gateway = await runGateway(
    config,
    {
      mqttHost: typeof v['mqtt-host'] === 'string' ? v['mqtt-host'] : '127.0.0.1',
      mqttPort: integer('--mqtt-port', v['mqtt-port'] as string | undefined, 1883, 0, 65_535),
      wsPort,
      allowAnonymous: v['allow-anonymous'] === true,
      ...(typeof v['acl-file'] === 'string' ? { aclFile: v['acl-file'] } : {}),
      genericTopics: (parsed.values as { 'generic-topic'?: string[] })['generic-topic'] ?? [],
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
    throw new CliError(say('cannot read --hub-password-file {path}: {reason}', { path, reason: (err as Error).message }));
  }
}

async function device(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, { role: { type: 'string' }, allow: { type: 'string', multiple: true }, deny: { type: 'string', multiple: true }, 'data-dir': { type: 'string' } }, true);
  if (!parsed) return 0;
  const [action, id] = parsed.positionals;
  const dataDir = typeof parsed.values['data-dir'] === 'string' ? parsed.values['data-dir'] : defaultDataDir();
  const db = openGatewayDb(dataDir);
  try {
    const credentials = new DeviceCredentials(db);
    if (action === 'add' && id) {
      const role = typeof parsed.values.role === 'string' ? parsed.values.role : 'sensor';
      if (!isDeviceRole(role)) throw new CliError(say('--role must be one of {allowed}', { allowed: DEVICE_ROLES.join(', ') }));
      const list = (flag: 'allow' | 'deny'): string[] => (parsed.values[flag] as unknown as string[] | undefined) ?? [];
      let secret: string;
      try {
        secret = await credentials.add(id, role, { allow: list('allow'), deny: list('deny') });
      } catch (err) {
        throw new CliError(sayMessage((err as Error).message));
      }
      const rules = credentials.rules(id).map((r) => `\n  ${r.access} ${r.topic}`).join('');
      const added = [say('added {role} {id}', { role, id })];
      if (rules) added.push(say('topic rules:{rules}', { rules }));
      added.push(say('username: {id}\npassword: {secret}\n(shown once: only its hash is stored)', { id, secret }));
      process.stdout.write(`${added.join('\n')}\n`);
    } else if (action === 'list') {
      const rows = credentials.list().map((d) => [d.id, d.role, new Date(d.createdMs).toISOString(), credentials.rules(d.id).map((r) => `${r.access} ${r.topic}`).join('; ') || '-']);
      process.stdout.write(rows.length ? table([say('DEVICE'), say('ROLE'), say('ADDED'), say('TOPIC RULES')], rows) : `${say('no devices')}\n`);
    } else if (action === 'remove' && id) {
      if (!credentials.remove(id)) throw new CliError(say('no device {id}', { id }));
      const gateway = await runningGateway(dataDir);
      const said =
        gateway === 'running'
          ? say('removed {id}; the gateway running with this data dir closes its connections within a second and refuses it from then on', { id })
          : gateway === 'none'
            ? say('removed {id}; no gateway is running with this data dir: the next one to start refuses it', { id })
            : say('removed {id}; the gateway with this data dir did not answer: if it is running, it closes the device\'s connections within a second (it watches the device list) and refuses it from then on', { id });
      process.stdout.write(`${said}\n`);
    } else {
      throw new CliError(say('usage: unibos gateway device add ID [--role sensor|hub] | list | remove ID'));
    }
  } finally {
    db.close();
  }
  return 0;
}

/**
 * Whether a gateway runs with this data dir: its node answers on the control socket. A running
 * gateway's broker watches the device list in gateway.db (nothing else need tell it) and closes a
 * removed device's connections within a second.
 */
async function runningGateway(dataDir: string): Promise<'running' | 'none' | 'unknown'> {
  try {
    const status = await callNode<{ role?: unknown }>(dataDir, 'GET', '/status', undefined, { timeoutMs: 3000 });
    return status.role === 'GATEWAY' ? 'running' : 'none';
  } catch (err) {
    return (err as { code?: unknown }).code === 'E_NODE_NOT_RUNNING' ? 'none' : 'unknown';
  }
}

async function outbox(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, { requeue: { type: 'string' }, 'data-dir': { type: 'string' } });
  if (!parsed) return 0;
  const v = parsed.values;
  const dataDir = typeof v['data-dir'] === 'string' ? v['data-dir'] : defaultDataDir();
  const db = openGatewayDb(dataDir);
  try {
    const box = new HubOutbox(db);
    if (typeof v.requeue === 'string') {
      const seqs = v.requeue === 'all' ? 'all' : v.requeue.split(',').map((x) => integer('--requeue', x.trim(), 0, 1, Number.MAX_SAFE_INTEGER));
      const n = box.requeueDeadLetters(seqs);
      process.stdout.write(`${n === 1 ? say('{count} dead letter back in the queue; a running gateway sends it on its next pass', { count: n }) : say('{count} dead letters back in the queue; a running gateway sends them on its next pass', { count: n })}\n`);
      return 0;
    }
    process.stdout.write(`${say('queued for the hub: {count} ({urgent} urgent), {bytes} bytes', { count: box.size, urgent: box.depthByLane.urgent, bytes: box.bytes })}\n`);
    const letters = box.deadLetters(100);
    if (letters.length === 0) {
      process.stdout.write(`${say('dead letters: none')}\n`);
      return 0;
    }
    process.stdout.write(`${say('dead letters: {count} (newest first)', { count: box.deadLetterCount })}\n`);
    const rows = letters.map((l) => [String(l.seq), new Date(l.failedMs).toISOString(), l.lane, l.source, l.topic, `${l.bytes}`, l.reason]);
    process.stdout.write(table([say('SEQ'), say('FAILED'), say('LANE'), say('SOURCE'), say('TOPIC'), say('BYTES'), say('REASON')], rows));
  } finally {
    db.close();
  }
  return 0;
}

const HUB_FILE = 'hub.json';

/** The hub credentials `unibos gateway claim` stored, if any. */
function readClaimedHub(dataDir: string): { url: string; username: string; password: string } | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, HUB_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(say('cannot read {file}: {reason}', { file: join(dataDir, HUB_FILE), reason: (err as Error).message }));
  }
  let v: { url?: unknown; username?: unknown; password?: unknown };
  try {
    v = JSON.parse(text) as typeof v;
  } catch {
    throw new CliError(say('{file} is not valid JSON; claim again with a new token', { file: join(dataDir, HUB_FILE) }));
  }
  if (typeof v.url !== 'string' || typeof v.username !== 'string' || typeof v.password !== 'string') throw new CliError(say('{file} needs url, username and password; claim again', { file: join(dataDir, HUB_FILE) }));
  return { url: v.url, username: v.username, password: v.password };
}

async function claim(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, { 'hub-api': { type: 'string' }, token: { type: 'string' }, name: { type: 'string' }, 'data-dir': { type: 'string' } });
  if (!parsed) return 0;
  const v = parsed.values;
  if (typeof v['hub-api'] !== 'string' || !/^https?:\/\/\S+$/.test(v['hub-api'])) throw new CliError(say("--hub-api must be the hub's http(s):// address, e.g. http://hub.local:8000"));
  if (typeof v.token !== 'string') throw new CliError(say('--token is required: a claim token for a gateway, made on the hub\'s Organisation screen (or POST /api/v1/claim-tokens {"kind":"gateway"})'));
  const dataDir = typeof v['data-dir'] === 'string' ? v['data-dir'] : defaultDataDir();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const identity = loadOrCreateIdentity(join(dataDir, 'identity.json'));
  const gatewayId = nodeIdHex(identity.nodeId);
  const mqtt = await claimGatewayAtHub(v['hub-api'], v.token, identity, typeof v.name === 'string' ? v.name : undefined);
  writeSecretFile(join(dataDir, HUB_FILE), `${JSON.stringify(mqtt, null, 2)}\n`);
  giveToFolderOwner(dataDir, [join(dataDir, 'identity.json'), join(dataDir, HUB_FILE)]);
  process.stdout.write(`${say("gateway {id} claimed; hub broker {url}\ncredentials kept in {file}; 'unibos gateway' connects there from its next start (one already running: restart it, on a flashed card sudo systemctl restart unibos-gateway)", { id: `!${gatewayId}`, url: mqtt.url, file: join(dataDir, HUB_FILE) })}\n`);
  return 0;
}
