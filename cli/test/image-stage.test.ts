// pi-gen-config/stage-unibos applied, with pi-gen's semantics (images/test/apply-stage.sh), to a
// Debian root filesystem made by debootstrap --variant=minbase on this machine's own CPU (the base
// is cached outside the clone, in /var/cache/unibos), and then what a person flashing a card would
// rely on, checked inside it: the services enabled and accepted by systemd-analyze verify, a boot
// that waits for the network only while a claim waits (systemd's own initial transaction), `unibos`
// running on the installed Node, config.txt (as each Pi model reads it) and cmdline.txt edited, the
// journal capped, chrony reading the GPS through gpsd, and first boot against a broken
// unibos.json (reported, LED blinking, the node still starts) and a good one (identity, host name,
// Wi-Fi, claimed at a hub this test runs, secrets gone from the boot partition), and a bundle whose
// native addons were built for another Node ABI refused by the stage.
// Skipped, saying why, only where this machine cannot debootstrap (not root, no debootstrap, no
// Debian mirror).

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { buildBundle, packBundle } from '../image/bundle.ts';
import { HAT_GPS_PATH } from '../image/device-config.ts';
import { DEFAULT_PATHS } from '../image/first-boot.ts';
import { Proc, procs, unibos } from './support/processes.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const APPLY = join(REPO, 'images', 'test', 'apply-stage.sh');
const IN_ROOTFS = join(REPO, 'images', 'test', 'in-rootfs.sh');
const CACHE = process.env.UNIBOS_IMAGE_CACHE ?? '/var/cache/unibos';
const RELEASE = process.env.UNIBOS_STAGE_RELEASE ?? 'trixie';
const MIRROR = process.env.UNIBOS_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const STAGE_TIMEOUT_MS = 12 * 60_000;

const work = mkdtempSync(join(process.env.UNIBOS_IMAGE_WORK ?? '/var/tmp', 'unibos-stage-'));
const rootfs = join(work, 'rootfs');
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  // Nothing may stay mounted under the root filesystem; if something did, it is detached before the
  // tree is removed, so rm never walks into the host's /dev or /proc.
  for (const m of mountsUnder(rootfs).reverse()) spawnSync('umount', ['-l', m]);
  rmSync(work, { recursive: true, force: true });
});

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** Why this machine cannot run the test, or undefined. */
function cannotDebootstrap(): string | undefined {
  if (process.platform !== 'linux') return `this is ${process.platform}, not Linux`;
  if (process.getuid?.() !== 0) return 'needs root (debootstrap, chroot and mounts)';
  for (const tool of ['debootstrap', 'unshare', 'chroot', 'tar', 'dpkg']) if (!has(tool)) return `${tool} is not installed (apt-get install debootstrap)`;
  return undefined;
}

