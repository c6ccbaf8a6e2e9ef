// `unibos demo` (what `npm start` runs): the whole system on one machine with embedded defaults:
// a simulated radio air, a hub, a gateway claimed into the hub's demo org, a handful of simulated
// field nodes around it, a weather sensor speaking MQTT to the gateway, and some traffic (texts,
// an SOS and its "I am safe"). It prints the admin URL and the login.

import { createHash, randomBytes } from 'node:crypto';
import { connect as connectSocket, createServer, type Server } from 'node:net';
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import pino from 'pino';
import { Device, SimAir, loadNodeConfig, loadOrCreateIdentity, runNode, type RunningNode } from '@unibos/firmware';
import { DeviceCredentials, openGatewayDb, runGateway, type RunningGateway } from '@unibos/gateway';
import { createFirstAdmin, hubConfigDefaults, runHub, type RunningHub } from '@unibos/controlplane';
import { nodeIdHex, topics } from '@unibos/mesh-protocol';
import { integer, parseCommand } from '../cli-args.ts';
import { runUntilSignal } from '../node-flags.ts';
import { claimGatewayAtHub, type ClaimingIdentity, type HubCredentials } from '../hub-claim.ts';
import { demoNodeModules, startDemoBirlikteyiz } from '../demo-birlikteyiz.ts';
import { startTraffic } from '../demo-traffic.ts';
import { DEMO_GATEWAY_NAME, demoGatewayDir, type DemoNodeEntry } from '../node-control.ts';
import { CliError } from '../cli-error.ts';
import { say } from '../cli-language.ts';
import { fitHelp } from '../help-width.ts';

const HELP = fitHelp(say(`usage: unibos demo [options]

Runs hub + gateway + simulated nodes on this machine, with data flowing, and prints the admin
URL and login. State is kept in the data dir, so a restart keeps the fleet and the login.

  --data-dir DIR       demo state (default: $UNIBOS_DEMO_DIR, else ~/.unibos/demo)
  --port N             hub HTTP port, 0..65535 (default 8000, or a free one if 8000 is taken)
  --mqtt-port N        hub broker port, 0..65535 (default 1884, or a free one)
  --gateway-port N     the gateway's MQTT port for local sensors, 0..65535 (default 1883, or a free one)
  --nodes N            simulated field nodes, 1..8 (default 5)
  --fresh              start over: delete the demo state first (default: keep it)

The nodes and the gateway answer \`unibos status|peers|inbox|send|sos --node NAME\` (e.g. --node Clinic,
--node "Demo gateway").
`));

const CENTER = { latitude: 46.5197, longitude: 6.6323 };
/** Node places around the gateway, metres east/north: within a few km, some only reachable through others. */
const PLACES: Array<[number, number, string]> = [
  [900, 300, 'Harbour'],
  [-700, 800, 'School'],
  [1500, 1400, 'Clinic'],
  [-1600, -500, 'Farm'],
  [300, -1300, 'Bridge'],
  [2400, 300, 'Ridge hut'],
  [-300, 2300, 'Water tower'],
  [-2300, 1500, 'Camp'],
];
const DEMO_EMAIL = 'admin@unibos.local';

