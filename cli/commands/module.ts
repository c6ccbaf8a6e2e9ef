// `unibos module list|info|enable|disable|settings|create|run`: the module system from the
// command line. Against a running hub (--hub URL with --token, or UNIBOS_HUB_URL and
// UNIBOS_HUB_TOKEN) it uses the modules API, so changes apply at once; without one it reads the
// manifests and the hub's modules.json itself (enable/disable/settings then take effect when the
// hub starts: run them with the hub stopped). `create` scaffolds a working module.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defaultHubDataDir } from '@unibos/controlplane';
import { MODULE_CATEGORIES, formatProblem, validateManifestText, validateSettings, type ModuleManifest } from '@unibos/module-api';
import { CliError } from '../cli-error.ts';
import { say } from '../cli-language.ts';
import { MESSENGER_ERROR_CODES, sayMessengerError } from '../messenger-error-language.ts';
import { moduleState } from '../module-state.ts';
import { fitHelp } from '../help-width.ts';
import { parseCommand } from '../cli-args.ts';

const HELP = fitHelp(say(`usage: unibos module <command> [options]

  list                       installed modules and their state
  info NAME                  one module: manifest, state, settings
  enable NAME                enable (and set up) a module
  disable NAME               disable (and unload) a module
  settings NAME [KEY=VALUE]  show the settings, or change them (values are JSON, else text)
  create NAME                scaffold a new module (manifest, hub plugin, device handler, test)
  run NAME COMMAND [ARGS]    run one of a module's own CLI commands

options:
  --hub URL            a running hub's API (default $UNIBOS_HUB_URL); needs --token
  --token T            an access token or API key (default $UNIBOS_HUB_TOKEN)
  --modules-dir DIR    where modules live (default: this installation's modules/)
  --data-dir DIR       the hub's data dir, for modules.json without a hub (default ~/.unibos/hub)
  --category C         create: {categories} (default iot)
`, { categories: MODULE_CATEGORIES.join(', ') }));

export const DEFAULT_MODULES_DIR = fileURLToPath(new URL('../../modules/', import.meta.url));
const NAME = /^[a-z][a-z0-9-]{1,39}$/;

interface StatusRow {
  name: string;
  version: string | null;
  state: string;
  enabled: boolean;
  error: string | null;
  settings: Record<string, unknown>;
}

