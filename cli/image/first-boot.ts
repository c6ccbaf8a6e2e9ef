// First boot of a flashed card (unibos-firstboot.service, as root, before the UNIBOS services):
// reads unibos.json from the boot partition, creates the device identity, writes the runtime's
// config, picks the services for the role, names the host unibos-<node id>, points gpsd at the HAT's
// GPS UART for this Raspberry Pi model, sets up Wi-Fi unless cloud-init's network-config does,
// prepares the claim at the hub (done by unibos-claim.service, which retries until the hub
// answers) and moves the secrets off the card. A bad file is told in
// the journal and by the ACT LED blinking fast, and the device still starts as a node with the
// image's safe defaults, so it can be reached and fixed.

import { chownSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatNodeId, loadOrCreateIdentity, writeFileDurably } from '@unibos/firmware';
import { writeSecretFile } from '../secret-file.ts';
import { formatProblems, parseBootConfig, redactBootConfig, regionCountryMismatch, type BootConfig, type BootConfigProblem } from './boot-config.ts';
import { DEVICE_TREE_MODEL, SAFE_DEFAULTS, bootOverlayFor, deviceConfigFor, hatUarts } from './device-config.ts';
import { keyfileSsid, keyfileString } from './nm-keyfile.ts';

export interface FirstBootPaths {
  /** The boot partition (FAT), /boot/firmware on Raspberry Pi OS bookworm and later. */
  boot: string;
  /** StateDirectory=unibos: device/ (node or gateway), hub/, roles/. */
  state: string;
  /** /etc, or a copy of it in tests. */
  etc: string;
  /** The status LED in sysfs (the Pi's green ACT LED). */
  led: string;
  /** The system user the services run as. */
  user: string;
  /** Also tell the running system (hostnamectl); off when working on a root filesystem from outside. */
  live: boolean;
  /** The device tree's model (which Raspberry Pi this is); /proc/device-tree/model when not given. */
  model?: string;
}

export const DEFAULT_PATHS: FirstBootPaths = { boot: '/boot/firmware', state: '/var/lib/unibos', etc: '/etc', led: '/sys/class/leds/ACT', user: 'unibos', live: false, model: DEVICE_TREE_MODEL };

export interface FirstBootResult {
  ok: boolean;
  source: 'unibos.json' | 'defaults' | 'kept';
  problems: BootConfigProblem[];
  nodeId?: string;
  hostname?: string;
  role: BootConfig['role'];
  claimPending: boolean;
  /** config.txt changed (an SPI board's chip-select overlay): the kernel reads it only at boot, so the device must restart. */
  rebootNeeded: boolean;
}

/** One line for the journal; `<N>` is the syslog priority systemd reads from the line's start. */
export type JournalLine = (priority: 3 | 4 | 6, message: string) => void;

export const journal: JournalLine = (priority, message) => process.stderr.write(`<${priority}>${message}\n`);

const ROLE_SERVICES: Record<BootConfig['role'], string[]> = { node: ['node'], gateway: ['gateway'], hub: ['hub'], 'gateway+hub': ['gateway', 'hub'] };

