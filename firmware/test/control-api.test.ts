// The control API the way `unibos status|peers|send|sos|inbox` use it: a Device on simulated time
// behind a real control socket (and loopback health/metrics port) in a temp folder, called through
// callNode and raw HTTP; then the CLI itself against it, and systemd notifications.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { SeededRandom, SimMedium, SimScheduler, loraParams } from '@unibos/mesh-protocol';
import { callNode } from '../src/control/control-client.ts';
import { startControlServer, type ControlServer } from '../src/control/control-server.ts';
import { controlSocketPath } from '../src/control/control-socket.ts';
import { FirmwareError } from '../src/firmware-error.ts';
import { Device } from '../src/node/device.ts';
import type { NodeStatus } from '../src/node/node-status.ts';
import { formatNodeId } from '@unibos/mesh-protocol';
import { loadOrCreateIdentity, type NodeIdentity } from '../src/node/identity.ts';
import { Inbox, type InboxMessage, type NewInboxMessage } from '../src/node/inbox.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import { openNodeDb, type Db } from '../src/node/node-db.ts';
import type { Peer } from '../src/node/peer-store.ts';
import type { SosStatus } from '../src/node/sos.ts';
import { SystemdNotifier, type ExecFn, type UnixDgramAddon } from '../src/system/sd-notify.ts';
import { SimManagedRadio } from '../src/radio/sim-managed-radio.ts';