/** The cached minbase root filesystem (made once; later runs only unpack it). */
function baseTarball(debArch: string, diag: (s: string) => void): { path: string } | { skip: string } {
  const path = join(CACHE, `rootfs-${RELEASE}-${debArch}-minbase.tar`);
  if (existsSync(path)) return { path };
  mkdirSync(CACHE, { recursive: true });
  const scratch = mkdtempSync(join(CACHE, 'debootstrap-'));
  try {
    const started = Date.now();
    // systemd stands in for what pi-gen's stage0-2 bring: the stage enables units and verifies them.
    const run = spawnSync('debootstrap', ['--variant=minbase', `--arch=${debArch}`, '--include=systemd,systemd-sysv', RELEASE, join(scratch, 'root'), MIRROR], { encoding: 'utf8', timeout: 8 * 60_000 });
    if (run.status !== 0) return { skip: `this machine cannot debootstrap ${RELEASE} from ${MIRROR}: ${(run.stderr || run.stdout || String(run.error)).trim().split('\n').slice(-3).join(' | ')}` };
    execFileSync('tar', ['--numeric-owner', '-C', join(scratch, 'root'), '-cf', `${path}.tmp`, '.']);
    renameSync(`${path}.tmp`, path);
    diag(`debootstrapped ${RELEASE} ${debArch} minbase into the cache in ${Math.round((Date.now() - started) / 1000)} s: ${path}`);
    return { path };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface Run {
  code: number | null;
  out: string;
}

/** Runs a command to its end with a time limit, killing its whole process group at the limit. */
function runBounded(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => {
      out += `\n(killed after ${timeoutMs / 1000} s)`;
      process.kill(-child.pid!, 'SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

function inRoot(args: string[], timeoutMs = 120_000): Promise<Run> {
  return runBounded(IN_ROOTFS, [rootfs, ...args], {}, timeoutMs);
}

const asUnibos = (args: string[]): string[] => ['setpriv', '--reuid=unibos', '--regid=unibos', '--init-groups', ...args];

/**
 * The units systemd would start to reach `unit` from a cold boot of the image: its initial
 * transaction, worked out by the image's own systemd from the image's unit files and dumped without
 * running anything (`systemd --test --system`, which refuses to run as root).
 */
async function initialTransaction(unit: string): Promise<string[]> {
  const run = await inRoot(['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '/usr/lib/systemd/systemd', '--system', '--test', `--unit=${unit}`, '--no-pager']);
  assert.equal(run.code, 0, run.out.slice(-2000));
  const jobs = run.out.indexOf('-> By jobs:');
  assert.ok(jobs >= 0, `systemd --test listed its jobs: ${run.out.slice(-2000)}`);
  return [...run.out.slice(jobs).matchAll(/Action: (\S+) -> start/g)].map((m) => m[1]!);
}

/** A Raspberry Pi's reading of config.txt: the lines its model filters let through, in order. */
function configFor(config: string, filters: string[]): string[] {
  // Model filters only (config.txt's conditional filters): [all] lets every model read on, a model
  // filter only the models that see it; one model filter replaces the one before.
  const models = ['pi1', 'pi2', 'pi3', 'pi3+', 'pi4', 'pi400', 'cm4', 'cm4s', 'pi5', 'pi500', 'cm5', 'pi0', 'pi0w', 'pi02'];
  let reading = true;
  const read: string[] = [];
  for (const line of config.split('\n')) {
    const section = /^\[(.*)\]$/.exec(line.trim())?.[1];
    if (section === undefined) {
      if (reading && line.trim() && !line.startsWith('#')) read.push(line.trim());
      continue;
    }
    assert.ok(section === 'all' || models.includes(section), `a filter this reading knows: [${section}]`);
    reading = section === 'all' || filters.includes(section);
  }
  return read;
}

function uidOf(user: string): number {
  const line = readFileSync(join(rootfs, 'etc', 'passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  assert.ok(line, `user ${user} exists in the image`);
  return Number(line.split(':')[2]);
}

/** Every file under `dir`, as text (the boot partition is small). */
function allText(dir: string): string {
  let text = '';
  for (const e of readdirSync(dir, { withFileTypes: true })) text += e.isDirectory() ? allText(join(dir, e.name)) : readFileSync(join(dir, e.name), 'utf8');
  return text;
}

test('stage-unibos on a debootstrapped root filesystem: units, Node, boot files, first boot and the claim', { timeout: 25 * 60_000 }, async (t) => {
  const why = cannotDebootstrap();
  if (why) {
    t.skip(`skipped: ${why}`);
    return;
  }
  const debArch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const nodeArch = { amd64: 'x64', arm64: 'arm64' }[debArch];
  if (!nodeArch) {
    t.skip(`skipped: no UNIBOS bundle for ${debArch}`);
    return;
  }
  const base = baseTarball(debArch, (s) => t.diagnostic(s));
  if ('skip' in base) {
    t.skip(`skipped: ${base.skip}`);
    return;
  }
  t.diagnostic(`applying stage-unibos to a debootstrapped ${RELEASE} ${debArch} minbase root filesystem (native ${debArch}, not the image's arm64)`);

  // The previous stage's result, as pi-gen's copy_previous would leave it, plus the boot files
  // pi-gen's stage1 writes.
  mkdirSync(rootfs);
  execFileSync('tar', ['--numeric-owner', '-C', rootfs, '-xf', base.path]);
  mkdirSync(join(rootfs, 'boot', 'firmware'), { recursive: true });
  writeFileSync(join(rootfs, 'boot', 'firmware', 'config.txt'), '# For more options and information see\n# http://rptl.io/configtxt\ndtparam=audio=on\ncamera_auto_detect=1\n\n[all]\n');
  writeFileSync(join(rootfs, 'boot', 'firmware', 'cmdline.txt'), 'console=serial0,115200 console=tty1 root=PARTUUID=12345678-02 rootfstype=ext4 fsck.repair=yes rootwait cfg80211.ieee80211_regdom=GB\n');

  // The stage as images/build.sh lays it out: a copy, with the bundle for this CPU in files/.
  const stage = join(work, 'stage-unibos');
  cpSync(join(REPO, 'pi-gen-config', 'stage-unibos'), stage, { recursive: true, dereference: true });
  const bundle = await buildBundle({ outDir: join(work, 'bundle'), arch: nodeArch });
  packBundle(bundle.outDir, join(stage, '01-unibos', 'files', 'unibos-bundle.tar.gz'));
  if (RELEASE !== 'trixie') {
    // As images/build.sh does for releases whose Node is older than 20 (UNIBOS_STAGE_RELEASE=bookworm).
    const nodeVersion = /UNIBOS_NODE_VERSION:-([0-9.]+)/.exec(readFileSync(join(REPO, 'pi-gen-config', 'config'), 'utf8'))![1]!;
    execFileSync('npm', ['pack', '--silent', `node-linux-${nodeArch}@${nodeVersion}`], { cwd: join(stage, '01-unibos', 'files') });
    renameSync(join(stage, '01-unibos', 'files', `node-linux-${nodeArch}-${nodeVersion}.tgz`), join(stage, '01-unibos', 'files', `node-linux-${nodeArch}.tgz`));
  }

  const started = Date.now();
  const applied = await runBounded(APPLY, [rootfs, stage, join(REPO, 'pi-gen-config', 'config')], { ARCH: debArch, RELEASE, APT_ARCHIVES: join(CACHE, `apt-${RELEASE}-${debArch}`) }, STAGE_TIMEOUT_MS);
  t.diagnostic(`stage applied in ${Math.round((Date.now() - started) / 1000)} s`);
  assert.equal(applied.code, 0, applied.out.slice(-4000));
  assert.deepEqual(mountsUnder(rootfs), [], 'every mount inside the root filesystem is gone once the stage has run');

  await t.test('the services are enabled and systemd-analyze verify accepts them', async () => {
    // The claim service is started by its path unit, not enabled itself.
    const units = ['unibos-firstboot.service', 'unibos-claim.path', 'unibos-node.service', 'unibos-gateway.service', 'unibos-hub.service'];
    const enabled = await inRoot(['systemctl', 'is-enabled', ...units]);
    assert.equal(enabled.code, 0, enabled.out);
    assert.deepEqual(enabled.out.trim().split('\n'), units.map(() => 'enabled'));
    const verify = await inRoot(['systemd-analyze', 'verify', ...[...units, 'unibos-claim.service'].map((u) => `/etc/systemd/system/${u}`)]);
    assert.equal(verify.code, 0, verify.out);
    assert.doesNotMatch(verify.out, /unibos-[a-z]+\.(service|path):\d+:/, `no complaint about our units: ${verify.out}`);
    const unit = readFileSync(join(rootfs, 'etc', 'systemd', 'system', 'unibos-node.service'), 'utf8');
    for (const line of ['User=unibos', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'StateDirectory=unibos', 'WatchdogSec=', 'Restart=', 'Type=notify']) assert.ok(unit.includes(line), `unibos-node.service has ${line}`);
    const groups = await inRoot(['id', '-nG', 'unibos']);
    for (const g of ['gpio', 'spi', 'dialout']) assert.ok(groups.out.split(/\s+/).includes(g), `unibos is in ${g}: ${groups.out}`);
    assert.ok(existsSync(join(rootfs, 'etc', 'avahi', 'services', 'unibos.service')), 'advertised over mDNS');
    assert.match(readFileSync(join(rootfs, 'etc', 'avahi', 'services', 'unibos.service'), 'utf8'), /_unibos\._tcp/);
    const gpio = await inRoot(['sh', '-c', 'command -v gpioset && command -v gpiomon']);
    assert.equal(gpio.code, 0, `the SPI radios' GPIO tools are installed: ${gpio.out}`);
  });

  await t.test('a device boots without waiting for the network; only a waiting claim waits for it', async () => {
    // Off-grid there is no network: whatever brings network-online.target into the boot makes
    // multi-user.target wait for NetworkManager-wait-online to give up. ConditionPathExists= does not
    // help there: systemd queues a unit's dependencies long before it checks its conditions.
    const boot = await initialTransaction('multi-user.target');
    assert.ok(!boot.includes('network-online.target'), `the boot brings in no network-online.target: ${boot.join(' ')}`);
    for (const unit of ['unibos-firstboot.service', 'unibos-node.service', 'unibos-claim.path']) assert.ok(boot.includes(unit), `the boot starts ${unit}: ${boot.join(' ')}`);
    assert.ok(!boot.includes('unibos-claim.service'), 'the claim is not part of the boot');
    // When first boot leaves a claim, the path unit starts the claim, which does wait for the network.
    const path = readFileSync(join(rootfs, 'etc', 'systemd', 'system', 'unibos-claim.path'), 'utf8');
    assert.equal(/^PathExists=(.*)$/m.exec(path)?.[1], join(DEFAULT_PATHS.state, 'device', 'claim.json'), 'the path unit watches the file first boot writes');
    assert.equal(/^Unit=(.*)$/m.exec(path)?.[1], 'unibos-claim.service');
    const claim = await initialTransaction('unibos-claim.service');
    assert.ok(claim.includes('network-online.target'), `the claim waits for the network: ${claim.join(' ')}`);
  });

  await t.test('unibos runs with the installed Node', async (t) => {
    const version = await inRoot(['unibos', '--version']);
    assert.equal(version.code, 0, version.out);
    // The release's Node, or the official build the stage installed where the release's is too old.
    const installed = existsSync(join(rootfs, 'opt', 'unibos', 'node', 'bin', 'node')) ? '/opt/unibos/node/bin/node' : '/usr/bin/node';
    t.diagnostic(`Node.js in the image: ${installed}`);
    const nodeVersion = (await inRoot([installed, '--version'])).out.trim();
    assert.match(version.out, new RegExp(`^unibos \\d+\\.\\d+\\.\\d+ \\(node ${nodeVersion.replace(/\./g, '\\.')}, linux-${nodeArch}\\)`));
    assert.ok(Number(nodeVersion.slice(1).split('.')[0]) >= 20, `Node ${nodeVersion} is 20 or newer`);
    assert.ok(!existsSync(join(rootfs, 'opt', 'unibos', 'app', 'node_modules', 'tsx')), 'no TypeScript tooling in the image');
  });

  await t.test('config.txt turns on the UARTs and SPI; cmdline.txt has no serial console', () => {
    const config = readFileSync(join(rootfs, 'boot', 'firmware', 'config.txt'), 'utf8');
    assert.match(config, /^enable_uart=1$/m);
    assert.match(config, /^dtparam=spi=on$/m);
    assert.match(config, /^dtparam=audio=on$/m, 'what was there stays');
    // What each Pi reads (the filters each model sees, from config.txt's conditional filters): the
    // modem's UART on GPIO 14/15 everywhere; Bluetooth off where it holds that UART (Pi 3, Zero 2 W,
    // Pi 4), kept on a Pi 5, whose GPIO 14/15 is uart0 (ttyAMA0); the GPS's UART on GPIO 4/5 of a Pi 4 and 5.
    const models: [string, string[], string[]][] = [
      ['Pi 3 Model B', ['pi3'], []],
      ['Pi 3 Model B+', ['pi3', 'pi3+'], []],
      ['Zero 2 W', ['pi0', 'pi0w', 'pi02'], []],
      ['Pi 4 Model B', ['pi4'], ['dtoverlay=uart3']],
      ['Pi 400', ['pi4', 'pi400'], ['dtoverlay=uart3']],
      ['Pi 5', ['pi5'], ['dtparam=uart0=on', 'dtoverlay=uart2-pi5']],
      ['Pi 500', ['pi5', 'pi500'], ['dtparam=uart0=on', 'dtoverlay=uart2-pi5']],
      ['Compute Module 5', ['pi5', 'cm5'], ['dtparam=uart0=on', 'dtoverlay=uart2-pi5']],
    ];
    for (const [model, filters, uarts] of models) {
      const read = configFor(config, filters);
      for (const line of ['enable_uart=1', 'dtparam=spi=on', ...uarts]) assert.ok(read.includes(line), `a ${model} reads ${line}: ${read.join(' ')}`);
      const pi5 = filters.includes('pi5');
      assert.equal(read.includes('dtoverlay=disable-bt'), !pi5, `a ${model} ${pi5 ? 'keeps' : 'turns off'} Bluetooth: ${read.join(' ')}`);
      if (!pi5) assert.ok(!read.includes('dtparam=uart0=on') && !read.includes('dtoverlay=uart2-pi5'), `no Pi 5 lines on a ${model}`);
      if (!filters.includes('pi4')) assert.ok(!read.includes('dtoverlay=uart3'), `no Pi 4 GPS UART on a ${model}`);
    }
    // Those GPS UARTs under the one name first boot gives gpsd, whatever ttyAMA number the kernel picks.
    const rules = readFileSync(join(rootfs, 'etc', 'udev', 'rules.d', '90-unibos-gps.rules'), 'utf8');
    for (const uart of ['fe201600.serial', '1f00038000.serial']) assert.match(rules, new RegExp(`^SUBSYSTEM=="tty", KERNELS=="${uart.replace('.', '\\.')}", SYMLINK\\+="${HAT_GPS_PATH.replace('/dev/', '')}"$`, 'm'));
    const cmdline = readFileSync(join(rootfs, 'boot', 'firmware', 'cmdline.txt'), 'utf8');
    assert.equal(cmdline.split('\n').filter(Boolean).length, 1, 'cmdline.txt stays one line');
    assert.doesNotMatch(cmdline, /console=serial0/);
    assert.match(cmdline, /console=tty1 root=PARTUUID=12345678-02 .*rootwait/);
  });

  await t.test('the journal is capped on the card, and chrony takes the time from gpsd when there is no NTP', async () => {
    // systemd's own reading of journald.conf and its drop-ins, inside the image.
    const journald = await inRoot(['systemd-analyze', 'cat-config', 'systemd/journald.conf']);
    assert.equal(journald.code, 0, journald.out);
    const last = (key: string): string | undefined => [...journald.out.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].at(-1)?.[1];
    assert.equal(last('Storage'), 'persistent');
    assert.equal(last('SystemMaxUse'), '64M', journald.out);
    // chronyd -p prints the configuration it would run with, drop-ins included, and exits.
    const chrony = await inRoot(['chronyd', '-p']);
    assert.equal(chrony.code, 0, chrony.out);
    assert.match(chrony.out, /^refclock SHM 0 refid GPS\b/m, chrony.out);
    const enabled = await inRoot(['systemctl', 'is-enabled', 'chrony.service']);
    assert.equal(enabled.out.trim(), 'enabled', enabled.out);
  });

  const bootDir = join(rootfs, 'boot', 'firmware');
  const deviceDir = join(rootfs, 'var', 'lib', 'unibos', 'device');

  await t.test('a broken unibos.json is reported, blinks the LED, and the node still starts with safe defaults', async () => {
    writeFileSync(join(bootDir, 'unibos.json'), '{ "version": 1, "role": "gatway", "radio": { "board": "rak3172-hat", "region": "EU868" }, "hub": { "url": "http://hub.local:8000", "claimToken": "0123456789abcdef" } }\n');
    mkdirSync(join(rootfs, 'run-led'), { recursive: true });
    writeFileSync(join(rootfs, 'run-led', 'trigger'), 'none [mmc0] timer heartbeat');
    const boot = await inRoot(['unibos', 'image', 'firstboot', '--led', '/run-led']);
    assert.equal(boot.code, 0, `first boot does not fail the boot: ${boot.out}`);
    assert.match(boot.out, /^<3>.*E_BOOT_CONFIG.*role: must be one of node, gateway, hub, gateway\+hub \(got "gatway"\)/m, 'the journal names the key at error priority');
    assert.equal(readFileSync(join(rootfs, 'run-led', 'trigger'), 'utf8'), 'timer', 'the status LED blinks');
    assert.ok(existsSync(join(rootfs, 'var', 'lib', 'unibos', 'roles', 'node')), 'the node service will run');
    assert.ok(existsSync(join(bootDir, 'unibos.json')), 'the file stays for the person to fix');
    const config = JSON.parse(readFileSync(join(deviceDir, 'config.json'), 'utf8')) as { role: string; region: string; radio: { type: string } };
    assert.deepEqual([config.role, config.region, config.radio.type], ['CLIENT', 'NONE', 'none'], "the image's safe defaults: built with no region, nothing on air");
    assert.match(boot.out, /Starting as a node with the image's defaults, which name no region: its radio is off \(nothing goes on air until a good unibos\.json is applied\)/);
    const node = new Proc([rootfs, ...asUnibos(['unibos', 'node', '--data-dir', '/var/lib/unibos/device', '--http-port', '0'])], {}, IN_ROOTFS);
    await node.waitFor((l) => l.msg === 'node started', 'the node to start in the image', 0, 60_000);
    await node.stop();
  });

  await t.test('a good unibos.json: identity, host name, Wi-Fi, claimed at the hub, secrets gone from the boot partition', async () => {
    const hubDir = join(work, 'hub');
    const passwordFile = join(work, 'admin-password');
    writeFileSync(passwordFile, 'a long enough password\n', { mode: 0o600 });
    const init = await unibos(['hub', 'init', '--email', 'ops@example.org', '--password-file', passwordFile, '--data-dir', hubDir]);
    assert.equal(init.code, 0, init.stderr);
    const hub = new Proc(['hub', '--data-dir', hubDir, '--port', '0', '--mqtt-port', '0']);
    const url = String((await hub.waitFor((l) => l.msg === 'hub ready', 'the hub')).url);
    const login = (await (await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ops@example.org', password: 'a long enough password' }) })).json()) as { accessToken: string };
    const authed = { 'content-type': 'application/json', authorization: `Bearer ${login.accessToken}` };
    const { token } = (await (await fetch(`${url}/api/v1/claim-tokens`, { method: 'POST', headers: authed, body: JSON.stringify({ kind: 'gateway' }) })).json()) as { token: string };

    const channelKey = randomBytes(16).toString('base64');
    const wifiPassword = `wifi-${randomBytes(6).toString('hex')}`;
    const file = { version: 1, role: 'gateway', name: 'Valley gateway', radio: { board: 'sim', region: 'EU868', air: '127.0.0.1:9' }, channel: { name: 'Valley', key: channelKey }, hub: { url, claimToken: token }, wifi: { country: 'DE', ssid: 'valley-net', password: wifiPassword } };
    writeFileSync(join(bootDir, 'unibos.json'), JSON.stringify(file, null, 2));
    const boot = await inRoot(['unibos', 'image', 'firstboot', '--led', '/run-led']);
    assert.equal(boot.code, 0, boot.out);
    assert.doesNotMatch(boot.out, /^<3>/m, boot.out);
    assert.equal(readFileSync(join(rootfs, 'run-led', 'trigger'), 'utf8'), 'mmc0', 'the LED is back to normal');

    const identity = JSON.parse(readFileSync(join(deviceDir, 'identity.json'), 'utf8')) as { nodeId: string };
    const st = statSync(join(deviceDir, 'identity.json'));
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.uid, uidOf('unibos'), 'the identity belongs to the service user');
    const suffix = identity.nodeId.replace(/^!/, '');
    assert.equal(readFileSync(join(rootfs, 'etc', 'hostname'), 'utf8').trim(), `unibos-${suffix}`);
    assert.match(readFileSync(join(rootfs, 'etc', 'hosts'), 'utf8'), new RegExp(`^127\\.0\\.1\\.1\\s+unibos-${suffix}$`, 'm'));
    assert.ok(existsSync(join(rootfs, 'var', 'lib', 'unibos', 'roles', 'gateway')) && !existsSync(join(rootfs, 'var', 'lib', 'unibos', 'roles', 'node')), 'the gateway service runs instead of the node');
    const wifi = join(rootfs, 'etc', 'NetworkManager', 'system-connections', 'unibos-wifi.nmconnection');
    assert.equal(statSync(wifi).mode & 0o777, 0o600);
    assert.match(readFileSync(wifi, 'utf8'), /^ssid=valley-net$/m);
    assert.match(readFileSync(join(bootDir, 'cmdline.txt'), 'utf8'), /cfg80211\.ieee80211_regdom=DE\n$/);
    const config = JSON.parse(readFileSync(join(deviceDir, 'config.json'), 'utf8')) as { role: string; channel: { psk: string } };
    assert.equal(config.role, 'GATEWAY');
    assert.equal(config.channel.psk, channelKey, 'the channel key moved into the device state');

    // The secrets are off the card at once, before any claim.
    assert.ok(!existsSync(join(bootDir, 'unibos.json')));
    assert.ok(existsSync(join(bootDir, 'unibos.json.applied')));
    const onCard = allText(bootDir);
    for (const secret of [token, channelKey, wifiPassword]) assert.ok(!onCard.includes(secret), 'no secret left on the boot partition');

    const claim = await inRoot(asUnibos(['unibos', 'image', 'claim', '--state', '/var/lib/unibos']));
    assert.equal(claim.code, 0, claim.out);
    assert.ok(!existsSync(join(deviceDir, 'claim.json')), 'the spent token is gone');
    assert.equal(statSync(join(deviceDir, 'hub.json')).mode & 0o777, 0o600);
    const entry = (await (await fetch(`${url}/api/v1/nodes/${encodeURIComponent(identity.nodeId)}`, { headers: authed })).json()) as { claimed: boolean; name: string };
    assert.equal(entry.claimed, true, 'the hub lists the gateway as its own');
    await hub.stop();
  });

  // Last: it replaces the installed bundle.
  await t.test("a bundle whose addons were built for another Node's ABI stops the stage, naming both ABIs", async () => {
    // As if built with Node 22 (ABI 127) for an image that runs Node 20, or the other way round:
    // `unibos --version` would still work, the first database open would not.
    const foreignAbi = process.versions.modules === '127' ? '115' : '127';
    const pkgFile = join(bundle.outDir, 'package.json');
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { bundle: { nodeAbi: string } };
    assert.ok(pkg.bundle.nodeAbi, 'the bundle records the ABI of the Node that built it');
    pkg.bundle.nodeAbi = foreignAbi;
    writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
    const sum = createHash('sha256').update(readFileSync(pkgFile)).digest('hex');
    const sumsFile = join(bundle.outDir, 'SHA256SUMS');
    writeFileSync(sumsFile, readFileSync(sumsFile, 'utf8').replace(/^[0-9a-f]{64} {2}package\.json$/m, `${sum}  package.json`));
    const foreign = join(work, 'stage-foreign-abi');
    mkdirSync(foreign);
    cpSync(join(stage, 'prerun.sh'), join(foreign, 'prerun.sh'));
    cpSync(join(stage, '01-unibos'), join(foreign, '01-unibos'), { recursive: true });
    packBundle(bundle.outDir, join(foreign, '01-unibos', 'files', 'unibos-bundle.tar.gz'));

    const run = await runBounded(APPLY, [rootfs, foreign, join(REPO, 'pi-gen-config', 'config')], { ARCH: debArch, RELEASE }, STAGE_TIMEOUT_MS);
    assert.notEqual(run.code, 0, run.out.slice(-2000));
    const installed = existsSync(join(rootfs, 'opt', 'unibos', 'node', 'bin', 'node')) ? '/opt/unibos/node/bin/node' : '/usr/bin/node';
    const imageAbi = (await inRoot([installed, '-p', 'process.versions.modules'])).out.trim();
    assert.match(run.out, new RegExp(`stage-unibos: the bundle's native addons were built for Node ABI ${foreignAbi}, but the image's Node v[0-9.]+ has ABI ${imageAbi}:`), run.out.slice(-2000));
    assert.deepEqual(mountsUnder(rootfs), [], 'the failed stage left nothing mounted');
  });
});
