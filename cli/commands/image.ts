// `unibos image`: what a flashable Raspberry Pi image needs from this repository. `bundle` builds
// the compiled runtime the image carries; `config` writes unibos.json for a flashed card; `firstboot`
// and `claim` are what the image's systemd units run on the device.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from '../cli-error.ts';
import { say } from '../cli-language.ts';
import { decimal } from '../cli-number.ts';
import { fitHelp } from '../help-width.ts';
import { parseCommand } from '../cli-args.ts';
import { BOARDS, BOOT_REGIONS, DEVICE_ROLES, formatProblems, parseBootConfig, regionCountryMismatch } from '../image/boot-config.ts';
import { MIN_PASSWORD_LENGTH } from '@unibos/credentials';
import { askLine, askSecret } from '../terminal-prompt.ts';

const HELP = fitHelp(say(`usage: unibos image bundle [--arch arm64|x64] [--out DIR] [--tarball FILE]
       unibos image config [--boot DIR | --out FILE] [--role R] [--board B] [--region R] [options]
       unibos image firstboot [--boot DIR] [--state DIR] [--etc DIR] [--led DIR] [--user NAME]
       unibos image claim [--state DIR]

'bundle' compiles this checkout to plain JavaScript (no TypeScript tooling at run time), copies the
production dependencies only, checks that every native addon is built for --arch (default: this
machine's) and writes SHA256SUMS; --tarball also packs it, with FILE.sha256 beside it (what
images/build.sh hands to the pi-gen stage).

'config' writes unibos.json, the file a flashed card's boot partition carries for its first boot,
from these flags, asking for what is missing when run in a terminal. It refuses to write a file the
device would reject.
  --boot DIR           the card's boot partition (writes DIR/unibos.json; one of --boot or --out is required)
  --out FILE           or write FILE (default: none)
  --role R             {roles} (required)
  --board B            {boards} (required; a terminal offers rak3172-hat)
  --region R           EU868, EU433, US915, ANZ, IN865: where the device is (required; a terminal asks)
  --preset P           LongFast, LongSlow, MediumFast, ShortFast (default LongFast; MediumFast in US915)
  --tx-power DBM       power out of the board, -9..30 and at most the region's limit (default: 14, or the limit where lower)
  --name NAME          name on the mesh and the hub (up to 39 bytes; default: UNIBOS + node id)
  --hostname NAME      host name (default unibos-XXXXXXXX, the node id)
  --channel NAME       channel name (default: the public channel)
  --channel-key B64|new  channel key; 'new' makes a random 16-byte key (share it with the other devices)
  --hub-url URL        the hub, e.g. http://hub.local:8000 (default: none)
  --claim-token T      claim token from the hub (kind gateway or node; default: none)
  --admin-email E      role hub or gateway+hub: the first admin (default: none)
  --admin-password-file PATH  a file holding the first admin's password (a terminal asks for it instead)
  --wifi-country CC    Wi-Fi country (two letters; default: none)
  --wifi-ssid SSID     Wi-Fi network to join (default: none, Ethernet only)
  --wifi-password-file PATH  a file holding the Wi-Fi password (a terminal asks for it instead)
  --force              overwrite an existing file (default: refuse)

'firstboot' (unibos-firstboot.service, as root) applies <boot>/unibos.json; 'claim'
(unibos-claim.service) claims the device at its hub, retrying until the hub answers.
`, { roles: DEVICE_ROLES.join(', '), boards: BOARDS.join(', ') }));

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'bundle') return bundle(rest);
  if (sub === 'config') return config(rest);
  if (sub === 'firstboot') return firstboot(rest);
  if (sub === 'claim') return claim(rest);
  if (sub === '--help' || sub === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  throw new CliError(say('expected bundle, config, firstboot or claim\n\n{help}', { help: HELP }));
}

async function bundle(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, { arch: { type: 'string' }, out: { type: 'string' }, tarball: { type: 'string' } });
  if (!parsed) return 0;
  const v = parsed.values;
  const arch = typeof v.arch === 'string' ? v.arch : process.arch;
  if (!['arm64', 'x64'].includes(arch)) throw new CliError(say("--arch must be arm64 or x64, got '{value}'", { value: arch }));
  const { buildBundle, packBundle, REPO_ROOT } = await import('../image/bundle.ts');
  const outDir = resolve(typeof v.out === 'string' ? v.out : join(REPO_ROOT, 'images', 'build', `unibos-linux-${arch}`));
  const result = await buildBundle({ outDir, arch, log: (line) => process.stderr.write(`${line}\n`) });
  const built = say('bundle {version} for linux-{arch} in {dir}: {files} files, {mb} MB, native addons: {addons}', { version: result.version, arch, dir: outDir, files: result.files, mb: decimal(result.bytes / 1e6, 1), addons: result.nativeAddons.join(', ') || say('none') });
  process.stdout.write(`${result.skippedOptional.length ? say('{line}; left out (optional): {list}', { line: built, list: [...new Set(result.skippedOptional)].join(', ') }) : built}\n`);
  if (typeof v.tarball === 'string') {
    const sum = packBundle(outDir, resolve(v.tarball));
    process.stdout.write(`${say('packed {file} (sha256 {sum})', { file: resolve(v.tarball), sum })}\n`);
  }
  return 0;
}