const EPOCH = Date.UTC(2026, 10, 22, 12);
const silent = pino({ level: 'silent' });
const root = mkdtempSync(join(tmpdir(), 'unibos-ctl-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface SimNode {
  dir: string;
  identity: NodeIdentity;
  db: Db;
  radio: SimManagedRadio;
  device: Device;
}

/** Two nodes that hear each other: A, whose control API is under test, and its neighbour B. */
function pair(env: NodeJS.ProcessEnv = {}) {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(11);
  const medium = new SimMedium({ params: loraParams('ShortFast'), scheduler, random: rng.fork(), link: () => ({ rssi: -90, snr: 5 }) });
  const make = (name: string): SimNode => {
    const dir = mkdtempSync(join(root, `${name}-`));
    const identity = loadOrCreateIdentity(join(dir, 'identity.json'));
    const config = loadNodeConfig({ env, flags: { 'data-dir': dir, preset: 'ShortFast', name } });
    const db = openNodeDb(join(dir, 'node.db'));
    const radio = new SimManagedRadio(medium.radio(identity.nodeId), scheduler);
    const device = new Device({ config, identity, db, radio, logger: silent, scheduler, random: rng.fork(), clock: () => EPOCH + scheduler.now(), health: () => ({ batteryLevel: 80, voltage: 3.9 }) });
    return { dir, identity, db, radio, device };
  };
  return { scheduler, medium, a: make('A'), b: make('B'), run: (ms: number) => scheduler.runUntil(scheduler.now() + ms) };
}

interface RawAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** One request over the socket, without callNode's mapping: the status and body as sent. */
function raw(dataDir: string, method: string, path: string, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = request({ socketPath: controlSocketPath(dataDir), method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof FirmwareError, `expected a FirmwareError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

let seqPacket = 1;
function message(overrides: Partial<NewInboxMessage> = {}): NewInboxMessage {
  return { from: 0x1a2b3c4d, to: 0xffffffff, packetId: seqPacket++, requestId: 0, kind: 'text', level: null, text: 'hello', rxMs: EPOCH, hops: 1, rssi: -90, snr: 5, latitude: null, longitude: null, ...overrides };
}

const bin = fileURLToPath(new URL('../../bin/unibos.js', import.meta.url));

function unibos(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('a node behind its control API', () => {
  let net: ReturnType<typeof pair>;
  let a: SimNode;
  let b: SimNode;
  let control: ControlServer;

  before(async () => {
    net = pair();
    ({ a, b } = net);
    control = await startControlServer({ device: a.device, dataDir: a.dir, httpPort: 0, logger: silent });
    await a.device.start();
    await b.device.start();
    net.run(60_000);
    b.device.sendText('water at the school', a.identity.nodeId);
    net.run(60_000);
  });

  after(async () => {
    await control.close();
    for (const n of [a, b]) {
      await n.device.stop();
      n.db.close();
    }
  });

  test('status, peers and inbox answer with what the node knows', async () => {
    const status = await callNode<NodeStatus>(a.dir, 'GET', '/status');
    assert.equal(status.nodeId, formatNodeId(a.identity.nodeId));
    assert.equal(status.name, 'A');
    assert.equal(status.radio.state, 'ready');
    assert.equal(status.radio.warning, null, 'nothing for the owner to fix');
    assert.equal(status.peers, 1);
    assert.deepEqual(Object.keys(status.outbox).sort(), ['dropped', 'expired', 'inFlight', 'maxMessages', 'oldestAgeS', 'queued', 'refusedFull']);
    assert.deepEqual(status.outbox.dropped, { evicted: 0, undecodable: 0, 'router-refused': 0, 'gave-up': 0 }, 'every reason is listed, even at 0');
    assert.equal(status.sos.stage, 'none');

    const peers = await callNode<{ self: string; peers: Peer[] }>(a.dir, 'GET', '/peers');
    assert.equal(peers.self, status.nodeId);
    assert.deepEqual(
      peers.peers.map((p) => [p.nodeId, p.longName, p.hops]),
      [[b.identity.nodeId, 'B', 1]],
    );

    const { messages } = await callNode<{ messages: InboxMessage[] }>(a.dir, 'GET', '/inbox');
    assert.deepEqual(
      messages.map((m) => [m.from, m.kind, m.text, m.hops]),
      [[b.identity.nodeId, 'text', 'water at the school', 1]],
    );
  });

  test('the inbox shows the newest messages, oldest first, with an SOS on top of a full page', async () => {
    for (let i = 0; i < 150; i++) a.device.inbox.add(message({ text: `chatter ${i}` }));
    const sos = a.device.inbox.add(message({ kind: 'alert', level: 'SOS', text: 'SOS', requestId: 99 }))!;

    const page = (await callNode<{ messages: InboxMessage[] }>(a.dir, 'GET', '/inbox')).messages;
    assert.equal(page.length, 100);
    assert.deepEqual(page.at(-1), sos, 'the newest message, the SOS, is shown');
    assert.deepEqual(
      page.map((m) => m.seq),
      Array.from({ length: 100 }, (_, i) => sos.seq - 99 + i),
      'the newest 100, oldest first',
    );

    const last3 = (await callNode<{ messages: InboxMessage[] }>(a.dir, 'GET', '/inbox?limit=3')).messages;
    assert.deepEqual(last3.map((m) => m.text), ['chatter 148', 'chatter 149', 'SOS']);
    const forward = (await callNode<{ messages: InboxMessage[] }>(a.dir, 'GET', `/inbox?after=${sos.seq - 5}&limit=2`)).messages;
    assert.deepEqual(forward.map((m) => m.seq), [sos.seq - 4, sos.seq - 3], 'after pages forward from a number');

    for (const q of ['limit=0', 'limit=1001', 'limit=ten', 'after=-1']) {
      const r = await raw(a.dir, 'GET', `/inbox?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.code, 'E_BAD_REQUEST');
    }
  });

  test('POST /send refuses what it cannot send, says why, and queues nothing', async () => {
    let queued = a.device.outbox.size;
    const cases: Array<[string, string, RegExp]> = [
      ['a bad node id', JSON.stringify({ text: 'hi', to: '!nothex12' }), /"!nothex12" is not a node id/],
      ['a number as text', JSON.stringify({ text: 42 }), /text must be a string, not a number/],
      ['a number as to', JSON.stringify({ text: 'hi', to: 0x1a2b3c4d }), /to must be a node id string/],
      ['no text', JSON.stringify({ to: '!1a2b3c4d' }), /text is missing/],
      ['an empty text', JSON.stringify({ text: '' }), /text must not be empty/],
      ['an unknown property', JSON.stringify({ text: 'hi', priority: 'high' }), /unknown property "priority"/],
      ['an array', JSON.stringify(['hi']), /must be a JSON object/],
      ['broken JSON', '{"text": "hi"', /JSON/],
      ['a body over 16 KiB', JSON.stringify({ text: 'x'.repeat(17 * 1024) }), /larger than 16 KiB/],
      ['a text too long for one frame', JSON.stringify({ text: 'x'.repeat(300) }), /text is 300 bytes of UTF-8; a text may have at most 200 bytes/],
      ['a text the hub would refuse, though it fits a frame', JSON.stringify({ text: 'x'.repeat(210) }), /text is 210 bytes of UTF-8; a text may have at most 200 bytes/],
      ['201 bytes of Turkish', JSON.stringify({ text: `${'ş'.repeat(100)}a` }), /201 bytes .* at most 200 bytes/],
      // Half of a UTF-16 pair has no UTF-8 form: taken, it became bytes the outbox dropped after the 202.
      ['half of a UTF-16 pair', '{"text":"second \\ud800 lone"}', /not valid Unicode \(half of a UTF-16 surrogate pair\)/],
      ['JSON nested too deep', `{"text":"hi","to":${'['.repeat(100)}${']'.repeat(100)}}`, /nested more than 64 levels deep/],
    ];
    for (const [what, body, message] of cases) {
      const r = await raw(a.dir, 'POST', '/send', body);
      assert.equal(r.status, 400, what);
      assert.deepEqual(Object.keys(r.body).sort(), ['code', 'error', 'message', 'statusCode'], what);
      assert.deepEqual([r.body.statusCode, r.body.code, r.body.error], [400, 'E_BAD_REQUEST', 'Bad Request'], what);
      assert.match(String(r.body.message), message, what);
    }
    assert.equal(a.device.outbox.size, queued, 'nothing was queued');

    await rejectsWith(callNode(a.dir, 'POST', '/send', { text: 'hi', to: 'bob' }), 'E_BAD_REQUEST', /"bob" is not a node id/);
    const longest = await callNode<{ packetId: number; queued: number }>(a.dir, 'POST', '/send', { text: 'ş'.repeat(100), to: formatNodeId(b.identity.nodeId) });
    assert.equal(longest.queued, queued + 1, 'exactly 200 bytes goes');
    queued = longest.queued;
    const sent = await callNode<{ packetId: number; queued: number }>(a.dir, 'POST', '/send', { text: 'hi', to: formatNodeId(b.identity.nodeId) });
    assert.equal(sent.queued, queued + 1);
    const unknownPath = await raw(a.dir, 'GET', '/nope');
    assert.deepEqual([unknownPath.status, unknownPath.body.code], [404, 'E_NOT_FOUND']);
  });

  test('POST /sos raises an SOS that reaches the neighbour, and POST /safe ends it', async () => {
    const raised = await callNode<SosStatus>(a.dir, 'POST', '/sos');
    assert.equal(raised.stage, 'sent');
    assert.equal(raised.resending, true);
    net.run(30_000);
    assert.equal((await callNode<NodeStatus>(a.dir, 'GET', '/status')).sos.stage, 'sent');
    const safe = await callNode<{ packetId: number; cancelledSos: boolean }>(a.dir, 'POST', '/safe');
    assert.equal(safe.cancelledSos, true);
    net.run(60_000);
    assert.equal((await callNode<NodeStatus>(a.dir, 'GET', '/status')).sos.cancelled, true);
    assert.deepEqual(
      b.device.inbox.latest().filter((m) => m.kind === 'alert').map((m) => m.level),
      ['SOS', 'SAFE'],
    );
  });

  test('health is 503 while the radio is down and 200 when it is ready; metrics show the outbox', async () => {
    const url = `http://127.0.0.1:${control.httpPort}`;
    a.radio.set('recovering');
    const down = await fetch(`${url}/health`);
    assert.equal(down.status, 503);
    assert.deepEqual(await down.json(), { status: 'degraded', radio: 'recovering' });
    a.radio.set('ready');
    const up = await fetch(`${url}/health`);
    assert.equal(up.status, 200);
    assert.deepEqual(await up.json(), { status: 'ok', radio: 'ready' });

    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^unibos_outbox_queued ${a.device.outbox.size}$`, 'm'));
    assert.match(metrics, /^unibos_radio_ready 1$/m);
  });

  test('a second node on the same data folder is refused, and the socket is private', async () => {
    await rejectsWith(startControlServer({ device: a.device, dataDir: a.dir, httpPort: null, logger: silent }), 'E_NODE_RUNNING', /already running with data dir/);
    assert.equal(statSync(control.socketPath).mode & 0o777, 0o600);
    assert.equal((await callNode<NodeStatus>(a.dir, 'GET', '/status')).nodeId, formatNodeId(a.identity.nodeId), 'the first node still answers');
  });

  test('the CLI prints remote text without terminal escapes, and --json as it came', async () => {
    const hostile = 'hi\u001b]0;owned\u0007\u001b[2J\u001b[H there\u009b31m';
    a.device.inbox.add(message({ text: hostile }));
    a.device.peers.heard(0x0badf00d, 0, 4, -80, { nodeInfo: { longName: '\u001b[31mred\u001b[0m\nname', shortName: 'f00d', hwModel: 'X', role: 'CLIENT', publicKey: new Uint8Array(32) } }, EPOCH);

    const inbox = await unibos(['inbox', '--last', '2', '--data-dir', a.dir]);
    assert.equal(inbox.code, 0, inbox.stderr);
    assert.equal(inbox.stdout.split('\n').filter(Boolean).length, 3, 'a header and the last two messages');
    assert.match(inbox.stdout, /hi there/);
    assert.doesNotMatch(inbox.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);

    const json = await unibos(['inbox', '--last', '1', '--json', '--data-dir', a.dir]);
    assert.equal((JSON.parse(json.stdout) as InboxMessage[])[0]!.text, hostile);

    const peers = await unibos(['peers', '--data-dir', a.dir]);
    assert.equal(peers.code, 0, peers.stderr);
    assert.match(peers.stdout, /!0badf00d\s+red name\s/);
    assert.doesNotMatch(peers.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);

    const both = await unibos(['inbox', '--last', '2', '--after', '1', '--data-dir', a.dir]);
    assert.equal(both.code, 2);
  });

  test('frames the router refused are counted by reason in status, `unibos status` and metrics', async () => {
    // Someone on the channel without its key: a frame of made-up bytes, twice.
    const eve = net.medium.radio(0x0e0e0e0e);
    eve.attach({ onReceive: () => {}, onTransmitDone: () => {} });
    const garbage = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff);
    for (let i = 0; i < 2; i++) {
      eve.transmit(garbage);
      net.run(5_000);
    }
    const { mesh } = await callNode<NodeStatus>(a.dir, 'GET', '/status');
    assert.equal(mesh.drops.E_BAD_HEADER, 2, `both refused frames are counted: ${JSON.stringify(mesh.drops)}`);
    const [reason, count] = ['E_BAD_HEADER', 2];

    const status = await unibos(['status', '--data-dir', a.dir]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`drops: ${reason} ${count}(, copies heard again \\d+)?$`, "m"), "refused frames first, copies of frames already taken apart");

    const metrics = await (await fetch(`http://127.0.0.1:${control.httpPort}/metrics`)).text();
    assert.match(metrics, new RegExp(`^unibos_mesh_drops\\{reason="${reason}"\\} ${count}$`, 'm'));
  });
});

