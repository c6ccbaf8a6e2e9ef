// unibos.json as the person flashing a card meets it: `unibos image config` writes one the device
// accepts (from flags, or by asking in a terminal) and refuses to write one it would reject; the
// JSON Schema and the device's own parser agree on the example and on broken files; and first
// boot on a plain directory tree leaves cloud-init's settings alone and sets up a gateway+hub.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { LORA_PRESETS, REGIONS, formatNodeId, nodeIdFromPublicKey, rawPublicKey } from '@unibos/mesh-protocol';
import { loadNodeConfig } from '@unibos/firmware';
import { BOARDS, formatProblems, parseBootConfig } from '../image/boot-config.ts';
import { firstBoot } from '../image/first-boot.ts';
import { MIN_PASSWORD_LENGTH } from '@unibos/credentials';
import { Terminal, unibos } from './support/processes.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const schema = JSON.parse(readFileSync(join(REPO, 'pi-gen-config', 'unibos.schema.json'), 'utf8')) as Record<string, any>;
const example = readFileSync(join(REPO, 'pi-gen-config', 'unibos.example.json'), 'utf8');
const validate = new Ajv2020({ allErrors: true }).compile(schema);
const root = mkdtempSync(join(tmpdir(), 'unibos-image-config-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the schema and the device agree: the example is valid, broken files are refused by both', () => {
  assert.ok(validate(JSON.parse(example)), JSON.stringify(validate.errors));
  assert.equal(parseBootConfig(example).ok, true);
  assert.deepEqual(schema.properties.radio.properties.region.enum, Object.keys(REGIONS).filter((r) => r !== 'NONE'), 'the schema lists the regions the runtime knows, but NONE, which has no limits');
  assert.deepEqual(schema.properties.radio.properties.preset.enum, Object.keys(LORA_PRESETS));
  assert.deepEqual(schema.properties.radio.properties.board.enum, BOARDS, 'the schema lists every board the device takes, the SPI ones the runtime knows among them');
  assert.equal(schema.properties.hub.properties.admin.properties.password.minLength, MIN_PASSWORD_LENGTH, "the schema asks for the hub's own password minimum");
  const good = JSON.parse(example) as Record<string, any>;
  const broken: Array<[string, (f: Record<string, any>) => void]> = [
    ['role', (f) => (f.role = 'gatway')],
    ['radio.region', (f) => (f.radio.region = 'EU869')],
    ['radio.region', (f) => (f.radio.region = 'NONE')],
    ['radio.board', (f) => (f.radio.board = 'rak4631')],
    ['radio.txPowerDbm', (f) => (f.radio.txPowerDbm = 40)],
    ['channel.key', (f) => (f.channel.key = 'not base64!')],
    ['hub.url', (f) => (f.hub.url = 'hub.local:8000')],
    ['wifi.country', (f) => (f.wifi.country = 'de')],
    ['wifi.password', (f) => (f.wifi.password = 'short')],
    ['radio', (f) => delete f.radio],
    ['colour', (f) => (f.colour = 'blue')],
    ['version', (f) => (f.version = 2)],
  ];
  for (const [key, breakIt] of broken) {
    const file = structuredClone(good);
    breakIt(file);
    assert.equal(validate(file), false, `the schema refuses a bad ${key}`);
    const parsed = parseBootConfig(JSON.stringify(file));
    assert.equal(parsed.ok, false, `the device refuses a bad ${key}`);
    if (!parsed.ok) assert.ok(parsed.problems.some((p) => p.key === key || p.key.startsWith(`${key}.`)), `the device names ${key}: ${JSON.stringify(parsed.problems)}`);
  }
  const notJson = parseBootConfig('{ "role": "node", ');
  assert.equal(notJson.ok, false);
});

test('unibos image config writes a file the device accepts, and refuses one it would not', async () => {
  const boot = join(root, 'boot');
  mkdirSync(boot);
  const written = await unibos(['image', 'config', '--boot', boot, '--role', 'gateway', '--board', 'rak3172-hat', '--region', 'US915', '--name', 'Ridge gateway', '--channel', 'Ridge', '--channel-key', 'new', '--hub-url', 'http://hub.local:8000', '--claim-token', 'a-claim-token-from-the-hub']);
  assert.equal(written.code, 0, written.stderr);
  const text = readFileSync(join(boot, 'unibos.json'), 'utf8');
  assert.ok(validate(JSON.parse(text)), JSON.stringify(validate.errors));
  const parsed = parseBootConfig(text);
  assert.ok(parsed.ok);
  assert.equal(Buffer.from(parsed.config.channel!.key!, 'base64').length, 16, 'a new random channel key');
  assert.match(written.stdout, new RegExp(`new channel key: ${parsed.config.channel!.key!.replace(/[+/]/g, '\\$&')}`), 'the key is shown so the other devices can get it');
  assert.equal(statSync(join(boot, 'unibos.json')).mode & 0o777, 0o600);

  const again = await unibos(['image', 'config', '--boot', boot, '--role', 'node', '--board', 'sim', '--region', 'EU868']);
  assert.equal(again.code, 2, 'an existing file is not overwritten without --force');
  const bad = await unibos(['image', 'config', '--out', join(root, 'bad.json'), '--role', 'node', '--board', 'rak3172-hat', '--region', 'EU999']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /radio\.region: must be one of EU868/);
  assert.ok(!existsSync(join(root, 'bad.json')), 'nothing written');
});

test('unibos image config asks for what the flags left out when run in a terminal', { timeout: 60_000 }, async (t) => {
  const out = join(root, 'asked.json');
  // `script` gives the command a terminal, as a person at a keyboard has.
  const child = spawn('script', ['-qec', `${process.execPath} ${join(REPO, 'bin', 'unibos.js')} image config --out ${out}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  if (!child.pid) {
    t.skip('skipped: util-linux script is not installed');
    return;
  }
  let screen = '';
  const answers: Array<[RegExp, string]> = [
    [/role \(/, 'node'],
    [/radio board/, ''],
    [/region/, 'ANZ'],
    [/name on the mesh/, 'Shepherd'],
    [/channel name/, ''],
    [/channel key/, ''],
    [/hub address/, ''],
    [/Wi-Fi country/, 'NZ'],
    [/Wi-Fi network name/, ''],
  ];
  child.stdout.on('data', (c: Buffer) => {
    screen += c.toString();
    const next = answers[0];
    if (next && next[0].test(screen)) {
      answers.shift();
      screen = '';
      child.stdin.write(`${next[1]}\r`);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, screen);
  const parsed = parseBootConfig(readFileSync(out, 'utf8'));
  assert.ok(parsed.ok);
  assert.deepEqual([parsed.config.role, parsed.config.radio.board, parsed.config.radio.region, parsed.config.name, parsed.config.wifi?.country], ['node', 'rak3172-hat', 'ANZ', 'Shepherd', 'NZ']);
});

test('first boot leaves cloud-init its host name and Wi-Fi, and makes the first admin of a gateway+hub', async () => {
  const dir = join(root, 'coexist');
  const paths = { boot: join(dir, 'boot'), state: join(dir, 'state'), etc: join(dir, 'etc'), led: join(dir, 'led'), user: 'unibos', live: false };
  for (const d of [paths.boot, paths.etc]) mkdirSync(d, { recursive: true });
  writeFileSync(join(paths.etc, 'hostname'), 'raspberrypi\n');
  writeFileSync(join(paths.boot, 'user-data'), '#cloud-config\nhostname: ridge-hub\nusers:\n  - name: ops\n');
  writeFileSync(join(paths.boot, 'network-config'), 'network:\n  version: 2\n  wifis:\n    wlan0:\n      access-points:\n        "ridge-net": { password: "from cloud-init" }\n');
  writeFileSync(join(paths.boot, 'cmdline.txt'), 'console=tty1 root=PARTUUID=1-02 rootwait\n');
  writeFileSync(
    join(paths.boot, 'unibos.json'),
    JSON.stringify({ version: 1, role: 'gateway+hub', radio: { board: 'sim', region: 'EU868' }, hub: { admin: { email: 'ops@example.org', password: 'a long enough password' } }, wifi: { country: 'NZ', ssid: 'other-net', password: 'not this one' } }),
  );
  const said: string[] = [];
  const result = await firstBoot(paths, (p, m) => said.push(`<${p}>${m}`));
  assert.equal(result.ok, true, said.join('\n'));
  assert.equal(readFileSync(join(paths.etc, 'hostname'), 'utf8'), 'raspberrypi\n', "cloud-init's user-data names the host");
  assert.ok(!existsSync(join(paths.etc, 'NetworkManager', 'system-connections', 'unibos-wifi.nmconnection')), "cloud-init's network-config brings up Wi-Fi");
  assert.ok(said.some((l) => /network-config/.test(l)), 'and the journal says why');
  assert.match(readFileSync(join(paths.boot, 'cmdline.txt'), 'utf8'), /cfg80211\.ieee80211_regdom=NZ/);
  assert.ok(existsSync(join(paths.state, 'roles', 'gateway')) && existsSync(join(paths.state, 'roles', 'hub')));
  assert.ok(said.some((l) => /created the hub's first admin ops@example\.org/.test(l)), said.join('\n'));
  const claim = JSON.parse(readFileSync(join(paths.state, 'device', 'claim.json'), 'utf8')) as { kind: string; hubApi: string };
  assert.deepEqual([claim.kind, claim.hubApi], ['gateway', 'http://127.0.0.1:8000'], 'the gateway claims itself at the hub beside it');
  assert.ok(!readFileSync(join(paths.boot, 'unibos.json.applied'), 'utf8').includes('a long enough password'));
});

test("the image's default board runs the SOS button, LED and buzzer through gpiod, which the unprivileged unibos user can use", async () => {
  // No unibos.json on the boot partition: the safe defaults, the rak3172-hat board.
  const dir = join(root, 'default-board');
  const paths = { boot: join(dir, 'boot'), state: join(dir, 'state'), etc: join(dir, 'etc'), led: join(dir, 'led'), user: 'unibos', live: false };
  for (const d of [paths.boot, paths.etc]) mkdirSync(d, { recursive: true });
  const said: string[] = [];
  const result = await firstBoot(paths, (p, m) => said.push(`<${p}>${m}`));
  assert.equal(result.ok, true, said.join('\n'));
  const file = join(paths.state, 'device', 'config.json');
  const written = JSON.parse(readFileSync(file, 'utf8')) as { gpio?: { type?: string } };
  // raspi-io (pigpio) needs root, and unibos-node.service runs as User=unibos with no capabilities.
  assert.equal(written.gpio?.type, 'gpiod');
  assert.equal(loadNodeConfig({ file, env: {} }).gpio.type, 'gpiod', 'and the runtime accepts it');
});

/** A first boot on a plain directory tree, on the Raspberry Pi `model` names (as its device tree says it). */
async function bootOn(name: string, model: string | undefined, unibosJson?: Record<string, unknown>, imageDefaults?: Record<string, unknown>, configTxt?: string) {
  const dir = join(root, name);
  const paths = { boot: join(dir, 'boot'), state: join(dir, 'state'), etc: join(dir, 'etc'), led: join(dir, 'led'), user: 'unibos', live: false, model: join(dir, 'model') };
  for (const d of [paths.boot, join(paths.etc, 'default')]) mkdirSync(d, { recursive: true });
  // As the image has them: pi-gen's host name, Debian's gpsd defaults.
  writeFileSync(join(paths.etc, 'hostname'), 'unibos\n');
  writeFileSync(join(paths.etc, 'default', 'gpsd'), '# Devices gpsd should collect to at boot time.\nDEVICES=""\n\n# Other options you want to pass to gpsd\nGPSD_OPTIONS=""\n\nUSBAUTO="true"\n');
  if (model !== undefined) writeFileSync(paths.model, `${model}\0`);
  if (unibosJson) writeFileSync(join(paths.boot, 'unibos.json'), JSON.stringify(unibosJson));
  if (configTxt !== undefined) writeFileSync(join(paths.boot, 'config.txt'), configTxt);
  if (imageDefaults) {
    mkdirSync(join(paths.etc, 'unibos'), { recursive: true });
    writeFileSync(join(paths.etc, 'unibos', 'unibos.defaults.json'), JSON.stringify(imageDefaults));
  }
  const said: string[] = [];
  const result = await firstBoot(paths, (p, m) => said.push(`<${p}>${m}`));
  const config = JSON.parse(readFileSync(join(paths.state, 'device', 'config.json'), 'utf8')) as { radio: { type?: string; serialPath?: string } };
  return { paths, result, said, config, gpsd: readFileSync(join(paths.etc, 'default', 'gpsd'), 'utf8') };
}

test("the HAT's modem is on GPIO 14/15: /dev/ttyAMA0 on a Raspberry Pi 5 (serial0 is its debug connector), /dev/serial0 on a Pi 4", async () => {
  const hat = { version: 1, role: 'node', radio: { board: 'rak3172-hat', region: 'EU868' } };
  const pi5 = await bootOn('pi5', 'Raspberry Pi 5 Model B Rev 1.0', hat);
  assert.equal(pi5.config.radio.serialPath, '/dev/ttyAMA0');
  const pi4 = await bootOn('pi4', 'Raspberry Pi 4 Model B Rev 1.5', hat);
  assert.equal(pi4.config.radio.serialPath, '/dev/serial0');
});

test('a card no one has set up puts nothing on air: no unibos.json, or a broken one, starts the node with its radio off, and says so at every boot', async () => {
  const { paths, result, said, config } = await bootOn('no-region', 'Raspberry Pi 4 Model B Rev 1.5');
  assert.equal(result.source, 'defaults');
  assert.deepEqual(config.radio, { type: 'none' }, 'no region was ever said, so no radio');
  const node = loadNodeConfig({ file: join(paths.state, 'device', 'config.json'), env: {} });
  assert.equal(node.radio.type, 'none', 'and the node accepts it');
  assert.equal(node.gps.type, 'gpsd', "the HAT's GPS still works");
  assert.ok(said.some((l) => /^<6>no .*unibos\.json: starting as a node with the image's defaults, which name no region: its radio is off \(nothing goes on air until a good unibos\.json is applied\)$/.test(l)), said.join('\n'));

  // A typo'd file on the next boot: the settings kept are still the image's, and the journal does not call them the last good file's.
  writeFileSync(join(paths.boot, 'unibos.json'), JSON.stringify({ version: 1, role: 'node', radio: { board: 'rak3172-hat', region: 'US-915' } }));
  const heard: string[] = [];
  const again = await firstBoot(paths, (p, m) => heard.push(`<${p}>${m}`));
  assert.equal(again.ok, false);
  assert.ok(heard.some((l) => /^<3>.*not usable .*radio\.region.*Starting as a node with the image's defaults, which name no region: its radio is off .*as before \(no unibos\.json has been applied yet\)/.test(l)), heard.join('\n'));
  assert.ok(!heard.some((l) => /last good file/.test(l)), 'there never was a good file');
  assert.deepEqual((JSON.parse(readFileSync(join(paths.state, 'device', 'config.json'), 'utf8')) as { radio: unknown }).radio, { type: 'none' });

  // An image built for one region (UNIBOS_DEFAULT_REGION=US915) uses it.
  const built = await bootOn('image-region', 'Raspberry Pi 4 Model B Rev 1.5', undefined, { version: 1, role: 'node', radio: { board: 'rak3172-hat', region: 'US915' } });
  assert.equal(built.config.radio.serialPath, '/dev/serial0');
  const us = loadNodeConfig({ file: join(built.paths.state, 'device', 'config.json'), env: {} });
  assert.deepEqual([us.region, us.preset, us.radio.type], ['US915', 'MediumFast', 'serial'], "LongFast's frames exceed US915's dwell limit");
});

test("what the node would refuse at every start is refused in unibos.json, naming the rule: US915's dwell, a region's power limit, the modem's range, NONE on a real radio", () => {
  const file = (radio: Record<string, unknown>) => JSON.stringify({ version: 1, role: 'node', radio: { board: 'rak3172-hat', ...radio } });
  const refused = (radio: Record<string, unknown>) => {
    const parsed = parseBootConfig(file(radio));
    assert.equal(parsed.ok, false, JSON.stringify(radio));
    return parsed.ok ? '' : formatProblems(parsed.problems);
  };
  assert.match(refused({ region: 'US915', preset: 'LongFast' }), /LongFast frames take at least \d+ ms on air, over US915's 400 ms dwell limit/);
  assert.match(refused({ region: 'EU868', txPowerDbm: 28 }), /28 dBm is over EU868's limit of 27 dBm/);
  assert.match(refused({ region: 'EU433', txPowerDbm: 14 }), /14 dBm is over EU433's limit of 10 dBm/);
  assert.match(refused({ region: 'US915', txPowerDbm: 25 }), /RAK3172.*txPowerDbm.*5\.\.22/);
  assert.match(refused({ region: 'NONE' }), /radio\.region: must be one of EU868, EU433, US915, ANZ, IN865/);
  assert.equal(parseBootConfig(file({ region: 'EU433' })).ok, true, "EU433 without a power: the default is the region's 10 dBm");
  assert.equal(parseBootConfig(file({ region: 'US915', txPowerDbm: 22 })).ok, true);
});

test("gpsd reads the HAT's GPS from its UART (by the image's udev name), from boot (-n), where the model has a spare UART", async () => {
  const pi4 = await bootOn('gps-pi4', 'Raspberry Pi 4 Model B Rev 1.5');
  assert.match(pi4.gpsd, /^DEVICES="\/dev\/unibos-gps"$/m);
  assert.match(pi4.gpsd, /^GPSD_OPTIONS="-n"$/m);
  assert.match(pi4.gpsd, /^USBAUTO="true"$/m, 'USB receivers still hot-plug');
  const pi5 = await bootOn('gps-pi5', 'Raspberry Pi 5 Model B Rev 1.0');
  assert.match(pi5.gpsd, /^DEVICES="\/dev\/unibos-gps"$/m);
  const pi3 = await bootOn('gps-pi3', 'Raspberry Pi 3 Model B Plus Rev 1.3');
  assert.match(pi3.gpsd, /^DEVICES=""$/m, 'a Pi 3 has no spare UART');
  assert.ok(pi3.said.some((l) => /^<4>.*no spare UART for the HAT's GPS/.test(l)), pi3.said.join('\n'));
  const usb = await bootOn('gps-usb', 'Raspberry Pi 4 Model B Rev 1.5', { version: 1, role: 'node', radio: { board: 'rak3172-usb', region: 'EU868' } });
  assert.match(usb.gpsd, /^DEVICES=""$/m, 'the USB board has no GPS on a UART');
});

test('without unibos.json first boot still names the host unibos-<node id> instead of the name every card shares', async () => {
  const { paths, result, said } = await bootOn('no-file-hostname', 'Raspberry Pi 4 Model B Rev 1.5');
  assert.equal(result.source, 'defaults', said.join('\n'));
  const suffix = result.nodeId!.replace(/^!/, '');
  assert.match(suffix, /^[0-9a-f]{8}$/);
  assert.equal(readFileSync(join(paths.etc, 'hostname'), 'utf8'), `unibos-${suffix}\n`);
  assert.match(readFileSync(join(paths.etc, 'hosts'), 'utf8'), new RegExp(`^127\\.0\\.1\\.1\\tunibos-${suffix}$`, 'm'));
});

/** A node identity file whose key hashes to its node id, as firmware's loadOrCreateIdentity writes one. */
function identityFile(): { nodeId: string; text: string } {
  const x = generateKeyPairSync('x25519');
  const e = generateKeyPairSync('ed25519');
  const nodeId = formatNodeId(nodeIdFromPublicKey(rawPublicKey(x.publicKey)));
  const pem = (k: KeyObject): string => k.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { nodeId, text: `${JSON.stringify({ version: 1, nodeId, createdMs: 0, x25519PrivateKey: pem(x.privateKey), ed25519PrivateKey: pem(e.privateKey) }, null, 2)}\n` };
}

test('two cards whose node ids end in the same four hex digits get different host names (mDNS would rename one)', async () => {
  // In a fleet of a hundred, two node ids share their last 16 bits one time in fourteen; find such a pair.
  const seen = new Map<string, { nodeId: string; text: string }>();
  let pair: Array<{ nodeId: string; text: string }> | undefined;
  while (!pair) {
    const id = identityFile();
    const twin = seen.get(id.nodeId.slice(-4));
    if (twin && twin.nodeId !== id.nodeId) pair = [twin, id];
    else seen.set(id.nodeId.slice(-4), id);
  }
  const names: string[] = [];
  for (const [i, id] of pair.entries()) {
    const dir = join(root, `twin-${i}`);
    const paths = { boot: join(dir, 'boot'), state: join(dir, 'state'), etc: join(dir, 'etc'), led: join(dir, 'led'), user: 'unibos', live: false };
    for (const d of [paths.boot, paths.etc, join(paths.state, 'device')]) mkdirSync(d, { recursive: true });
    writeFileSync(join(paths.etc, 'hostname'), 'unibos\n');
    writeFileSync(join(paths.state, 'device', 'identity.json'), id.text, { mode: 0o600 });
    const result = await firstBoot(paths, () => {});
    assert.equal(result.nodeId, id.nodeId, 'first boot keeps the identity it finds');
    names.push(readFileSync(join(paths.etc, 'hostname'), 'utf8').trim());
  }
  assert.notEqual(names[0], names[1], `${pair[0]!.nodeId} and ${pair[1]!.nodeId} are named apart: ${names.join(', ')}`);
});

test('a unibos.json broken next to a secret: the journal says where, and none of the secret', async () => {
  const dir = join(root, 'syntax-secret');
  const paths = { boot: join(dir, 'boot'), state: join(dir, 'state'), etc: join(dir, 'etc'), led: join(dir, 'led'), user: 'unibos', live: false };
  for (const d of [paths.boot, paths.etc]) mkdirSync(d, { recursive: true });
  // Quotes forgotten around the token and the Wi-Fi password, as happens when the file is written by hand.
  const token = 'tok3n-s3cr3t-from-the-hub';
  const password = 'wifi-pa55-in-the-field';
  for (const [i, text] of [
    `{\n  "version": 1,\n  "role": "node",\n  "radio": { "board": "sim", "region": "EU868" },\n  "hub": { "url": "http://hub.local:8000", "claimToken": ${token} }\n}\n`,
    `{ "version": 1, "role": "node", "radio": { "board": "sim", "region": "EU868" }, "wifi": { "country": "DE", "ssid": "valley", "password": ${password} } }`,
  ].entries()) {
    writeFileSync(join(paths.boot, 'unibos.json'), text);
    const said: string[] = [];
    const result = await firstBoot(paths, (p, m) => said.push(`<${p}>${m}`));
    assert.equal(result.ok, false);
    const journal = said.join('\n');
    assert.match(journal, i === 0 ? /not valid JSON: .* at line 5, column 59/ : /not valid JSON: .* at line 1, column \d+/, journal);
    for (const secret of [token, password]) for (let k = 0; k + 4 <= secret.length; k++) assert.ok(!journal.includes(secret.slice(k, k + 4)), `the journal (kept on the card) holds no piece of a secret: ${journal}`);
  }
});

test('a unibos.json nested too deep to print is reported, not fatal: first boot starts the node with the defaults and makes its identity', async () => {
  const dir = join(root, 'too-deep');
  const paths = { boot: join(dir, 'boot'), state: join(dir, 'state'), etc: join(dir, 'etc'), led: join(dir, 'led'), user: 'unibos', live: false };
  for (const d of [paths.boot, paths.etc]) mkdirSync(d, { recursive: true });
  const deep = (n: number) => `${'['.repeat(n)}2${']'.repeat(n)}`;
  writeFileSync(join(paths.boot, 'unibos.json'), `{"version":${deep(200_000)},"role":"node","radio":{"board":"sim","region":"EU868","txPowerDbm":${deep(200_000)}}}`);
  const said: string[] = [];
  const result = await firstBoot(paths, (p, m) => said.push(`<${p}>${m}`));
  assert.equal(result.ok, false);
  const journal = said.join('\n');
  assert.match(journal, /not usable \(E_BOOT_CONFIG\): version: must be 1 \(got \[…\]\); radio\.txPowerDbm: must be a whole number of dBm from -9 to 30 \(got \[…\]\)\. Starting as a node with the image's defaults/, journal);
  assert.ok(existsSync(join(paths.state, 'device', 'identity.json')), 'the identity is made');
  assert.ok(existsSync(join(paths.state, 'roles', 'node')), 'the node role is set');
});

test('parseBootConfig, fed broken, mutated and hostile files, answers with a config or E_BOOT_CONFIG and its problems, never a throw', () => {
  const hostile = fc.oneof(
    fc.integer({ min: 1, max: 100_000 }).map((n) => `${'['.repeat(n)}1${']'.repeat(n)}`),
    fc.integer({ min: 1, max: 20_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
    fc.integer({ min: 1_000, max: 1_000_000 }).map((n) => JSON.stringify('x'.repeat(n))),
    fc.jsonValue().map((j) => JSON.stringify(j)),
  );
  // The example with one key (at the top, or in radio, hub or wifi) set to a hostile value.
  const keyed = fc.tuple(fc.constantFrom('', 'radio', 'hub', 'wifi'), fc.constantFrom('version', 'role', 'name', 'hostname', 'board', 'region', 'txPowerDbm', 'url', 'claimToken', 'admin', 'country', 'password', 'other'), hostile).map(([at, key, value]) => {
    const file = JSON.parse(example) as Record<string, unknown>;
    (at ? (file[at] as Record<string, unknown>) : file)[key] = '__hostile__';
    return JSON.stringify(file).replace('"__hostile__"', value);
  });
  const mutated = fc.tuple(fc.nat(example.length), fc.string({ minLength: 1, maxLength: 6 })).map(([at, junk]) => example.slice(0, at) + junk + example.slice(at + junk.length));
  const text = fc.oneof(keyed, mutated, fc.string({ maxLength: 200 }), fc.jsonValue().map((j) => JSON.stringify(j)))
    // Reported short: fast-check would print a counterexample of megabytes in full.
    .map((t) => Object.assign(new String(t), { [fc.toStringMethod]: () => `${t.length} characters: ${t.slice(0, 60)}…${t.slice(-60)}` }));
  fc.assert(
    fc.property(text, (t) => {
      const result = parseBootConfig(String(t));
      if (result.ok) return;
      assert.equal(result.code, 'E_BOOT_CONFIG');
      assert.ok(result.problems.length > 0);
      for (const p of result.problems) assert.ok(p.message.length < 300, `a problem names the value short: ${p.message.slice(0, 300)}`);
    }),
    { numRuns: 300 },
  );
});

/** Whether systemd would start unibos-firstboot.service: its ConditionPathExists= lines, on this tree. */
function firstBootWouldRun(paths: { boot: string; state: string }): boolean {
  const unit = readFileSync(join(REPO, 'pi-gen-config', 'stage-unibos', '01-unibos', 'files', 'unibos-firstboot.service'), 'utf8');
  const conditions = [...unit.matchAll(/^ConditionPathExists=(\|?)(!?)(\S+)$/gm)].map(([, trigger, not, path]) => {
    const local = path!.replace(/^\/boot\/firmware/, paths.boot).replace(/^\/var\/lib\/unibos/, paths.state);
    assert.notEqual(local, path, `${path} maps onto the test's tree`);
    return { trigger: trigger === '|', holds: existsSync(local) !== (not === '!') };
  });
  assert.ok(conditions.length > 0, 'the unit has its conditions');
  // systemd.unit(5): every plain condition must hold, and at least one of the triggering (|) ones.
  const triggering = conditions.filter((c) => c.trigger);
  return conditions.every((c) => c.trigger || c.holds) && (triggering.length === 0 || triggering.some((c) => c.holds));
}

test('a power cut half-way through first boot: the next boot runs it again and finishes it', async () => {
  const dir = join(root, 'power-cut');
  const paths = { boot: join(dir, 'boot'), state: join(dir, 'state'), etc: join(dir, 'etc'), led: join(dir, 'led'), user: 'unibos', live: false, model: join(dir, 'model') };
  for (const d of [paths.boot, paths.etc]) mkdirSync(d, { recursive: true });
  writeFileSync(join(paths.etc, 'hostname'), 'unibos\n');
  writeFileSync(paths.model, 'Raspberry Pi 4 Model B Rev 1.5\0');
  assert.ok(firstBootWouldRun(paths), 'a fresh card runs first boot');
  // The power goes while the host is being named: /etc/hosts cannot be written (it is a directory
  // here), so first boot stops there, with whatever it had written before.
  mkdirSync(join(paths.etc, 'hosts'));
  await assert.rejects(firstBoot(paths, () => {}));
  rmSync(join(paths.etc, 'hosts'), { recursive: true });

  assert.ok(firstBootWouldRun(paths), 'the next boot runs first boot again');
  const result = await firstBoot(paths, () => {});
  assert.equal(result.ok, true);
  assert.equal(readFileSync(join(paths.etc, 'hostname'), 'utf8'), `unibos-${result.nodeId!.replace(/^!/, '')}\n`, "the device has its own host name, not the image's");
  assert.ok(existsSync(join(paths.state, 'roles', 'node')), 'the node service will start');
  assert.ok(existsSync(join(paths.state, 'device', 'config.json')));
  assert.ok(!firstBootWouldRun(paths), 'and once finished, first boot does not run at every boot');
});

test('a power cut while an applied unibos.json was being blanked out: the next boot finishes removing it, no error', async () => {
  const dir = join(root, 'power-cut-blank');
  const paths = { boot: join(dir, 'boot'), state: join(dir, 'state'), etc: join(dir, 'etc'), led: join(dir, 'led'), user: 'unibos', live: false };
  for (const d of [paths.boot, paths.etc]) mkdirSync(d, { recursive: true });
  writeFileSync(join(paths.boot, 'unibos.json'), JSON.stringify({ version: 1, role: 'node', radio: { board: 'sim', region: 'EU868' }, hub: { url: 'http://hub.local:8000', claimToken: 'a-claim-token-from-the-hub' } }));
  const applied = await firstBoot(paths, () => {});
  assert.equal(applied.source, 'unibos.json');
  writeFileSync(join(paths.boot, 'unibos.json'), ' '.repeat(120));
  assert.ok(firstBootWouldRun(paths));
  const said: string[] = [];
  const after = await firstBoot(paths, (p, m) => said.push(`<${p}>${m}`));
  assert.equal(after.ok, true, `a blanked-out file is not "a bad unibos.json" (no error, no blinking LED): ${said.join('\n')}`);
  assert.ok(!existsSync(join(paths.boot, 'unibos.json')), 'and its removal is finished');
});

/** What NetworkManager reads from a keyfile: the value as GLib's GKeyFile parses it (python3 and libglib, as on any Debian with gpsd). */
function readKeyfile(file: string, group: string, key: string): string {
  const py = `import ctypes,sys
g=ctypes.CDLL('libglib-2.0.so.0')
g.g_key_file_new.restype=ctypes.c_void_p
g.g_key_file_load_from_file.argtypes=[ctypes.c_void_p,ctypes.c_char_p,ctypes.c_int,ctypes.c_void_p]
g.g_key_file_get_string.argtypes=[ctypes.c_void_p,ctypes.c_char_p,ctypes.c_char_p,ctypes.c_void_p]
g.g_key_file_get_string.restype=ctypes.c_char_p
kf=g.g_key_file_new()
assert g.g_key_file_load_from_file(kf,sys.argv[1].encode(),0,None)
v=g.g_key_file_get_string(kf,sys.argv[2].encode(),sys.argv[3].encode(),None)
assert v is not None, 'GKeyFile refused the value'
sys.stdout.buffer.write(v)`;
  const run = spawnSync('python3', ['-c', py, file, group, key], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

test('a Wi-Fi password and network name with backslashes and blanks at the end reach NetworkManager unchanged', async () => {
  const password = 'pa\\ss word ';
  const ssid = ' valley\\net;1 ';
  const { paths, result, said } = await bootOn('wifi-escapes', undefined, { version: 1, role: 'node', radio: { board: 'sim', region: 'EU868' }, wifi: { country: 'DE', ssid, password } });
  assert.equal(result.ok, true, said.join('\n'));
  const file = join(paths.etc, 'NetworkManager', 'system-connections', 'unibos-wifi.nmconnection');
  assert.equal(readKeyfile(file, 'wifi-security', 'psk'), password);
  // NetworkManager then turns the escaped ';' of an SSID string back into ';' (nm-keyfile.c, unescape_semicolons).
  assert.equal(readKeyfile(file, 'wifi', 'ssid').replace(/\\;/g, ';'), ssid);
});

test('image config at a terminal: questions in Turkish, passwords not echoed, Ctrl-D ends with one line', { timeout: 60_000 }, async () => {
  const out = join(root, 'asked-hub.json');
  const t = new Terminal(['image', 'config', '--out', out], { UNIBOS_LANG: 'tr' });
  const answers: Array<[string, string]> = [
    ['rol (', 'hub'],
    ['telsiz kartı', 'sim'],
    ['bölge (', 'EU868'],
    ['ağdaki ad', ''],
    ['kanal adı', ''],
    ['kanal anahtarı', ''],
    ['ilk yöneticinin e-postası', 'ops@example.org'],
    [`ilk yöneticinin parolası (${MIN_PASSWORD_LENGTH}+ karakter): `, 'admin secret 42'],
    ['Wi-Fi ülkesi', 'DE'],
    ['Wi-Fi ağ adı', 'valley-net'],
    ['Wi-Fi parolası: ', 'wifi secret 42'],
  ];
  for (const [prompt, answer] of answers) {
    await t.waitFor(prompt);
    t.type(`${answer}\r`);
  }
  assert.equal(await t.end(), 0, t.screen);
  assert.ok(!t.screen.includes('secret 42'), `no password on the screen: ${t.screen}`);
  const parsed = parseBootConfig(readFileSync(out, 'utf8'));
  assert.ok(parsed.ok);
  assert.deepEqual([parsed.config.hub?.admin?.password, parsed.config.wifi?.password], ['admin secret 42', 'wifi secret 42'], 'what was typed is what was written');

  // Ctrl-D at a question, and at a password.
  const flags = ['--name', 'x', '--channel', 'Public', '--channel-key', 'new', '--admin-email', 'ops@example.org'];
  for (const steps of [[['region (', '\u0004']], [['region (', 'EU433\r'], ['first admin password', '\u0004']]]) {
    const stopped = new Terminal(['image', 'config', '--out', join(root, 'stopped.json'), '--role', 'hub', '--board', 'sim', ...flags], { UNIBOS_LANG: 'en' });
    for (const [prompt, keys] of steps) {
      await stopped.waitFor(prompt!);
      stopped.type(keys!);
    }
    assert.equal(await stopped.end(), 2, stopped.screen);
    assert.match(stopped.screen, /unibos image: no answer \(the input ended\); nothing was done\r\n$/);
    assert.doesNotMatch(stopped.screen, /AbortError|\n\s+at /, 'no stack');
    assert.ok(!existsSync(join(root, 'stopped.json')));
  }
});

test('image config: a --boot that is not there, a tx power that is not a number, a secret without its flag: one line each', async () => {
  for (const [lang, expected] of [
    ['en', "unibos image: /no/such/boot is not a directory: is the card's boot partition mounted?\n"],
    ['tr', 'unibos image: /no/such/boot bir klasör değil: kartın önyükleme bölümü bağlı mı?\n'],
  ] as const) {
    const r = await unibos(['image', 'config', '--boot', '/no/such/boot', '--role', 'node', '--board', 'sim', '--region', 'EU868'], { UNIBOS_LANG: lang });
    assert.deepEqual([r.code, r.stderr], [2, expected]);
  }
  const tx = await unibos(['image', 'config', '--out', join(root, 'tx.json'), '--role', 'node', '--board', 'sim', '--region', 'EU868', '--tx-power', 'abc']);
  assert.equal(tx.code, 2);
  assert.match(tx.stderr, /radio\.txPowerDbm: must be a whole number of dBm from -9 to 30 \(got "abc"\)\n$/);
  const passwordFile = join(root, 'admin-password');
  writeFileSync(passwordFile, 'x'.repeat(MIN_PASSWORD_LENGTH));
  const lonely = await unibos(['image', 'config', '--out', join(root, 'lonely.json'), '--role', 'hub', '--board', 'sim', '--region', 'EU868', '--admin-password-file', passwordFile]);
  assert.deepEqual([lonely.code, lonely.stderr], [2, 'unibos image: --admin-password-file needs --admin-email\n']);
  assert.ok(!existsSync(join(root, 'lonely.json')));
});

test('image config and hub init take the same shortest admin password', async () => {
  for (const [length, ok] of [[MIN_PASSWORD_LENGTH, true], [MIN_PASSWORD_LENGTH - 1, false]] as const) {
    const passwordFile = join(root, `password-${length}`);
    writeFileSync(passwordFile, 'p'.repeat(length));
    const image = await unibos(['image', 'config', '--out', join(root, `admin-${length}.json`), '--role', 'hub', '--board', 'sim', '--region', 'EU868', '--admin-email', 'ops@example.org', '--admin-password-file', passwordFile]);
    const hub = await unibos(['hub', 'init', '--email', 'ops@example.org', '--password-file', passwordFile, '--data-dir', join(root, `hub-${length}`)]);
    assert.deepEqual([image.code === 0, hub.code === 0], [ok, ok], `${length} characters: ${image.stderr} ${hub.stderr}`);
    if (!ok) assert.match(image.stderr, new RegExp(`hub\\.admin\\.password: must be ${MIN_PASSWORD_LENGTH} to 200 characters long`));
  }
});

test("an SPI HAT set up in unibos.json: the node drives its chip, first boot adds the board's chip-select overlay to config.txt once and asks for one restart", async () => {
  const config = (board: string) => ({ version: 1, role: 'node', radio: { board, region: 'EU868' } });
  const first = await bootOn('spi-waveshare', 'Raspberry Pi 4 Model B Rev 1.5', config('waveshare-sx1262-hat'), undefined, '[all]\ndtparam=spi=on\n');
  assert.equal(first.result.ok, true, first.said.join('\n'));
  const file = join(first.paths.state, 'device', 'config.json');
  const node = loadNodeConfig({ file, env: {} });
  assert.deepEqual([node.radio.type, node.radio.board, node.gpio.type], ['spi', 'waveshare-sx1262-hat', 'gpiod']);
  const configTxt = () => readFileSync(join(first.paths.boot, 'config.txt'), 'utf8');
  assert.match(configTxt(), /^\[all\]\ndtparam=spi=on\n# >>> unibos: spi radio\n\[all\]\ndtoverlay=spi0-1cs,cs0_pin=21\n# <<< unibos: spi radio\n$/, 'without it the chip select never reaches GPIO 21');
  assert.equal(first.result.rebootNeeded, true);
  assert.ok(first.said.some((l) => /^<6>added 'dtoverlay=spi0-1cs,cs0_pin=21' to .*config\.txt for the waveshare-sx1262-hat; the device restarts once/.test(l)), first.said.join('\n'));

  // The next boot (the restart) changes nothing and restarts nothing.
  const again = await firstBoot(first.paths, () => undefined);
  assert.equal(again.rebootNeeded, false);
  assert.equal((configTxt().match(/spi0-1cs/g) ?? []).length, 1);

  // A RAK6421 slot uses GPIO24, the panel's buzzer line: the panel is left off, not fought over.
  const rak = await bootOn('spi-rak6421', 'Raspberry Pi 4 Model B Rev 1.5', config('rak6421-rak13300-slot1'), undefined, '[all]\n');
  assert.equal(loadNodeConfig({ file: join(rak.paths.state, 'device', 'config.json'), env: {} }).gpio.type, 'none');
  assert.equal(rak.result.rebootNeeded, false, 'its chip selects are hardware CE lines: nothing to add');
  assert.throws(() => loadNodeConfig({ file: join(rak.paths.state, 'device', 'config.json'), env: {}, flags: { gpio: 'gpiod' } }), /drives GPIO24 \(the buzzer\) of the SOS panel; set gpio\.type none/);

  // Moving the card to a RAK3172 HAT takes the overlay out again (GPIO 21 is free once more).
  writeFileSync(join(first.paths.boot, 'unibos.json'), JSON.stringify(config('rak3172-hat')));
  const moved = await firstBoot(first.paths, () => undefined);
  assert.equal(moved.rebootNeeded, true);
  assert.equal(configTxt(), '[all]\ndtparam=spi=on\n');
});

test('a Wi-Fi country and a LoRa region that do not go together are warned of, in image config and at first boot; the file is still written', async () => {
  const out = join(root, 'us-eu.json');
  const r = await unibos(['image', 'config', '--out', out, '--role', 'node', '--board', 'rak3172-hat', '--region', 'EU868', '--wifi-country', 'US']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, 'unibos image: warning: the Wi-Fi country is US but the LoRa region is EU868 (US915 is used there): check radio.region, a wrong region transmits where it may not\n');
  const tr = await unibos(['image', 'config', '--out', join(root, 'us-eu-tr.json'), '--role', 'node', '--board', 'rak3172-hat', '--region', 'EU868', '--wifi-country', 'US'], { UNIBOS_LANG: 'tr' });
  assert.match(tr.stderr, /^unibos image: uyarı: Wi-Fi ülkesi US ama LoRa bölgesi EU868 \(orada US915 kullanılır\)/);
  const fine = await unibos(['image', 'config', '--out', join(root, 'de-eu.json'), '--role', 'node', '--board', 'rak3172-hat', '--region', 'EU433', '--wifi-country', 'DE']);
  assert.equal(fine.stderr, '');
  const booted = await bootOn('us-eu', 'Raspberry Pi 4 Model B Rev 1.5', JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>);
  assert.ok(booted.said.some((l) => /^<4>unibos\.json: the Wi-Fi country is US but the LoRa region is EU868/.test(l)), booted.said.join('\n'));
});