const CONFIG_OPTIONS = {
  boot: { type: 'string' },
  out: { type: 'string' },
  role: { type: 'string' },
  board: { type: 'string' },
  region: { type: 'string' },
  preset: { type: 'string' },
  'tx-power': { type: 'string' },
  name: { type: 'string' },
  hostname: { type: 'string' },
  channel: { type: 'string' },
  'channel-key': { type: 'string' },
  'hub-url': { type: 'string' },
  'claim-token': { type: 'string' },
  'admin-email': { type: 'string' },
  'admin-password-file': { type: 'string' },
  'wifi-country': { type: 'string' },
  'wifi-ssid': { type: 'string' },
  'wifi-password-file': { type: 'string' },
  force: { type: 'boolean' },
} as const;

async function config(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, CONFIG_OPTIONS);
  if (!parsed) return 0;
  const v = { ...parsed.values } as Record<string, string | boolean | undefined>;
  const target = typeof v.boot === 'string' ? join(v.boot, 'unibos.json') : typeof v.out === 'string' ? v.out : undefined;
  if (!target) throw new CliError(say("say where to write: --boot DIR (the card's boot partition) or --out FILE"));
  if (typeof v.boot === 'string' && !statSync(v.boot, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(say("{dir} is not a directory: is the card's boot partition mounted?", { dir: v.boot }));
  // A secret with nothing to go with would be dropped without a word.
  for (const [secretFlag, needs] of [['admin-password-file', 'admin-email'], ['wifi-password-file', 'wifi-ssid']] as const) {
    if (typeof v[secretFlag] === 'string' && typeof v[needs] !== 'string') throw new CliError(say('--{flag} needs --{needs}', { flag: secretFlag, needs }));
  }
  if (existsSync(target) && v.force !== true) throw new CliError(say('{file} exists; --force overwrites it', { file: target }));
  if (process.stdin.isTTY && (!v.role || !v.board || !v.region)) await ask(v);
  const secret = (flag: string): string | undefined => {
    const path = v[flag];
    if (typeof path !== 'string') return undefined;
    try {
      return readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new CliError(say('cannot read --{flag} {path}: {reason}', { flag, path, reason: (err as Error).message }));
    }
  };
  const str = (k: string): string | undefined => (typeof v[k] === 'string' && v[k] !== '' ? (v[k] as string) : undefined);
  const channelKey = str('channel-key') === 'new' ? randomBytes(16).toString('base64') : str('channel-key');
  const adminPassword = secret('admin-password-file') ?? str('admin-password');
  const wifiPassword = secret('wifi-password-file') ?? str('wifi-password');
  const file: Record<string, unknown> = {
    $schema: 'https://unibos.invalid/schema/unibos.json',
    version: 1,
    role: str('role'),
    ...(str('name') ? { name: str('name') } : {}),
    ...(str('hostname') ? { hostname: str('hostname') } : {}),
    radio: {
      board: str('board'),
      region: str('region'),
      ...(str('preset') ? { preset: str('preset') } : {}),
      // Not a number goes in as given, so the device's own check names it.
      ...(str('tx-power') ? { txPowerDbm: /^-?\d+$/.test(str('tx-power')!) ? Number(str('tx-power')) : str('tx-power') } : {}),
    },
  };
  if (str('channel') || channelKey) file.channel = { name: str('channel') ?? 'Public', ...(channelKey ? { key: channelKey } : {}) };
  if (str('hub-url') || str('claim-token') || str('admin-email')) {
    file.hub = {
      ...(str('hub-url') ? { url: str('hub-url') } : {}),
      ...(str('claim-token') ? { claimToken: str('claim-token') } : {}),
      ...(str('admin-email') ? { admin: { email: str('admin-email'), password: adminPassword } } : {}),
    };
  }
  if (str('wifi-country') || str('wifi-ssid')) file.wifi = { country: str('wifi-country'), ...(str('wifi-ssid') ? { ssid: str('wifi-ssid') } : {}), ...(wifiPassword ? { password: wifiPassword } : {}) };
  const text = `${JSON.stringify(file, null, 2)}\n`;
  const checked = parseBootConfig(text);
  if (!checked.ok) throw new CliError(say('not written, the device would reject it: {problems}', { problems: formatProblems(checked.problems) }));
  writeFileSync(target, text, { mode: 0o600 });
  const mismatch = regionCountryMismatch(checked.config);
  if (mismatch) process.stderr.write(`unibos image: ${say('warning: {message}', { message: mismatch })}\n`);
  const wrote = say('wrote {file} (role {role}, board {board}, region {region})', { file: target, role: checked.config.role, board: checked.config.radio.board, region: checked.config.radio.region ?? '' });
  process.stdout.write(`${channelKey && str('channel-key') === 'new' ? say('{line}\nnew channel key: {key} (give the same key to every device on this channel)', { line: wrote, key: channelKey }) : wrote}\n`);
  return 0;
}

/** Prompts for what the flags left out; Enter takes the value in brackets. Passwords are not echoed. */
async function ask(v: Record<string, string | boolean | undefined>): Promise<void> {
  const q = async (key: string, question: string, dflt?: string, secret = false): Promise<void> => {
    if (typeof v[key] === 'string') return;
    const prompt = `${question}${dflt ? ` [${dflt}]` : ''}: `;
    const answer = (secret ? await askSecret(prompt) : await askLine(prompt)).trim();
    if (answer || dflt) v[key] = answer || dflt;
  };
  await q('role', say('role ({roles})', { roles: DEVICE_ROLES.join(', ') }), 'node');
  await q('board', say('radio board ({boards})', { boards: BOARDS.join(', ') }), 'rak3172-hat');
  // No default, asked until answered: the region is where the device is, and a wrong one transmits where it may not.
  while (typeof v.region !== 'string') await q('region', say('region ({regions})', { regions: BOOT_REGIONS.join(', ') }));
  await q('name', say('name on the mesh (optional)'));
  await q('channel', say('channel name'), 'Public');
  await q('channel-key', say("channel key (base64, 'new' for a random one, empty for the public channel)"));
  if (v.role !== 'hub') {
    await q('hub-url', say('hub address, e.g. http://hub.local:8000 (optional)'));
    if (v['hub-url']) await q('claim-token', say('claim token from the hub'));
  }
  if (v.role === 'hub' || v.role === 'gateway+hub') {
    await q('admin-email', say('first admin e-mail (optional)'));
    if (v['admin-email']) await q('admin-password', say('first admin password ({min}+ characters)', { min: MIN_PASSWORD_LENGTH }), undefined, true);
  }
  await q('wifi-country', say('Wi-Fi country, two letters (optional)'));
  if (v['wifi-country']) {
    await q('wifi-ssid', say('Wi-Fi network name (optional)'));
    if (v['wifi-ssid']) await q('wifi-password', say('Wi-Fi password'), undefined, true);
  }
}

async function firstboot(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, { boot: { type: 'string' }, state: { type: 'string' }, etc: { type: 'string' }, led: { type: 'string' }, user: { type: 'string' } });
  if (!parsed) return 0;
  const v = parsed.values;
  const { DEFAULT_PATHS, firstBoot } = await import('../image/first-boot.ts');
  const s = (k: string, d: string): string => (typeof v[k] === 'string' ? (v[k] as string) : d);
  const etc = s('etc', DEFAULT_PATHS.etc);
  const live = etc === '/etc' && existsSync('/run/systemd/system');
  const result = await firstBoot({ boot: s('boot', DEFAULT_PATHS.boot), state: s('state', DEFAULT_PATHS.state), etc, led: s('led', DEFAULT_PATHS.led), user: s('user', DEFAULT_PATHS.user), live });
  // config.txt changed (an SPI board's overlay): the radio answers only after the kernel reads it.
  if (result.rebootNeeded && live) spawnSync('systemctl', ['--no-block', 'reboot'], { stdio: 'inherit' });
  // A bad unibos.json is reported, not fatal: the services must still start with safe defaults.
  return 0;
}

async function claim(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, { state: { type: 'string' } });
  if (!parsed) return 0;
  const { claimAtBoot } = await import('../image/claim-at-boot.ts');
  const { journal } = await import('../image/first-boot.ts');
  const state = typeof parsed.values.state === 'string' ? parsed.values.state : '/var/lib/unibos';
  const outcome = await claimAtBoot(join(state, 'device'), journal);
  // 3 tells systemd not to restart: a refused token stays refused.
  return outcome.status === 'refused' ? 3 : 0;
}
