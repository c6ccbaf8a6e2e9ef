// A gateway the way an operator runs it: Debian's mosquitto stands in for the hub, `unibos air`
// carries the radio, `unibos gateway` bridges a `unibos node`, and Debian's mosquitto clients
// talk to the gateway's broker with credentials from `unibos gateway device add`.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { json, mosquittoBroker, Proc, procs, unibos } from './support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'unibos-gw-'));
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

async function credentials(dataDir: string, id: string, role: string): Promise<string> {
  const r = await unibos(['gateway', 'device', 'add', id, '--role', role, '--data-dir', dataDir]);
  assert.equal(r.code, 0, r.stderr);
  return /password: (\S+)/.exec(r.stdout)![1]!;
}

test('mesh traffic reaches local MQTT clients and the hub; the hub and sensors reach back; SOS is acknowledged', { timeout: 120_000 }, async () => {
  const gwDir = join(root, 'gw');
  const { proc: hub, port: hubPort } = await mosquittoBroker(root);
  const atHub = new Proc(['-p', String(hubPort), '-t', 'unibos/v1/#', '-v'], {}, 'mosquitto_sub');

  const watcher = await credentials(gwDir, 'watcher', 'hub');
  const sensor = await credentials(gwDir, 'tank1', 'sensor');
  const listed = await unibos(['gateway', 'device', 'list', '--data-dir', gwDir]);
  assert.match(listed.stdout, /tank1\s+sensor/);
  assert.doesNotMatch(listed.stdout, new RegExp(sensor), 'secrets are never shown again');

  const air = new Proc(['air', '--port', '0', '--preset', 'ShortFast']);
  const airPort = String((await air.waitFor((l) => l.msg === 'simulated air listening', 'the air')).port);
  const radio = ['--preset', 'ShortFast', '--air', `127.0.0.1:${airPort}`, '--lat', '41'];
  // Ports 0: the gateway binds free ones and says which.
  const gw = new Proc(['gateway', '--data-dir', gwDir, ...radio, '--lon', '29', '--http-port', '0', '--mqtt-port', '0', '--ws-port', '0', '--hub', `mqtt://127.0.0.1:${hubPort}`]);
  const gwStarted = await gw.waitFor((l) => l.msg === 'gateway started', 'the gateway');
  const mqttPort = Number(gwStarted.mqtt);
  assert.ok(mqttPort > 0 && Number(gwStarted.ws) > 0, 'the gateway says which ports it listens on');
  const httpPort = Number((await gw.waitFor((l) => l.msg === 'control API listening', "the gateway's control API")).httpPort);
  const gwId = String(gwStarted.gateway);
  // A subscriber sees only what is published after its SUBSCRIBE: the gateway's status, retained at the hub,
  // reaches it whenever it subscribed, so seeing it says it has.
  await atHub.waitFor((l) => l.msg.startsWith(`unibos/v1/gw/${gwId}/status `), 'the subscriber at the hub to be subscribed');
  const nodeDir = join(root, 'node');
  const node = new Proc(['node', '--data-dir', nodeDir, ...radio, '--lon', '29.005', '--http-port', 'off']);
  const nodeId = String((await node.waitFor((l) => l.msg === 'node started', 'the node')).nodeId);

  // A local MQTT client with credentials sees the mesh; a wrong password is refused.
  const local = new Proc(['-p', String(mqttPort), '-u', 'watcher', '-P', watcher, '-t', 'unibos/v1/#', '-v'], {}, 'mosquitto_sub');
  // Retained on the gateway's broker too.
  await local.waitFor((l) => l.msg.startsWith(`unibos/v1/gw/${gwId}/status `), 'the local subscriber to be subscribed');
  const refused = spawnSync('mosquitto_sub', ['-p', String(mqttPort), '-u', 'watcher', '-P', 'wrong', '-t', 'x', '-C', '1', '-W', '5'], { encoding: 'utf8' });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /not authori[sz]ed|bad user name or password/i);
  await gw.waitFor((l) => l.msg === 'peer heard' && l.peer === nodeId, 'the gateway to hear the node');

  const sent = await unibos(['send', 'water at the school', '--data-dir', nodeDir]);
  assert.equal(sent.code, 0, sent.stderr);
  const text = await local.waitFor((l) => l.msg.startsWith(`unibos/v1/mesh/${nodeId}/text `), 'the text on the local broker');
  assert.equal(JSON.parse(text.msg.slice(text.msg.indexOf(' ') + 1)).text, 'water at the school');
  const upText = await atHub.waitFor((l) => l.msg.startsWith(`unibos/v1/mesh/${nodeId}/text `), 'the text at the hub');
  const envelope = JSON.parse(upText.msg.slice(upText.msg.indexOf(' ') + 1));
  assert.equal(envelope.body.text, 'water at the school');
  assert.equal(envelope.source, `mesh:${nodeId}`);
  assert.ok(envelope.id, 'a message id the hub can dedup on');

  // A sensor publishes under its own prefix; it goes up to the hub.
  const pub = spawnSync('mosquitto_pub', ['-p', String(mqttPort), '-u', 'tank1', '-P', sensor, '-q', '1', '-t', 'unibos/v1/sensor/tank1/level', '-m', '42.5'], { encoding: 'utf8' });
  assert.equal(pub.status, 0, pub.stderr);
  await atHub.waitFor((l) => l.msg.startsWith('unibos/v1/sensor/tank1/level '), 'the sensor reading at the hub');

  // Removed while connected: the running gateway (watching its device list) closes the connection
  // at once, and the client's reconnect is refused.
  const tankSub = new Proc(['-p', String(mqttPort), '-u', 'tank1', '-P', sensor, '-i', 'tank1:sub', '-t', 'unibos/v1/sensor/tank1/#', '-d'], {}, 'mosquitto_sub');
  await tankSub.waitFor((l) => l.msg.includes('received SUBACK'), 'the sensor to be subscribed');
  const removed = await unibos(['gateway', 'device', 'remove', 'tank1', '--data-dir', gwDir]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /^removed tank1; the gateway running with this data dir closes its connections within a second/);
  await gw.waitFor((l) => l.msg === 'device removed: its connection closed' && l.deviceId === 'tank1', 'the removed sensor to be cut off', 0, 10_000);
  await gw.waitFor((l) => l.msg === 'authentication failed' && l.username === 'tank1', "the removed sensor's reconnect to be refused");
  await tankSub.stop();

  // The hub sends a text down; the node gets it.
  spawnSync('mosquitto_pub', ['-p', String(hubPort), '-q', '1', '-t', `unibos/v1/gw/${gwId}/tx`, '-m', JSON.stringify({ text: 'help is on the way', to: nodeId })]);
  await node.waitFor((l) => l.msg === 'text received', 'the node to receive the downlink');
  const inbox = await json<Array<{ text: string }>>(['inbox', '--data-dir', nodeDir]);
  assert.ok(inbox.some((m) => m.text === 'help is on the way'));

  // An SOS from the node is taken by the gateway (queued for the hub): the node is told so, and
  // only that: mosquitto here is no UNIBOS hub, so it never says the SOS was received or seen.
  assert.equal((await unibos(['sos', '--data-dir', nodeDir])).code, 0);
  await node.waitFor((l) => l.msg === 'SOS gateway', 'the gateway to take the SOS');

  // Health and the gateway's metrics on the node's loopback port.
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  assert.match(metrics, /^unibos_broker_clients [1-9]/m);
  assert.match(metrics, /^unibos_hub_connected 1$/m);
  assert.match(metrics, /^unibos_broker_qos0_dropped 0$/m, 'QoS 0 drops are on /metrics (none here)');
  assert.match(metrics, /^unibos_broker_devices_cut 1$/m, 'the removed sensor’s connection cut is counted');
  assert.match(metrics, /^unibos_broker_publish_denials\{reason="acl"\} 0$/m);

  for (const [name, p] of Object.entries({ node, gw, air })) assert.equal(await p.stop(), 0, `${name} exits 0 on SIGTERM: ${p.stderr}`);
  const offline = await unibos(['gateway', 'device', 'remove', 'watcher', '--data-dir', gwDir]);
  assert.match(offline.stdout, /^removed watcher; no gateway is running with this data dir/);
  await local.stop();
  await atHub.stop();
  await hub.stop();
});