export async function run(argv: string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const parsed = parseCommand(argv, HELP, { hub: { type: 'string' }, token: { type: 'string' }, 'modules-dir': { type: 'string' }, 'data-dir': { type: 'string' }, category: { type: 'string' } }, true);
  if (!parsed) return 0;
  const [command, name, ...rest] = parsed.positionals;
  const v = parsed.values as Record<string, string | undefined>;
  const modulesDir = resolve(v['modules-dir'] ?? DEFAULT_MODULES_DIR);
  const hubUrl = v.hub ?? process.env.UNIBOS_HUB_URL;
  const token = v.token ?? process.env.UNIBOS_HUB_TOKEN;
  const hub = hubUrl ? new HubModules(hubUrl, token) : null;
  const local = new LocalModules(modulesDir, resolve(v['data-dir'] ?? defaultHubDataDir()));
  if (!command) throw new CliError(say('a command is needed\n\n{help}', { help: HELP }));
  if (command !== 'list' && (!name || !NAME.test(name))) throw new CliError(say('{command} needs a module name (lower case letters, digits, dashes)', { command }));

  switch (command) {
    case 'list': {
      const rows = hub ? ((await hub.call('GET', '/api/v1/modules')) as { modules: StatusRow[] }).modules : local.list();
      if (rows.length === 0) out(say('no modules in {dir}', { dir: modulesDir }));
      // Without --hub, what a hub keeps in this data dir: say which, and when no hub has written there.
      if (!hub) out(local.hasFile() ? say('(as {file} says; a running hub: `--hub URL --token T`)', { file: local.file }) : say('(no hub has kept modules in {dir}: nothing enabled there; for another hub give its --data-dir, or --hub URL --token T)', { dir: local.dataDir }));
      for (const m of rows) out(`${m.name.padEnd(16)} ${(m.version ?? '?').padEnd(8)} ${moduleState(m.state).padEnd(18)} ${m.error ?? ''}`.trimEnd());
      return 0;
    }
    case 'info': {
      const info = hub ? await hub.call('GET', `/api/v1/modules/${name}`) : local.info(name!);
      out(JSON.stringify(info, null, 2));
      return 0;
    }
    case 'enable':
    case 'disable': {
      const status = (hub ? await hub.call('POST', `/api/v1/modules/${name}/${command}`, {}) : local.setEnabled(name!, command === 'enable')) as StatusRow;
      const line = status.error ? say('{name}: {state} ({error})', { name: name!, state: moduleState(status.state), error: status.error }) : say('{name}: {state}', { name: name!, state: moduleState(status.state) });
      out(hub ? line : say('{line} — written to {file}; takes effect when the hub using {dir} starts (a running hub: `--hub URL --token T`)', { line, file: local.file, dir: local.dataDir }));
      // Not loaded and not going to on its own: a failure. A retry (a feed not up yet) is on its way.
      return ['setup_error', 'migration_error', 'invalid', 'unsupported'].includes(status.state) ? 1 : 0;
    }
    case 'settings': {
      const current = (hub ? ((await hub.call('GET', `/api/v1/modules/${name}`)) as StatusRow).settings : local.info(name!).settings) ?? {};
      if (rest.length === 0) {
        out(JSON.stringify(current, null, 2));
        return 0;
      }
      const next: Record<string, unknown> = { ...current };
      for (const pair of rest) {
        const eq = pair.indexOf('=');
        if (eq < 1) throw new CliError(say("settings are KEY=VALUE, got '{value}'", { value: pair }));
        const raw = pair.slice(eq + 1);
        try {
          next[pair.slice(0, eq)] = JSON.parse(raw);
        } catch {
          next[pair.slice(0, eq)] = raw;
        }
      }
      const status = (hub ? await hub.call('PUT', `/api/v1/modules/${name}/settings`, next) : local.setSettings(name!, next)) as StatusRow;
      out(JSON.stringify(status.settings, null, 2));
      return 0;
    }
    case 'create': {
      const category = v.category ?? 'iot';
      if (!(MODULE_CATEGORIES as readonly string[]).includes(category)) throw new CliError(say('--category must be one of {allowed}', { allowed: MODULE_CATEGORIES.join(', ') }));
      const dir = scaffoldModule(modulesDir, name!, category);
      out(say('created {dir}\n  test it:   node --import tsx --test {tests}/*.test.ts\n  enable it: unibos module enable {name}', { dir, tests: join(dir, 'test'), name: name! }));
      return 0;
    }
    case 'run': {
      const [cmd, ...args] = rest;
      const manifest = local.manifest(name!);
      if (!manifest.entry.cli) throw new CliError(say('{name} has no CLI commands', { name: name! }));
      const mod = (await import(pathToFileURL(join(modulesDir, name!, manifest.entry.cli)).href)) as { commands?: Record<string, { summary: string; run(argv: string[], out: (l: string) => void): Promise<number> }> };
      const c = cmd ? mod.commands?.[cmd] : undefined;
      if (!c) {
        for (const [n, x] of Object.entries(mod.commands ?? {})) out(`${n.padEnd(14)} ${x.summary}`);
        return cmd ? 2 : 0;
      }
      return c.run(args, out);
    }
    default:
      throw new CliError(say("unknown module command '{name}'\n\n{help}", { name: command, help: HELP }));
  }
}

class HubModules {
  constructor(
    private readonly url: string,
    private readonly token: string | undefined,
  ) {
    if (!token) throw new CliError(say('--hub needs --token (an access token or API key), or UNIBOS_HUB_TOKEN'));
  }

  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.url), { method, headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (err) {
      throw new CliError(say('cannot reach the hub at {url}: {reason}', { url: this.url, reason: (err as Error).message }));
    }
    const data = (await res.json().catch(() => null)) as { message?: string; code?: string } | null;
    if (!res.ok) {
      const failure = { code: data?.code ?? `HTTP ${res.status}`, message: data?.message ?? res.statusText, status: res.status };
      // A token is given here, not a messenger login: said as such; every other refusal as `unibos msg` says it.
      if (/^E_AUTH_/.test(failure.code)) throw new CliError(say('the hub does not accept this token ({code}): give an access token or API key of an admin of the hub with --token or UNIBOS_HUB_TOKEN', { code: failure.code }));
      // A refusal the messenger's catalogue does not know (a module's own, E_MODULE_SETTINGS) keeps its code.
      throw new CliError(MESSENGER_ERROR_CODES.includes(failure.code) ? sayMessengerError(failure, { hub: this.url }) : `${failure.code}: ${failure.message}`);
    }
    return data;
  }
}