test('a control socket left by a killed node is taken over', async () => {
  const dir = mkdtempSync(join(root, 'stale-'));
  const path = controlSocketPath(dir);
  // A process that binds the socket and dies without closing it, as a node does under SIGKILL.
  const child = spawn(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", path], { stdio: 'ignore' });
  await once(child, 'exit');
  assert.ok(existsSync(path), 'the dead process left its socket file');

  const net = pair();
  const server = await startControlServer({ device: net.a.device, dataDir: dir, httpPort: null, logger: silent });
  try {
    assert.equal((await callNode<NodeStatus>(dir, 'GET', '/status')).nodeId, formatNodeId(net.a.identity.nodeId));
  } finally {
    await server.close();
    net.a.db.close();
    net.b.db.close();
  }
});

test('callNode: no node, a node that fails, and a node that does not answer each say so', async () => {
  const nobody = join(root, 'nobody');
  await rejectsWith(callNode(nobody, 'GET', '/status'), 'E_NODE_NOT_RUNNING', /no node is running with data dir .*nobody.*start one with `unibos node`/);

  // A node whose database fails under it: a 500 the CLI reports as the node's fault, exit 1.
  const dir = mkdtempSync(join(root, 'broken-'));
  const broken = {
    status: () => {
      throw new FirmwareError('E_STORAGE', 'the node database is locked');
    },
  } as unknown as Device;
  const server = await startControlServer({ device: broken, dataDir: dir, httpPort: null, logger: silent });
  try {
    const r = await raw(dir, 'GET', '/status');
    assert.deepEqual(r, { status: 500, body: { statusCode: 500, code: 'E_STORAGE', error: 'Internal Server Error', message: 'the node database is locked' } });
    await rejectsWith(callNode(dir, 'GET', '/status'), 'E_NODE_ERROR', /^the node failed: the node database is locked$/);
    const cli = await unibos(['status', '--data-dir', dir]);
    assert.equal(cli.code, 1);
    assert.equal(cli.stderr, 'unibos status: the node failed: the node database is locked\n');
  } finally {
    await server.close();
  }

  // Something holds the socket and never answers.
  const hungDir = mkdtempSync(join(root, 'hung-'));
  const hung = createNetServer(() => undefined);
  hung.listen(controlSocketPath(hungDir));
  await once(hung, 'listening');
  try {
    await rejectsWith(callNode(hungDir, 'GET', '/status', undefined, { timeoutMs: 100 }), 'E_NODE_TIMEOUT', /did not answer within 0\.1 s/);
  } finally {
    hung.close();
  }
});

test('the inbox keeps only the newest messages, pruning in batches', () => {
  const dir = mkdtempSync(join(root, 'inbox-'));
  const db = openNodeDb(join(dir, 'node.db'));
  const count = () => (db.prepare('SELECT COUNT(*) AS n FROM inbox').get() as { n: number }).n;
  try {
    const inbox = new Inbox(db, { maxMessages: 50, pruneEvery: 10 });
    let last: InboxMessage | null = null;
    for (let i = 0; i < 125; i++) last = inbox.add(message({ text: `m${i}` }));
    // Pruned at the 120th insert down to 50; five more since.
    assert.equal(count(), 55);
    assert.equal(inbox.latest(1)[0]!.seq, last!.seq);
    assert.equal(inbox.since(0, 1)[0]!.text, 'm70', 'the oldest were deleted');

    // A restart with a lower limit trims at once.
    const smaller = new Inbox(db, { maxMessages: 20 });
    assert.equal(count(), 20);
    assert.deepEqual(smaller.latest(1000).map((m) => m.text), Array.from({ length: 20 }, (_, i) => `m${105 + i}`));
    assert.ok(smaller.add(message())!.seq > last!.seq, 'numbers are never reused');
  } finally {
    db.close();
  }
});

describe('systemd notifications', () => {
  test('without the unix-dgram addon, each notification runs systemd-notify for our PID', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const calls: Array<{ file: string; args: string[]; socket: string | undefined }> = [];
    const warnings: string[] = [];
    let stopped: () => void = () => undefined;
    const stoppingSent = new Promise<void>((resolve) => (stopped = resolve));
    const exec: ExecFn = (file, args, env, done) => {
      calls.push({ file, args, socket: env.NOTIFY_SOCKET });
      done(null);
      if (args.includes('STOPPING=1')) stopped();
    };
    const notifier = new SystemdNotifier({
      env: { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '20000' },
      onError: (m) => warnings.push(m),
      loadAddon: () => {
        throw new Error('Cannot find module unix-dgram');
      },
      exec,
    });
    assert.equal(notifier.transport, 'systemd-notify');
    assert.equal(notifier.enabled, true);
    notifier.ready('node !1a2b3c4d on sim radio');
    notifier.status('radio recovering');
    notifier.startWatchdog();
    t.mock.timers.tick(10); // half of WATCHDOG_USEC
    notifier.stopping();
    notifier.close();
    await stoppingSent;

    const pid = `--pid=${process.pid}`;
    assert.deepEqual(calls, [
      { file: 'systemd-notify', args: [pid, 'READY=1', 'STATUS=node !1a2b3c4d on sim radio'], socket: '/run/systemd/notify' },
      { file: 'systemd-notify', args: [pid, 'STATUS=radio recovering'], socket: '/run/systemd/notify' },
      { file: 'systemd-notify', args: [pid, 'WATCHDOG=1'], socket: '/run/systemd/notify' },
      { file: 'systemd-notify', args: [pid, 'STOPPING=1'], socket: '/run/systemd/notify' },
    ]);
    assert.equal(warnings.length, 1, 'the fallback is logged once');
    assert.match(warnings[0]!, /unix-dgram addon is not available \(Cannot find module unix-dgram\); sending systemd notifications through systemd-notify/);
  });

  test('without the addon or systemd-notify, notifications turn off with one warning', async () => {
    const warnings: string[] = [];
    let runs = 0;
    let ran: () => void = () => undefined;
    const notifier = new SystemdNotifier({
      env: { NOTIFY_SOCKET: '/run/systemd/notify' },
      onError: (m) => warnings.push(m),
      loadAddon: () => {
        throw new Error('no addon');
      },
      exec: (_file, _args, _env, done) => {
        runs++;
        done(Object.assign(new Error('spawn systemd-notify ENOENT'), { code: 'ENOENT' }));
        ran();
      },
    });
    await new Promise<void>((resolve) => {
      ran = resolve;
      notifier.ready();
    });
    notifier.status('still here');
    notifier.stopping();
    assert.equal(runs, 1);
    assert.equal(notifier.enabled, false);
    assert.match(notifier.disabledReason ?? '', /systemd-notify is not installed/);
    assert.equal(warnings.length, 2);
  });

  const require = createRequire(fileURLToPath(new URL('../package.json', import.meta.url)));
  let dgram: { createSocket(t: 'unix_dgram', cb: (buf: Buffer) => void): { bind(p: string): void; close(): void } } | undefined;
  try {
    dgram = require('unix-dgram') as typeof dgram;
  } catch {
    dgram = undefined;
  }

  test('with the addon, READY, STATUS, WATCHDOG and STOPPING arrive on the socket', { skip: dgram ? false : 'the unix-dgram addon is not built here' }, async () => {
    const path = join(mkdtempSync(join(root, 'notify-')), 'notify.sock');
    const messages: string[] = [];
    let wake: () => void = () => undefined;
    const socket = dgram!.createSocket('unix_dgram', (buf) => {
      messages.push(buf.toString());
      wake();
    });
    socket.bind(path);
    const arrived = (match: string) =>
      new Promise<void>((resolve) => {
        wake = () => {
          if (messages.some((m) => m.includes(match))) resolve();
        };
        wake();
      });
    const warnings: string[] = [];
    const notifier = new SystemdNotifier({ env: { NOTIFY_SOCKET: path, WATCHDOG_USEC: '20000' }, onError: (m) => warnings.push(m) });
    try {
      assert.equal(notifier.transport, 'unix-dgram');
      notifier.ready('node up');
      await arrived('READY=1');
      notifier.status('radio ready');
      await arrived('STATUS=radio ready');
      notifier.startWatchdog();
      await arrived('WATCHDOG=1');
      notifier.stopping();
      await arrived('STOPPING=1');
      assert.equal(messages[0], 'READY=1\nSTATUS=node up');
      assert.deepEqual(warnings, []);
    } finally {
      notifier.close();
      socket.close();
    }
  });
});

