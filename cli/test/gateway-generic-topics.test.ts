// A device that speaks neither UNIBOS nor a known family (a boiler publishing `home/boiler/temp 61.5`)
// is read through `unibos gateway --generic-topic`: its numbers become readings, an unreadable
// message is acknowledged and counted on /metrics, and a pattern without a {device} level stops the
// gateway before it starts, saying which pattern and why.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { mosquittoPub, Proc, procs, scrapeMetric, unibos } from './support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'unibos-generic-'));
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

test('--generic-topic reads a plain device; a bad pattern is refused before the gateway starts', { timeout: 120_000 }, async () => {
  const gwDir = join(root, 'gw');
  const bad = await unibos(['gateway', '--data-dir', gwDir, '--generic-topic', 'home/+/temp', '--air', '127.0.0.1:9', '--http-port', 'off', '--mqtt-port', '0', '--ws-port', 'off']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /generic topic pattern 'home\/\+\/temp'/);

  const added = await unibos(['gateway', 'device', 'add', 'boiler', '--allow', 'write home/%u/#', '--data-dir', gwDir]);
  assert.equal(added.code, 0, added.stderr);
  const password = /password: (\S+)/.exec(added.stdout)![1]!;
  const air = new Proc(['air', '--port', '0', '--preset', 'ShortFast']);
  const airPort = String((await air.waitFor((l) => l.msg === 'simulated air listening', 'the air')).port);
  const gw = new Proc(['gateway', '--data-dir', gwDir, '--preset', 'ShortFast', '--air', `127.0.0.1:${airPort}`, '--lat', '41', '--lon', '29', '--generic-topic', 'home/{device}/{metric}', '--http-port', '0', '--mqtt-port', '0', '--ws-port', 'off']);
  // Ports 0: the gateway binds free ones and says which.
  const mqttPort = Number((await gw.waitFor((l) => l.msg === 'gateway started', 'the gateway')).mqtt);
  const httpPort = Number((await gw.waitFor((l) => l.msg === 'control API listening', "the gateway's control API")).httpPort);

  const device = ['-h', '127.0.0.1', '-p', String(mqttPort), '-u', 'boiler', '-P', password, '-i', 'boiler', '-q', '1'];
  assert.equal((await mosquittoPub([...device, '-t', 'home/boiler/temp', '-m', '61.5'])).code, 0);
  assert.equal((await mosquittoPub([...device, '-t', 'home/boiler/temp', '-m', 'warm'])).code, 0, 'acknowledged: the device did nothing wrong at MQTT level');
  assert.equal(await scrapeMetric(httpPort, 'unibos_profile_readings'), 1);
  assert.equal(await scrapeMetric(httpPort, 'unibos_profile_drops', '{profile="generic"}'), 1);
  assert.equal(await gw.stop(), 0);
});