interface DemoState {
  email: string;
  password: string;
  orgId: string;
  sensorSecret?: string;
  hub?: HubCredentials;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, {
    'data-dir': { type: 'string' },
    port: { type: 'string' },
    'mqtt-port': { type: 'string' },
    'gateway-port': { type: 'string' },
    nodes: { type: 'string' },
    fresh: { type: 'boolean' },
  });
  if (!parsed) return 0;
  const v = parsed.values;
  const dataDir = resolve(typeof v['data-dir'] === 'string' ? v['data-dir'] : (process.env.UNIBOS_DEMO_DIR ?? join(process.env.HOME ?? homedir(), '.unibos', 'demo')));
  const nodeCount = integer('--nodes', v.nodes as string | undefined, 5, 1, PLACES.length);
  // Taken before anything touches the folder: a second demo would open the running hub's database
  // (and --fresh delete it). Every way out of here below gives it back.
  const lock = await holdDemo(dataDir);
  const logger = pino({ name: 'unibos-demo', level: process.env.UNIBOS_LOG_LEVEL ?? 'warn' });
  const stops: Array<() => Promise<void>> = [() => releaseDemo(lock)];
  const stopAll = async (): Promise<void> => {
    for (const s of [...stops].reverse()) await s().catch((err: unknown) => logger.error({ err }, 'demo: error while stopping'));
  };

  try {
    if (v.fresh) rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const preset = 'ShortFast';
    const baseFlags = { radio: 'sim', preset, gps: 'sim', 'http-port': 'off' };
    const air = new SimAir({ params: Device.radioParams(loadNodeConfig({ env: {}, flags: { ...baseFlags, 'data-dir': join(dataDir, 'air'), lat: String(CENTER.latitude), lon: String(CENTER.longitude) } })), port: 0, shadowingSigmaDb: 2, lossProbability: 0.02 });
    const airPort = await air.listen();
    stops.push(() => air.close());

    // The demo login exists before the hub starts, so the hub never offers its setup link.
    const state = await demoState(dataDir);
    const hub = await runHub(
      { ...hubConfigDefaults(join(dataDir, 'hub')), httpPort: await port('--port', v.port, 8000), mqttPort: await port('--mqtt-port', v['mqtt-port'], 1884), offlineAfterS: 120 },
      { logger: logger.child({ part: 'hub' }) },
    );
    stops.push(() => hub.stop());

    const gwDir = demoGatewayDir(dataDir);
    mkdirSync(gwDir, { recursive: true, mode: 0o700 });
    const gwIdentity = loadOrCreateIdentity(join(gwDir, 'identity.json'));
    const gwId = nodeIdHex(gwIdentity.nodeId);
    if (!state.hub) {
      state.hub = await claimGateway(hub, state.orgId, gwIdentity);
      saveState(dataDir, state);
    }
    // The broker may be on another port than last time (the usual one was taken, or --mqtt-port).
    const hubLink = { ...state.hub, url: `mqtt://127.0.0.1:${hub.mqttPort}` };
    if (!state.sensorSecret) {
      const db = openGatewayDb(gwDir);
      try {
        const creds = new DeviceCredentials(db);
        if (creds.get('demo-weather')) creds.remove('demo-weather');
        state.sensorSecret = await creds.add('demo-weather', 'sensor');
      } finally {
        db.close();
      }
      saveState(dataDir, state);
    }
    const air0 = `127.0.0.1:${airPort}`;
    const gateway: RunningGateway = await runGateway(
      loadNodeConfig({ env: {}, flags: { ...baseFlags, 'data-dir': gwDir, air: air0, lat: String(CENTER.latitude), lon: String(CENTER.longitude), name: DEMO_GATEWAY_NAME } }),
      { mqttHost: '127.0.0.1', mqttPort: await port('--gateway-port', v['gateway-port'], 1883), wsPort: null, allowAnonymous: false, hub: hubLink },
      { logger: logger.child({ part: 'gateway' }) },
    );
    stops.push(() => gateway.stop());

    const nodes: RunningNode[] = [];
    for (let i = 0; i < nodeCount; i++) {
      const [east, north, name] = PLACES[i]!;
      const { latitude, longitude } = offset(east, north);
      const nodeDir = join(dataDir, 'nodes', `node-${i + 1}`);
      mkdirSync(nodeDir, { recursive: true, mode: 0o700 });
      // Livelier than a field device (900 s, 1800 s), so the map and the fleet table fill within a minute.
      // Each node runs birlikteyiz's device handler (the check-in answerer) from its config, as a field node would.
      writeFileSync(join(nodeDir, 'config.json'), `${JSON.stringify({ beacons: { positionIntervalS: 30, telemetryIntervalS: 120 }, ...demoNodeModules(i) }, null, 2)}\n`);
      const node = await runNode(
        loadNodeConfig({ env: {}, flags: { ...baseFlags, 'data-dir': nodeDir, air: air0, lat: latitude.toFixed(6), lon: longitude.toFixed(6), name } }),
        { logger: logger.child({ part: `node-${i + 1}` }) },
      );
      nodes.push(node);
      stops.push(() => node.stop());
    }

    // `unibos status --node Clinic` (and peers, inbox, send, sos) find them here; the gateway too, by
    // the name `unibos peers` shows for it ("Demo gateway"): it runs a node with its own control socket.
    const registry: DemoNodeEntry[] = nodes.map((n, i) => ({ name: n.device.name, id: `!${nodeIdHex(n.device.nodeId)}`, dataDir: join(dataDir, 'nodes', `node-${i + 1}`) }));
    const gatewayEntry: DemoNodeEntry = { name: gateway.node.device.name, id: `!${gwId}`, dataDir: gwDir };
    writeFileSync(join(dataDir, 'nodes.json'), `${JSON.stringify([...registry, gatewayEntry], null, 2)}\n`);
    const sensor = startWeatherSensor(gateway.broker.ports.mqtt, state.sensorSecret);
    stops.push(() => sensor.stop());
    const traffic = startTraffic(nodes.map((n) => n.device));
    stops.push(async () => traffic.stop());
    const emergency = await startDemoBirlikteyiz(hub, CENTER, logger);
    stops.push(() => emergency.stop());

    const ask = `npx unibos status --node ${registry[0]?.name ?? 'NAME'}`;
    // A command to paste as it is: with another data dir, the variable goes in front of it.
    const askLine = v['data-dir'] !== undefined && process.env.UNIBOS_DEMO_DIR === undefined ? say('ask one: {command} (also peers, inbox, send, sos, trace)', { command: `UNIBOS_DEMO_DIR=${dataDir} ${ask}` }) : say('ask one: {command} (also peers, inbox, send, sos, trace)', { command: ask });
    // One column, as wide as the longest label in the reader's language ("API belgeleri"); '' is a blank line.
    const rows: Array<[string, string] | ''> = [
      ['Admin UI', `${hub.url}/`],
      ['Login', state.email],
      ['Password', state.password],
      '',
      ['API docs', `${hub.url}/docs`],
      ['Sensors', `mqtt://127.0.0.1:${gateway.broker.ports.mqtt} ${say("(user demo-weather; add your own with 'unibos gateway device add ID --data-dir {dir}')", { dir: gwDir })}`],
      ['State', `${dataDir} ${say('(--fresh starts over)')}`],
      '',
      ['Nodes', [...registry, gatewayEntry].map((r) => `${r.name} ${r.id}`).join(', ')],
      ['', askLine],
    ];
    const name = (label: string): string => (label ? say(label) : '');
    const width = Math.max(...rows.map((r) => (r ? name(r[0]).length : 0)));
    process.stdout.write(
      [
        '',
        say('UNIBOS demo is running: a hub, gateway {gateway} and {count} simulated nodes on a simulated {preset} radio.', { gateway: `!${gwId}`, count: nodeCount, preset }),
        '',
        ...rows.map((r) => (r ? `  ${name(r[0]).padEnd(width)} ${r[1]}` : '')),
        '',
        say('Nodes appear on the map within a minute. About 90 s after start a (fixture) earthquake strikes nearby:\nopen Modules to see the alert and the check-in round as the nodes answer. Ctrl-C stops everything.'),
        '',
      ].join('\n'),
    );
    await runUntilSignal({ stop: stopAll }, logger);
    return 0;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * The socket a running demo holds for its data folder: one demo per folder. Outside the folder
 * (--fresh deletes it) and short whatever the folder's path (a socket path has room for about 107
 * bytes; a longer one was bound cut short, and guarded nothing).
 */