interface ModulesFile {
  version: 1;
  modules: Record<string, { enabled: boolean; settings: Record<string, unknown>; settingsVersion: number }>;
}

class LocalModules {
  constructor(
    private readonly dir: string,
    readonly dataDir: string,
  ) {}

  get file(): string {
    return join(this.dataDir, 'modules.json');
  }

  hasFile(): boolean {
    return existsSync(this.file);
  }

  list(): StatusRow[] {
    const names = existsSync(this.dir) ? readdirSync(this.dir).filter((n) => existsSync(join(this.dir, n, 'module.json'))).sort() : [];
    return names.map((n) => this.row(n));
  }

  info(name: string): StatusRow & { manifest: ModuleManifest | null } {
    const row = this.row(name);
    return { ...row, manifest: row.state === 'invalid' ? null : this.manifest(name) };
  }

  manifest(name: string): ModuleManifest {
    const file = join(this.dir, name, 'module.json');
    if (!existsSync(file)) throw new CliError(say("no module named '{name}' in {dir}", { name, dir: this.dir }));
    const r = validateManifestText(readFileSync(file, 'utf8'), file);
    if (!r.ok) throw new CliError(r.problems.map(formatProblem).join('\n'));
    return r.manifest;
  }

  setEnabled(name: string, enabled: boolean): StatusRow {
    const m = this.manifest(name);
    const file = this.read();
    const stored = file.modules[name] ?? { enabled: false, settings: {}, settingsVersion: m.settings?.version ?? 1 };
    file.modules[name] = { ...stored, enabled };
    this.write(file);
    return this.row(name);
  }

  setSettings(name: string, settings: Record<string, unknown>): StatusRow {
    const m = this.manifest(name);
    let valid: Record<string, unknown>;
    try {
      valid = validateSettings(m.settings?.schema, settings);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    const file = this.read();
    file.modules[name] = { ...(file.modules[name] ?? { enabled: false }), settings: valid, settingsVersion: m.settings?.version ?? 1 };
    this.write(file);
    return this.row(name);
  }

  private row(name: string): StatusRow {
    const file = join(this.dir, name, 'module.json');
    const r = existsSync(file) ? validateManifestText(readFileSync(file, 'utf8'), file) : null;
    if (!r) throw new CliError(say("no module named '{name}' in {dir}", { name, dir: this.dir }));
    const stored = this.read().modules[name];
    if (!r.ok) return { name, version: null, state: 'invalid', enabled: false, error: r.problems.map(formatProblem).join('; '), settings: {} };
    return { name, version: r.manifest.version, state: stored?.enabled ? 'enabled' : 'disabled', enabled: Boolean(stored?.enabled), error: null, settings: stored?.settings ?? {} };
  }

  private read(): ModulesFile {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as ModulesFile;
    } catch {
      return { version: 1, modules: {} };
    }
  }

