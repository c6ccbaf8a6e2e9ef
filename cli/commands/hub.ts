// `unibos hub`: the control plane (API, admin UI, event stream, and the broker gateways connect
// to). `unibos hub init` creates the first admin without the browser setup link.

import { readFileSync } from 'node:fs';
import { SystemdNotifier, createLogger } from '@unibos/firmware';
import { createFirstAdmin, loadHubConfig } from '@unibos/controlplane';
import { CliError } from '../cli-error.ts';
import { say } from '../cli-language.ts';
import { fitHelp } from '../help-width.ts';
import { parseCommand } from '../cli-args.ts';
import { runUntilSignal } from '../node-flags.ts';

const HELP = fitHelp(say(`usage: unibos hub [options]
       unibos hub init --email EMAIL (--password-file PATH | env UNIBOS_ADMIN_PASSWORD) [--org NAME] [--data-dir DIR]

Runs the hub: the HTTP API and admin UI (default http://127.0.0.1:8000), the event stream at
/ws, OpenAPI at /docs, and the hub broker gateways connect to (default port 1884). Settings:
defaults < <data-dir>/hub.json < UNIBOS_HUB_* environment < these flags.

  --data-dir DIR       state folder (default ~/.unibos/hub) [UNIBOS_HUB_DATA_DIR]
  --host ADDR          HTTP bind address (default 127.0.0.1) [UNIBOS_HUB_HOST]
  --port N             HTTP port (default 8000) [UNIBOS_HUB_PORT]
  --mqtt-host ADDR     hub broker bind address (default 127.0.0.1) [UNIBOS_HUB_MQTT_HOST]
  --mqtt-port N        hub broker port (default 1884) [UNIBOS_HUB_MQTT_PORT]
  --mqtt-url URL       broker URL given to claiming gateways [UNIBOS_HUB_MQTT_URL]
  --offline-after S    silence before a node is offline (default 300) [UNIBOS_HUB_OFFLINE_AFTER_S]
  --cors ORIGINS       comma-separated origins allowed by CORS (default: none) [UNIBOS_HUB_CORS_ORIGINS]
  --map-tiles URL      tile URL template for the map (default: the offline map) [UNIBOS_HUB_MAP_TILES]
`));

const OPTIONS = {
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'mqtt-host': { type: 'string' },
  'mqtt-port': { type: 'string' },
  'mqtt-url': { type: 'string' },
  'offline-after': { type: 'string' },
  cors: { type: 'string' },
  'map-tiles': { type: 'string' },
} as const;

const FLAG_KEYS = {
  'data-dir': 'dataDir',
  host: 'httpHost',
  port: 'httpPort',
  'mqtt-host': 'mqttHost',
  'mqtt-port': 'mqttPort',
  'mqtt-url': 'mqttPublicUrl',
  'offline-after': 'offlineAfterS',
  cors: 'corsOrigins',
  'map-tiles': 'mapTileUrl',
} as const;

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'init') return init(argv.slice(1));
  const parsed = parseCommand(argv, HELP, OPTIONS);
  if (!parsed) return 0;
  const flags: Record<string, string> = {};
  for (const [flag, key] of Object.entries(FLAG_KEYS)) {
    const v = parsed.values[flag];
    if (typeof v === 'string') flags[key] = v;
  }
  const config = loadHubConfig({ flags });
  const logger = createLogger('unibos-hub');
  const { runHub } = await import('@unibos/controlplane');
  const hub = await runHub(config, { logger });
  process.stderr.write(`\n${say('UNIBOS hub: {url}/  (hub broker on port {port})', { url: hub.url, port: hub.mqttPort })}\n${hub.setupUrl ? `${say("No admin yet: open {url} to create one (or run 'unibos hub init').", { url: hub.setupUrl })}\n` : ''}\n`);
  // Under systemd (Type=notify, WatchdogSec=) the unit is started once the API answers, and restarted if the loop hangs.
  const notifier = new SystemdNotifier({ onError: (m) => logger.warn(m) });
  notifier.ready(`hub on ${hub.url}`);
  notifier.startWatchdog();
  await runUntilSignal(hub, logger);
  notifier.stopping();
  notifier.close();
  return 0;
}

async function init(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, { email: { type: 'string' }, 'password-file': { type: 'string' }, org: { type: 'string' }, 'data-dir': { type: 'string' } });
  if (!parsed) return 0;
  const v = parsed.values;
  if (typeof v.email !== 'string') throw new CliError(say('--email is required'));
  let password = process.env.UNIBOS_ADMIN_PASSWORD;
  if (typeof v['password-file'] === 'string') {
    try {
      password = readFileSync(v['password-file'], 'utf8').trim();
    } catch (err) {
      throw new CliError(say('cannot read --password-file: {reason}', { reason: (err as Error).message }));
    }
  }
  if (!password) throw new CliError(say('give the password with --password-file PATH or UNIBOS_ADMIN_PASSWORD (never on the command line, where ps shows it)'));
  const config = loadHubConfig({ flags: typeof v['data-dir'] === 'string' ? { dataDir: v['data-dir'] } : {} });
  const admin = await createFirstAdmin({ dataDir: config.dataDir, email: v.email, password, ...(typeof v.org === 'string' ? { orgName: v.org } : {}) });
  process.stdout.write(`${say("created admin {email} (owner of org {org}) in {dir}\nStop a running hub before using init; start it with 'unibos hub'.", { email: admin.email, org: admin.orgId, dir: config.dataDir })}\n`);
  return 0;
}
