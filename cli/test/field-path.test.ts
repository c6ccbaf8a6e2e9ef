// The field path as issue 10's attacker and a person in trouble meet it, all as processes: a hub,
// a claimed gateway and a node on the simulated air, and a sensor with valid credentials speaking
// MQTT through Debian's mosquitto_pub. The sensor's poison (a topic too deep for the hub, a payload
// that no longer fits once wrapped) is dropped at the gateway's door (acknowledged, counted, never
// sent to the hub) and cannot cut the gateway off, nor wedge the sensor's own session;
// the node's SOS, raised while the hub is down, is taken by the gateway, reaches the hub when it
// returns, and the node sees every stage: taken by a gateway, at the hub, acknowledged, resolved.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { mosquittoPub, Proc, procs, scrapeMetric as metric, startOnSamePort, unibos } from './support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'unibos-field-'));
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

test('a hostile sensor cannot cut the gateway off, and an SOS raised while the hub is down reaches it with every stage shown on the node', { timeout: 300_000 }, async () => {
  const hubDir = join(root, 'hub');
  const passwordFile = join(root, 'password');
  writeFileSync(passwordFile, 'a long enough password\n', { mode: 0o600 });
  assert.equal((await unibos(['hub', 'init', '--email', 'ops@example.org', '--password-file', passwordFile, '--org', 'Valley', '--data-dir', hubDir])).code, 0);
  // Ports 0 (every process binds free ones and says which), but for the hub's return: it comes back on the
  // ports it had, where the gateway keeps looking for it.
  let hub = new Proc(['hub', '--data-dir', hubDir, '--port', '0', '--mqtt-port', '0']);
  const hubReady = await hub.waitFor((l) => l.msg === 'hub ready', 'the hub');
  const url = String(hubReady.url);
  const hubArgs = ['hub', '--data-dir', hubDir, '--port', new URL(url).port, '--mqtt-port', String(hubReady.mqttPort)];
  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ops@example.org', password: 'a long enough password' }) });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const authed = { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` };

  const gwDir = join(root, 'gw');
  const claimToken = (await (await fetch(`${url}/api/v1/claim-tokens`, { method: 'POST', headers: authed, body: JSON.stringify({ kind: 'gateway' }) })).json()) as { token: string };
  assert.equal((await unibos(['gateway', 'claim', '--hub-api', url, '--token', claimToken.token, '--data-dir', gwDir])).code, 0);
  const added = await unibos(['gateway', 'device', 'add', 'tank1', '--role', 'sensor', '--data-dir', gwDir]);
  const sensorPassword = /password: (\S+)/.exec(added.stdout)![1]!;

  const air = new Proc(['air', '--port', '0', '--preset', 'ShortFast']);
  const airPort = String((await air.waitFor((l) => l.msg === 'simulated air listening', 'the air')).port);
  const radio = ['--preset', 'ShortFast', '--air', `127.0.0.1:${airPort}`, '--lat', '41'];
  const gw = new Proc(['gateway', '--data-dir', gwDir, ...radio, '--lon', '29', '--http-port', '0', '--mqtt-port', '0', '--ws-port', 'off']);
  const gwMqttPort = Number((await gw.waitFor((l) => l.msg === 'gateway started', 'the gateway')).mqtt);
  const gwHttpPort = Number((await gw.waitFor((l) => l.msg === 'control API listening', "the gateway's control API")).httpPort);
  await gw.waitFor((l) => l.msg === 'connected to hub', 'the gateway connected to the hub');
  const nodeDir = join(root, 'node');
  const node = new Proc(['node', '--data-dir', nodeDir, ...radio, '--lon', '29.004', '--gps', 'sim', '--name', 'Shepherd', '--http-port', 'off']);
  await node.waitFor((l) => l.msg === 'node started', 'the node');

  // The attack: valid credentials, QoS 1, messages the hub would refuse.
  const sensor = ['-h', '127.0.0.1', '-p', String(gwMqttPort), '-u', 'tank1', '-P', sensorPassword, '-i', 'tank1', '-q', '1'];
  const deep = await mosquittoPub([...sensor, '-t', 'unibos/v1/sensor/tank1/a/b/c/d/e', '-m', '1']);
  // Acknowledged and dropped: MQTT 3.1.1 has no negative PUBACK, and a persistent session would resend an unacknowledged one forever.
  assert.equal(deep.code, 0, 'a topic deeper than the hub accepts is acknowledged, and dropped');
  const bigFile = join(root, 'big');
  writeFileSync(bigFile, Buffer.alloc(256 * 1024, 0x31));
  const big = await mosquittoPub([...sensor, '-t', 'unibos/v1/sensor/tank1/level', '-f', bigFile]);
  assert.equal(big.code, 0, 'a payload that no longer fits once wrapped for the hub is acknowledged, and dropped');
  assert.equal(await metric(gwHttpPort, 'unibos_broker_hub_refusals', '{reason="topic_depth"}'), 1);
  assert.equal(await metric(gwHttpPort, 'unibos_broker_hub_refusals', '{reason="too_large"}'), 1);
  // The same sensor's ordinary reading still goes through, and so does everything else.
  assert.equal((await mosquittoPub([...sensor, '-t', 'unibos/v1/sensor/tank1/level', '-m', '42.5'])).code, 0);

  // The hub goes down; the person presses SOS.
  assert.equal(await hub.stop(), 0);
  const fromLine = node.lines.length;
  assert.equal((await unibos(['sos', '--data-dir', nodeDir])).code, 0);
  await node.waitFor((l) => l.msg === 'SOS gateway', 'the node told its SOS was taken by a gateway', fromLine, 120_000);
  const whileDown = await unibos(['status', '--data-dir', nodeDir]);
  assert.match(whileDown.stdout, /taken by a gateway/);
  assert.doesNotMatch(whileDown.stdout, /at the hub|received by the hub/);

  // The hub returns: the SOS arrives, and the node hears that it did.
  hub = (await startOnSamePort(hubArgs, (l) => l.msg === 'hub ready', 'the hub again')).proc;
  await node.waitFor((l) => l.msg === 'SOS hub', 'the node told its SOS is at the hub', fromLine, 120_000);
  const alerts = (await (await fetch(`${url}/api/v1/alerts?state=open`, { headers: authed })).json()) as { items: Array<{ id: number; level: string; nodeId: string }> };
  const sos = alerts.items.find((a) => a.level === 'SOS');
  assert.ok(sos, 'the SOS is an open alert at the hub');
  // The hub got the sensor's ordinary reading and none of the poison.
  const sensors = (await (await fetch(`${url}/api/v1/sensors`, { headers: authed })).json()) as { items: Array<{ id: string; metrics: Array<{ metric: string; value: number | null }> }> };
  assert.deepEqual(sensors.items.find((s) => s.id === 'tank1')?.metrics.map((m) => [m.metric, m.value]), [['level', 42.5]]);

  const ack = await fetch(`${url}/api/v1/alerts/${sos.id}/acknowledge`, { method: 'POST', headers: authed, body: JSON.stringify({ note: 'team on the way' }) });
  assert.equal(ack.status, 200, await ack.clone().text());
  await node.waitFor((l) => l.msg === 'SOS acknowledged', 'the node told an admin saw it', fromLine, 120_000);
  const acked = await unibos(['status', '--data-dir', nodeDir]);
  // The node is told the admin's display name (here the first part of the e-mail address).
  assert.match(acked.stdout, /sos +acknowledged by ops at /);
  const resolve = await fetch(`${url}/api/v1/alerts/${sos.id}/resolve`, { method: 'POST', headers: authed, body: JSON.stringify({}) });
  assert.equal(resolve.status, 200, await resolve.clone().text());
  await node.waitFor((l) => l.msg === 'SOS resolved', 'the node told it is resolved', fromLine, 120_000);

  assert.equal(await node.stop(), 0);
  assert.equal(await gw.stop(), 0);
  assert.equal(await hub.stop(), 0);
  await air.stop();
});