  private write(file: ModulesFile): void {
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    const path = this.file;
    writeFileSync(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }
}

/** Writes a new module that loads, answers a route, raises its declared event, and tests itself. */
export function scaffoldModule(modulesDir: string, name: string, category: string): string {
  const dir = join(modulesDir, name);
  if (existsSync(dir)) throw new CliError(say('{dir} already exists', { dir }));
  const files: Record<string, string> = {
    'module.json': `${JSON.stringify(
      {
        name,
        version: '0.1.0',
        description: `${name}: describe what it does`,
        author: 'you',
        license: 'AGPL-3.0-or-later',
        category,
        dependencies: { core: '>=0.1.0 <1.0.0' },
        capabilities: { offline_capable: true },
        platforms: ['linux', 'macos', 'windows', 'raspberry_pi'],
        permissions: { events: { publish: ['hello'], subscribe: ['mesh.text'] }, mesh: { max_priority: 'normal' }, fleet: 'read' },
        settings: { version: 1, schema: { type: 'object', additionalProperties: false, properties: { greeting: { type: 'string', default: 'hello', maxLength: 40, title: 'Greeting' } } } },
        entry: { hub: 'src/hub-plugin.ts', device: 'src/device-handler.ts' },
      },
      null,
      2,
    )}\n`,
    'package.json': `${JSON.stringify({ name: `@unibos/module-${name}`, version: '0.1.0', private: true, type: 'module', scripts: { test: 'node --import tsx --test test/*.test.ts' }, dependencies: { '@unibos/module-api': '0.1.0' } }, null, 2)}\n`,
    'README.md': `# ${name}\n\nA UNIBOS module. \`module.json\` says what it is and may do; \`src/hub-plugin.ts\` is mounted at\n\`/api/v1/modules/${name}/\`; \`src/device-handler.ts\` runs on field nodes. See modules/README.md.\n`,
    'src/hub-plugin.ts': `// ${name}'s hub plugin, mounted at /api/v1/modules/${name}/ with the module API as opts.module.

import type { ModulePlugin } from '@unibos/module-api';

const plugin: ModulePlugin = async (app, { module: m }) => {
  app.get('/hello', async (request) => {
    const { orgId } = m.require(request, 'read');
    const nodes = m.fleet.list(orgId).length;
    m.events.publish(orgId, 'module.${name}.hello', { nodes });
    return { greeting: m.settings.greeting, nodes };
  });
};

export default plugin;
`,
    'src/device-handler.ts': `// ${name} on a field node: sees what the node receives, answers through the node's own calls.

import type { DeviceHandlerFactory } from '@unibos/module-api';

const handler: DeviceHandlerFactory = (device) => {
  const off = device.onMessage((m) => {
    if (m.kind === 'text' && m.text === 'ping ${name}') device.sendText('pong from ' + device.name);
  });
  return { stop: off };
};

export default handler;
`,
    [`test/${name}.test.ts`]: `// ${name}'s own test: its manifest is valid, and its plugin answers with its settings and raises its event.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import Fastify from 'fastify';
import { validateManifestText, validateSettings, type DeviceSide, type ModuleContext } from '@unibos/module-api';
import plugin from '../src/hub-plugin.ts';
import handler from '../src/device-handler.ts';

const manifestFile = new URL('../module.json', import.meta.url);

test('the manifest is valid', () => {
  const r = validateManifestText(readFileSync(manifestFile, 'utf8'), 'module.json');
  assert.ok(r.ok, JSON.stringify(r));
});

test('GET /hello answers with the greeting and raises ${name}.hello', async () => {
  const r = validateManifestText(readFileSync(manifestFile, 'utf8'), 'module.json');
  assert.ok(r.ok);
  const published: Array<{ type: string; data: unknown }> = [];
  const m = {
    name: '${name}',
    settings: validateSettings(r.manifest.settings?.schema, {}),
    require: () => ({ orgId: 'org1', userId: 'u1', role: 'admin', can: () => true }),
    fleet: { list: () => [{ id: '!00000001' }], orgs: () => ['org1'], hubOrg: () => 'org1', get: () => null },
    events: { publish: (_org: string, type: string, data: unknown) => void published.push({ type, data }), subscribe: () => {} },
  } as unknown as ModuleContext;
  const app = Fastify();
  await app.register(plugin, { module: m });
  const res = await app.inject({ method: 'GET', url: '/hello' });
  assert.deepEqual(res.json(), { greeting: 'hello', nodes: 1 });
  assert.deepEqual(published, [{ type: 'module.${name}.hello', data: { nodes: 1 } }]);
  await app.close();
});

test('the device handler answers a ping', () => {
  const sent: string[] = [];
  let listener: ((m: { kind: 'text'; text: string }) => void) | undefined;
  const device: DeviceSide = {
    nodeId: 1,
    name: 'Test node',
    onMessage: (l) => ((listener = l as typeof listener), () => {}),
    imSafe: () => true,
    raiseSos: () => true,
    sendText: (t) => (sent.push(t), true),
    sendAlert: () => true,
    buzzer: () => true,
    led: () => true,
    onButton: () => () => {},
    after: () => () => {},
    store: { get: () => undefined, set: () => true, delete: () => {}, keys: () => [] },
  };
  const h = handler(device, {});
  listener?.({ kind: 'text', text: 'ping ${name}' });
  assert.deepEqual(sent, ['pong from Test node']);
  h.stop();
});
`,
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}