export async function firstBoot(paths: FirstBootPaths, say: JournalLine = journal): Promise<FirstBootResult> {
  const file = join(paths.boot, 'unibos.json');
  const deviceDir = join(paths.state, 'device');
  const owner = lookupUser(paths.etc, paths.user);
  if (!owner) say(4, `user ${paths.user} is not in ${paths.etc}/passwd: files stay owned by root`);
  const own = (p: string): void => {
    if (owner) chownSync(p, owner.uid, owner.gid);
  };
  for (const d of [paths.state, deviceDir, join(paths.state, 'hub'), join(paths.state, 'roles')]) {
    mkdirSync(d, { recursive: true, mode: 0o750 });
    own(d);
  }

  let boot: BootConfig = readImageDefaults(paths.etc, say);
  let source: FirstBootResult['source'] = existsSync(join(deviceDir, 'config.json')) ? 'kept' : 'defaults';
  let problems: BootConfigProblem[] = [];
  // Blanks only: a power cut came while removeSecrets() was overwriting an applied file; finish it.
  if (existsSync(file) && source === 'kept' && readFileSync(file, 'utf8').trim() === '') {
    unlinkSync(file);
    fsyncDir(paths.boot);
  }
  // Where the settings kept from an earlier boot came from: a unibos.json, or the image's defaults (none applied yet).
  const record = source === 'kept' ? readFirstBootRecord(paths.state) : undefined;
  const keptFrom = source === 'kept' ? record?.settings ?? (record?.source === 'defaults' ? 'defaults' : 'unibos.json') : undefined;
  const defaults = `as a node with the image's defaults${boot.radio.region ? '' : ', which name no region: its radio is off (nothing goes on air until a good unibos.json is applied)'}`;
  if (existsSync(file)) {
    const parsed = parseBootConfig(readFileSync(file, 'utf8'));
    if (parsed.ok) {
      boot = parsed.config;
      source = 'unibos.json';
      const mismatch = regionCountryMismatch(boot);
      if (mismatch) say(4, `unibos.json: ${mismatch}`);
    } else {
      problems = parsed.problems;
      const starting = keptFrom === 'unibos.json' ? 'with the settings of the last good file' : keptFrom === 'defaults' ? `${defaults}, as before (no unibos.json has been applied yet)` : defaults;
      say(3, `${file} is not usable (E_BOOT_CONFIG): ${formatProblems(problems)}. Starting ${starting}; fix the file (or write it with 'unibos image config') and reboot.`);
      for (const p of problems) say(3, `unibos.json ${p.key}: ${p.message}`);
      setLed(paths.led, 'error', say);
    }
  } else {
    say(6, `no ${file}: ${source === 'kept' ? 'keeping the current settings' : `starting ${defaults}`}`);
  }

  // The identity is made once and kept for the device's life: the mesh and the hub know it by it.
  const identityFile = join(deviceDir, 'identity.json');
  const identity = loadOrCreateIdentity(identityFile);
  own(identityFile);
  const nodeId = formatNodeId(identity.nodeId);

  const model = readModel(paths.model ?? DEVICE_TREE_MODEL);
  if (source !== 'kept') {
    writeRoles(paths, boot.role, own);
    writeMdnsService(paths.etc, boot.role);
    configureGpsd(paths.etc, boot, model, say);
  }

  let hostname: string | undefined;
  let claimPending = false;
  const rebootNeeded = source !== 'kept' && setBootOverlay(paths.boot, boot.radio.board, say);
  // The whole node id (32 bits), not its last four hex digits: with 16 bits two cards in a fleet of a
  // hundred share a name one time in fourteen, and mDNS then renames one of them (unibos-XXXX-2.local)
  // so the name reaches whichever answered first. Node ids are unique on the mesh already.
  const defaultHostname = defaultHostnameFor(nodeId);
  // No settings before this boot: the host still has the image's name, shared by every card.
  if (source === 'defaults') hostname = setHostname(paths, defaultHostname, false, say);
  if (source === 'unibos.json') {
    hostname = setHostname(paths, boot.hostname ?? defaultHostname, boot.hostname !== undefined, say);
    if (boot.wifi) setUpWifi(paths, boot.wifi, say);
    if (boot.hub?.admin && boot.role !== 'node' && boot.role !== 'gateway') await createHubAdmin(paths, boot.hub.admin, own, say);
    claimPending = writeClaim(paths, boot, own, say);
  }
  if (source !== 'kept') {
    // Last, and durably: config.json is what says first boot is done (unibos-firstboot.service runs
    // only while it is missing or a unibos.json is on the card). Written first, a power cut after it
    // left a device with no role marker (no service ever started) or with the image's shared host
    // name, and first boot never ran again to finish.
    const configFile = join(deviceDir, 'config.json');
    writeSecretFile(configFile, `${JSON.stringify(deviceConfigFor(boot, model), null, 2)}\n`);
    own(configFile);
    fsyncDir(deviceDir);
  }
  if (source === 'unibos.json') {
    removeSecrets(file, boot);
    say(6, `applied ${file} (role ${boot.role}, node ${nodeId}${hostname ? `, host ${hostname}` : ''}); secrets moved off the boot partition, the rest kept as unibos.json.applied`);
    setLed(paths.led, 'ok', say);
  }
  const settings = source === 'kept' ? keptFrom : source;
  writeSecretFile(join(paths.state, 'firstboot.json'), `${JSON.stringify({ ok: problems.length === 0, source, settings, role: boot.role, nodeId, problems, atMs: Date.now() }, null, 2)}\n`);
  own(join(paths.state, 'firstboot.json'));
  return { ok: problems.length === 0, source, problems, nodeId, ...(hostname ? { hostname } : {}), role: boot.role, claimPending, rebootNeeded };
}