test('a full outbox: a text is refused with E_OUTBOX_FULL (503), an alert takes the place of the oldest text, and status and metrics count both', async () => {
  const net = pair({ UNIBOS_OUTBOX_MAX_MESSAGES: '100' });
  const { a, b } = net;
  const control = await startControlServer({ device: a.device, dataDir: a.dir, httpPort: 0, logger: silent });
  const dropped: Array<{ packetId: number; reason: string }> = [];
  a.device.on('dropped', (d) => dropped.push({ packetId: d.packetId, reason: d.reason }));
  try {
    await a.device.start();
    await b.device.start();
    net.run(60_000);
    a.radio.set('recovering'); // the modem hung: everything waits
    const first = a.device.sendText('text 0', b.identity.nodeId).packetId;
    for (let i = 1; i < 100; i++) a.device.sendText(`text ${i}`, b.identity.nodeId);

    const full = await raw(a.dir, 'POST', '/send', JSON.stringify({ text: 'one more' }));
    assert.equal(full.status, 503);
    assert.equal(full.body.code, 'E_OUTBOX_FULL');
    assert.match(String(full.body.message), /the outbox is full: 100 messages are waiting/);
    await rejectsWith(callNode(a.dir, 'POST', '/send', { text: 'one more' }), 'E_OUTBOX_FULL', /^the outbox is full/);
    // Refused before it is sealed: no message key is spent on a message that cannot be queued.
    assert.throws(() => a.device.sendPrivate('meet at the school', b.identity.nodeId), (err: unknown) => err instanceof FirmwareError && err.code === 'E_OUTBOX_FULL');

    a.device.sendAlert('WARNING', 'dam gate opening at 14:00');
    assert.deepEqual(dropped, [{ packetId: first, reason: 'evicted' }], 'the oldest text made room, and its packet id is told');
    a.device.raiseSos();
    assert.equal(a.device.outbox.size, 100);

    const status = await callNode<NodeStatus>(a.dir, 'GET', '/status');
    assert.equal(status.outbox.queued, 100);
    assert.equal(status.outbox.maxMessages, 100);
    assert.deepEqual(status.outbox.dropped, { evicted: 2, undecodable: 0, 'router-refused': 0, 'gave-up': 0 });
    assert.equal(status.outbox.refusedFull, 3);
    assert.equal(status.outbox.expired, 0, 'nothing was given up');

    const metrics = await (await fetch(`http://127.0.0.1:${control.httpPort}/metrics`)).text();
    assert.match(metrics, /^unibos_outbox_dropped_total\{reason="evicted"\} 2$/m);
    assert.match(metrics, /^unibos_outbox_dropped_total\{reason="gave-up"\} 0$/m);
    assert.match(metrics, /^unibos_outbox_refused_full_total 3$/m);
    assert.match(metrics, /^unibos_outbox_max_messages 100$/m);

    a.radio.set('ready');
    net.run(5 * 60_000);
    const atB = b.device.inbox.since(0, 1000);
    assert.ok(atB.some((m) => m.level === 'SOS') && atB.some((m) => m.text === 'dam gate opening at 14:00'), 'the SOS and the alert went');
    assert.ok(!atB.some((m) => m.text === 'text 0' || m.text === 'text 1'), 'what was pushed out never went on air');
  } finally {
    await control.close();
    for (const n of [a, b]) {
      await n.device.stop();
      n.db.close();
    }
  }
});

