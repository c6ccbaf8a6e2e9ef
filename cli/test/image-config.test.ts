// unibos.json as the person flashing a card meets it: `unibos image config` writes one the device
// accepts (from flags, or by asking in a terminal) and refuses to write one it would reject; the
// JSON Schema and the device's own parser agree on the example and on broken files; and first
// boot on a plain directory tree leaves cloud-init's settings alone and sets up a gateway+hub.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { LORA_PRESETS, REGIONS } from '@unibos/mesh-protocol';
import { loadNodeConfig } from '@unibos/firmware';
import { parseBootConfig } from '../image/boot-config.ts';
import { firstBoot } from '../image/first-boot.ts';
import { unibos } from './support/processes.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const schema = JSON.parse(readFileSync(join(REPO, 'pi-gen-config', 'unibos.schema.json'), 'utf8')) as Record<string, any>;
const example = readFileSync(join(REPO, 'pi-gen-config', 'unibos.example.json'), 'utf8');
const validate = new Ajv2020({ allErrors: true }).compile(schema);
const root = mkdtempSync(join(tmpdir(), 'unibos-image-config-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the schema and the device agree: the example is valid, broken files are refused by both', () => {
  assert.ok(validate(JSON.parse(example)), JSON.stringify(validate.errors));
  assert.equal(parseBootConfig(example).ok, true);
  assert.deepEqual(schema.properties.radio.properties.region.enum, Object.keys(REGIONS), 'the schema lists the regions the runtime knows');
  assert.deepEqual(schema.properties.radio.properties.preset.enum, Object.keys(LORA_PRESETS));
  const good = JSON.parse(example) as Record<string, any>;
  const broken: Array<[string, (f: Record<string, any>) => void]> = [
    ['role', (f) => (f.role = 'gatway')],
    ['radio.region', (f) => (f.radio.region = 'EU869')],
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