function lookupUser(etc: string, name: string): { uid: number; gid: number } | undefined {
  try {
    for (const line of readFileSync(join(etc, 'passwd'), 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // No passwd (a dev machine's scratch dir): nothing to chown to.
  }
  return undefined;
}

/** Which Raspberry Pi this is (`Raspberry Pi 5 Model B Rev 1.0`), or undefined off a Pi. */
function readModel(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').replace(/\0/g, '').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * /etc/default/gpsd: the board's GPS UART for this model, read with -n (from boot, not from the
 * first client) so the fix is warm when the node starts. Boards without a GPS on a UART keep
 * gpsd's USB hot-plugging only.
 */
function configureGpsd(etc: string, boot: BootConfig, model: string | undefined, say: JournalLine): void {
  if (boot.radio.board !== 'rak3172-hat') return;
  const device = hatUarts(model).gps;
  if (!device) {
    say(4, `${model ?? 'this machine'} has no spare UART for the HAT's GPS (a Raspberry Pi 3 or Zero 2 W: the modem takes the only full one); gpsd reads only USB receivers`);
    return;
  }
  const file = join(etc, 'default', 'gpsd');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Written by unibos-firstboot.\nUSBAUTO="true"\n';
  for (const [key, value] of [['DEVICES', device], ['GPSD_OPTIONS', '-n']] as const) {
    const line = `${key}="${value}"`;
    const re = new RegExp(`^${key}=.*$`, 'm');
    text = re.test(text) ? text.replace(re, line) : `${text.replace(/\n?$/, '\n')}${line}\n`;
  }
  mkdirSync(join(etc, 'default'), { recursive: true });
  writeFileSync(file, text);
}

/** What the last first boot wrote (firstboot.json), if it can be read. */
function readFirstBootRecord(state: string): { source?: string; settings?: 'unibos.json' | 'defaults' } | undefined {
  try {
    return JSON.parse(readFileSync(join(state, 'firstboot.json'), 'utf8')) as { source?: string; settings?: 'unibos.json' | 'defaults' };
  } catch {
    return undefined;
  }
}

/** /etc/unibos/unibos.defaults.json, set when the image was built (its region, its board). */
function readImageDefaults(etc: string, say: JournalLine): BootConfig {
  const path = join(etc, 'unibos', 'unibos.defaults.json');
  if (!existsSync(path)) return SAFE_DEFAULTS;
  const parsed = parseBootConfig(readFileSync(path, 'utf8'), true);
  if (parsed.ok) return parsed.config;
  say(3, `${path} is not usable (${formatProblems(parsed.problems)}); using the built-in defaults`);
  return SAFE_DEFAULTS;
}

/** The services read these markers (ConditionPathExists=) when they start, right after us. */
function writeRoles(paths: FirstBootPaths, role: BootConfig['role'], own: (p: string) => void): void {
  const dir = join(paths.state, 'roles');
  for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true });
  for (const service of ROLE_SERVICES[role]) {
    writeFileSync(join(dir, service), `${role}\n`);
    own(join(dir, service));
  }
}

/** `_unibos._tcp` on mDNS, pointing at what this role serves to the network. */
function writeMdnsService(etc: string, role: BootConfig['role']): void {
  const dir = join(etc, 'avahi', 'services');
  if (!existsSync(dir)) return;
  const port = role === 'hub' || role === 'gateway+hub' ? 8000 : role === 'gateway' ? 1883 : 22;
  const api = role === 'hub' || role === 'gateway+hub' ? '\n    <txt-record>api=/api/v1</txt-record>' : '';
  writeFileSync(
    join(dir, 'unibos.service'),
    `<?xml version="1.0" standalone="no"?>\n<!DOCTYPE service-group SYSTEM "avahi-service.dtd">\n<!-- Written by unibos-firstboot for role ${role}. -->\n<service-group>\n  <name replace-wildcards="yes">UNIBOS %h</name>\n  <service>\n    <type>_unibos._tcp</type>\n    <port>${port}</port>\n    <txt-record>role=${role}</txt-record>${api}\n  </service>\n</service-group>\n`,
  );
}

function setHostname(paths: FirstBootPaths, name: string, explicit: boolean, say: JournalLine): string | undefined {
  // cloud-init's user-data may name the host (Raspberry Pi Imager writes `hostname:`): it wins
  // unless unibos.json names it too.
  const userData = join(paths.boot, 'user-data');
  if (!explicit && existsSync(userData) && /^\s*(hostname|fqdn)\s*:/m.test(readFileSync(userData, 'utf8'))) {
    say(6, 'the host name comes from cloud-init user-data; leaving it');
    return undefined;
  }
  writeFileSync(join(paths.etc, 'hostname'), `${name}\n`);
  const hostsFile = join(paths.etc, 'hosts');
  const hosts = existsSync(hostsFile) ? readFileSync(hostsFile, 'utf8') : '127.0.0.1\tlocalhost\n';
  const line = `127.0.1.1\t${name}`;
  writeFileSync(hostsFile, /^127\.0\.1\.1\s.*$/m.test(hosts) ? hosts.replace(/^127\.0\.1\.1\s.*$/m, line) : `${hosts.replace(/\n?$/, '\n')}${line}\n`);
  // Without this cloud-init would put its own idea of the name back at the next boot.
  const cloudCfg = join(paths.etc, 'cloud', 'cloud.cfg.d');
  if (existsSync(join(paths.etc, 'cloud'))) {
    mkdirSync(cloudCfg, { recursive: true });
    writeFileSync(join(cloudCfg, '99-unibos-hostname.cfg'), '# Written by unibos-firstboot: the host name is set from unibos.json.\npreserve_hostname: true\n');
  }
  if (paths.live) {
    try {
      writeFileSync('/proc/sys/kernel/hostname', name);
    } catch (err) {
      say(4, `could not set the running host name: ${(err as Error).message}`);
    }
  }
  return name;
}

function setUpWifi(paths: FirstBootPaths, wifi: NonNullable<BootConfig['wifi']>, say: JournalLine): void {
  const cmdline = join(paths.boot, 'cmdline.txt');
  if (existsSync(cmdline)) {
    // Raspberry Pi OS keeps the Wi-Fi country as a kernel argument.
    const args = readFileSync(cmdline, 'utf8').trim().split(/\s+/).filter((a) => a && !a.startsWith('cfg80211.ieee80211_regdom='));
    writeFileSync(cmdline, `${[...args, `cfg80211.ieee80211_regdom=${wifi.country}`].join(' ')}\n`);
  }
  if (!wifi.ssid) return;
  const networkConfig = join(paths.boot, 'network-config');
  if (existsSync(networkConfig) && /^\s*wifis\s*:/m.test(readFileSync(networkConfig, 'utf8'))) {
    say(4, 'Wi-Fi is set in cloud-init network-config too; that one is used and unibos.json wifi.ssid is ignored');
    return;
  }
  const dir = join(paths.etc, 'NetworkManager', 'system-connections');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const security = wifi.password ? `\n[wifi-security]\nkey-mgmt=wpa-psk\npsk=${keyfileString(wifi.password)}\n` : '';
  writeSecretFile(join(dir, 'unibos-wifi.nmconnection'), `[connection]\nid=unibos-wifi\ntype=wifi\nautoconnect=true\n\n[wifi]\nmode=infrastructure\nssid=${keyfileSsid(wifi.ssid)}\n${security}\n[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=auto\n`);
}

async function createHubAdmin(paths: FirstBootPaths, admin: { email: string; password: string; org?: string }, own: (p: string) => void, say: JournalLine): Promise<void> {
  const hubDir = join(paths.state, 'hub');
  try {
    const { createFirstAdmin } = await import('@unibos/controlplane');
    await createFirstAdmin({ dataDir: hubDir, email: admin.email, password: admin.password, ...(admin.org ? { orgName: admin.org } : {}) });
    say(6, `created the hub's first admin ${admin.email}`);
  } catch (err) {
    say(4, `hub admin not created: ${(err as Error).message}`);
  }
  for (const f of readdirSync(hubDir)) own(join(hubDir, f));
}

/** The claim unibos-claim.service makes once the network is up; false when there is none to make. */
function writeClaim(paths: FirstBootPaths, boot: BootConfig, own: (p: string) => void, say: JournalLine): boolean {
  const file = join(paths.state, 'device', 'claim.json');
  if (boot.role === 'hub') return false;
  const kind = boot.role === 'node' ? 'node' : 'gateway';
  const local = boot.role === 'gateway+hub';
  const hubApi = boot.hub?.url ?? (local ? 'http://127.0.0.1:8000' : undefined);
  const token = boot.hub?.claimToken;
  const admin = local && !token ? boot.hub?.admin : undefined;
  if (!hubApi || (!token && !admin)) {
    say(6, `no hub claim in unibos.json: claim later with 'sudo -u ${paths.user} unibos ${kind} claim --hub-api URL --token T --data-dir ${join(paths.state, 'device')}'`);
    return false;
  }
  writeSecretFile(file, `${JSON.stringify({ kind, hubApi, ...(token ? { token } : {}), ...(admin ? { admin: { email: admin.email, password: admin.password } } : {}), ...(boot.name ? { name: boot.name } : {}) }, null, 2)}\n`);
  own(file);
  return true;
}

/**
 * The card leaves the device's hands (it is readable anywhere): the file is overwritten before it
 * is removed, and what is kept says what was set without the secrets.
 */
function removeSecrets(file: string, boot: BootConfig): void {
  const applied = `${file}.applied`;
  writeFileSync(`${applied}.tmp`, `${JSON.stringify({ ...redactBootConfig(boot), appliedAtMs: Date.now() }, null, 2)}\n`);
  renameSync(`${applied}.tmp`, applied);
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(size, 0x20), 0, size, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  unlinkSync(file);
  // On FAT the removal is only a directory entry until written back: a power cut within seconds
  // would bring back a blanked unibos.json, read at the next boot as a broken file (LED blinking).
  fsyncDir(dirname(file));
}

/** Makes a directory's entries (a new, renamed or removed file) durable before going on. */
const OVERLAY_BLOCK = /^# >>> unibos: spi radio\n[\s\S]*?^# <<< unibos: spi radio\n/m;

/**
 * The SPI board's config.txt line (its chip select on a GPIO that is no hardware CE line), in a
 * block of our own that replaces an earlier board's; none for a board that needs none. True when
 * config.txt changed: the kernel reads it only at boot.
 */
function setBootOverlay(boot: string, board: string, say: JournalLine): boolean {
  const overlay = bootOverlayFor(board);
  const file = join(boot, 'config.txt');
  if (!existsSync(file)) {
    if (overlay) say(4, `no ${file}: add '${overlay}' to the boot partition's config.txt by hand, or the ${board}'s chip never answers`);
    return false;
  }
  const text = readFileSync(file, 'utf8');
  const without = text.replace(OVERLAY_BLOCK, '');
  const next = overlay ? `${without.replace(/\n?$/, '\n')}# >>> unibos: spi radio\n[all]\n${overlay}\n# <<< unibos: spi radio\n` : without;
  if (next === text) return false;
  // On the card before the rename: a power cut must leave the old config.txt or the whole new one,
  // never a name pointing at data never written (the UARTs and SPI go with it).
  writeFileDurably(file, next, 0o644);
  say(6, overlay ? `added '${overlay}' to ${file} for the ${board}; the device restarts once so that the kernel reads it` : `removed the SPI radio's line from ${file}; the device restarts once so that the kernel reads it`);
  return true;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** `unibos-` and the node id's 8 hex digits: `!1a2b3c4d` -> `unibos-1a2b3c4d`. */
function defaultHostnameFor(nodeId: string): string {
  return `unibos-${nodeId.replace(/^!/, '')}`;
}

/** The ACT LED: blinking fast means "unibos.json needs fixing"; back to SD-card activity when fine. */
function setLed(dir: string, state: 'error' | 'ok', say: JournalLine): void {
  if (!existsSync(join(dir, 'trigger'))) return;
  try {
    if (state === 'error') {
      writeFileSync(join(dir, 'trigger'), 'timer');
      writeFileSync(join(dir, 'delay_on'), '100');
      writeFileSync(join(dir, 'delay_off'), '100');
    } else if (/\[timer\]|^timer$/m.test(readFileSync(join(dir, 'trigger'), 'utf8'))) {
      writeFileSync(join(dir, 'trigger'), 'mmc0');
    }
  } catch (err) {
    say(4, `status LED ${dir}: ${(err as Error).message}`);
  }
}