test('a later copy of a stored SOS moves it only with a newer position, and stays one message', () => {
  const dir = mkdtempSync(join(root, 'inbox-moves-'));
  const db = openNodeDb(join(dir, 'node.db'));
  try {
    const inbox = new Inbox(db);
    const sos = (latitude: number | null) => message({ from: 0x0a0a0a0a, kind: 'alert', level: 'SOS', text: 'SOS', requestId: 5, latitude, longitude: latitude === null ? null : 29 });
    const first = inbox.add(sos(null), EPOCH)!;
    assert.equal(inbox.add(sos(41.1), EPOCH + 10_000), null, 'a copy is not a new message');
    assert.equal(inbox.moved(sos(41.1), EPOCH + 10_000)?.latitude, 41.1, 'the first position known');
    assert.equal(inbox.moved(sos(41.2), EPOCH + 70_000)?.latitude, 41.2, 'a newer one');
    assert.equal(inbox.moved(sos(41.1), EPOCH + 10_000), null, 'a copy relayed late does not move it back');
    assert.equal(inbox.moved(sos(null), EPOCH + 90_000), null, 'nor does a copy without a position');
    assert.deepEqual(inbox.latest().map((m) => [m.seq, m.latitude, m.longitude]), [[first.seq, 41.2, 29]]);
  } finally {
    db.close();
  }
});