function demoSocket(dataDir: string): string {
  return join(tmpdir(), `unibos-demo-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}.sock`);
}

/** Whether a demo holds `path` now (its socket answers; one left by a killed demo does not). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connectSocket({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Takes the folder for this demo, or refuses: another demo holds it. */
async function holdDemo(dataDir: string): Promise<{ server: Server; path: string }> {
  const path = demoSocket(dataDir);
  const running = (): CliError => new CliError(say('a demo is already running with data dir {dir}: stop it first (Ctrl-C where it runs)', { dir: dataDir }));
  if (existsSync(path)) {
    if (await answers(path)) throw running();
    unlinkSync(path);
  }
  const server = createServer((s) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    // Two starting at once: the second to bind finds the first's socket.
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? running() : err));
    server.listen(path, resolve);
  });
  return { server, path };
}

async function releaseDemo(lock: { server: Server; path: string }): Promise<void> {
  await new Promise<void>((resolve) => lock.server.close(() => resolve()));
  rmSync(lock.path, { force: true });
}

/**
 * The port a flag names, else the usual one, else (when something already listens there, such as
 * a mosquitto service on 1883) any free port: the demo prints where everything ended up.
 */
async function port(flag: string, raw: string | boolean | undefined, usual: number): Promise<number> {
  if (typeof raw === 'string') return integer(flag, raw, usual, 0, 65_535);
  const free = await new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(usual, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
  return free ? usual : 0;
}

function offset(eastM: number, northM: number): { latitude: number; longitude: number } {
  const latitude = CENTER.latitude + northM / 111_320;
  return { latitude, longitude: CENTER.longitude + eastM / (111_320 * Math.cos((CENTER.latitude * Math.PI) / 180)) };
}

function saveState(dataDir: string, state: DemoState): void {
  writeFileSync(join(dataDir, 'demo.json'), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** The demo login: created on the first run, before the hub starts (a random password, kept in demo.json, 0600). */
async function demoState(dataDir: string): Promise<DemoState> {
  const path = join(dataDir, 'demo.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as DemoState;
  const password = randomBytes(9).toString('base64url');
  const { orgId } = await createFirstAdmin({ dataDir: join(dataDir, 'hub'), email: DEMO_EMAIL, password, name: 'Demo admin', orgName: 'Demo' });
  const state: DemoState = { email: DEMO_EMAIL, password, orgId };
  saveState(dataDir, state);
  return state;
}

/** Claims the gateway the way a field install does: a claim token, then the device's claim call with its keys. */
async function claimGateway(hub: RunningHub, orgId: string, identity: ClaimingIdentity): Promise<HubCredentials> {
  const { token } = hub.app.fleet.credentials.createClaimToken(orgId, 'gateway', DEMO_GATEWAY_NAME, 3_600_000, Date.now());
  return claimGatewayAtHub(hub.url, token, identity);
}

/** A weather station on the gateway's broker: temperature and humidity every 15 s. */
function startWeatherSensor(port: number, secret: string): { stop(): Promise<void> } {
  const client: MqttClient = connect(`mqtt://127.0.0.1:${port}`, { clientId: 'demo-weather', username: 'demo-weather', password: secret, protocolVersion: 4 });
  let t = 0;
  const publish = (): void => {
    t++;
    const temperature = Math.round((14 + 4 * Math.sin(t / 12) + Math.random()) * 10) / 10;
    const humidity = Math.round(60 + 15 * Math.cos(t / 9) + Math.random() * 3);
    client.publish(topics.sensor('demo-weather', 'temperature'), String(temperature), { qos: 1 });
    client.publish(topics.sensor('demo-weather', 'humidity'), JSON.stringify({ value: humidity, unit: '%' }), { qos: 1 });
  };
  client.on('connect', publish);
  const timer = setInterval(publish, 15_000);
  return {
    stop: async () => {
      clearInterval(timer);
      await client.endAsync();
    },
  };
}
