// First run with `npm start`: `unibos status|peers|inbox|send|sos` find the demo's nodes by name
// (--node, the gateway too, even from an older demo's list), point a stopped or crashed demo's nodes
// to `npm start`, say which nodes there are when nothing runs in the default folder, and every option
// in `--help` says what it takes and its default.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test, type TestContext } from 'node:test';
import { controlSocketPath, formatNodeId, loadOrCreateIdentity } from '@unibos/firmware';
import { findNode } from '../node-control.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
/** Runs the CLI without blocking this process (the stand-in node below answers from here). */
function unibos(args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> {
  const base = { ...process.env };
  delete base.UNIBOS_DATA_DIR;
  delete base.UNIBOS_DEMO_DIR;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/unibos.js'), ...args], { cwd: ROOT, env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('--node finds a demo node by name (any case) or id, and names the known ones when it cannot', () => {
  const nodes = [
    { name: 'Harbour', id: '!a1b2c3d4', dataDir: '/x/node-1' },
    { name: 'Clinic', id: '!a50a6e65', dataDir: '/x/node-3' },
  ];
  assert.equal(findNode('clinic', nodes).dataDir, '/x/node-3');
  assert.equal(findNode('!a1b2c3d4', nodes).dataDir, '/x/node-1');
  assert.equal(findNode('a50a6e65', nodes).dataDir, '/x/node-3');
  assert.throws(() => findNode('School', nodes), /no such node; the demo's nodes are Harbour \(!a1b2c3d4\), Clinic \(!a50a6e65\)/);
  // The same lookup as `send --to` and `trace` (node-names.ts): a name two nodes share names neither.
  const twice = [...nodes, { name: 'harbour', id: '!0b0b0b0b', dataDir: '/x/node-6' }];
  assert.throws(() => findNode('HARBOUR', twice), /--node HARBOUR: 2 of the demo's nodes are called that: Harbour \(!a1b2c3d4\), harbour \(!0b0b0b0b\); give the id of the one you mean/);
  assert.equal(findNode('!0b0b0b0b', twice).dataDir, '/x/node-6');
});

test('with the demo running, `unibos status` without a folder lists the demo nodes, and --node reaches one', async (t) => {
  const { home, demo, servers } = demoHome(t);
  const clinicDir = join(demo, 'nodes', 'node-3');
  mkdirSync(clinicDir, { recursive: true });
  writeFileSync(join(demo, 'nodes.json'), JSON.stringify([{ name: 'Clinic', id: '!a50a6e65', dataDir: clinicDir }]));
  // A stand-in for the node's control socket: answers /status as a node does.
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ nodeId: '!a50a6e65', name: 'Clinic', role: 'CLIENT', uptimeS: 5, radio: { type: 'sim', state: 'ready', preset: 'ShortFast', frequencyHz: 869525000, region: 'EU868' }, gps: { type: 'sim', fix: null }, mesh: { channel: 'Public', hopLimit: 3, channelUtilizationPercent: 1, framesSent: 1, framesReceived: 2, delivered: 2, relayed: 0, drops: {} }, outbox: { queued: 0, oldestAgeS: null, expired: 0 }, sos: { stage: 'none' }, peers: 4 }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(controlSocketPath(clinicDir), resolve));
  const clean = { HOME: home };
  const hint = await unibos(['status'], clean);
  assert.equal(hint.status, 2, hint.stderr);
  assert.match(hint.stderr, /the demo's nodes are: Clinic \(!a50a6e65\); pick one with --node NAME \(e\.g\. --node Clinic\)/);
  const status = await unibos(['status', '--node', 'clinic'], clean);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /node\s+!a50a6e65\s+Clinic/);
});

test('with the demo stopped, a demo node by name or folder is pointed to `npm start`, not to `unibos node`', async (t) => {
  const { home, demo } = demoHome(t);
  const clinicDir = join(demo, 'nodes', 'node-3');
  mkdirSync(clinicDir, { recursive: true });
  // The demo ran once (its list is kept), but nothing answers now.
  writeFileSync(join(demo, 'nodes.json'), JSON.stringify([{ name: 'Clinic', id: '!a50a6e65', dataDir: clinicDir }]));
  await pointedToDemo(home, clinicDir);
  // A folder of its own, outside the demo: a node to start with `unibos node`, as before.
  const own = await unibos(['status', '--data-dir', join(home, 'mine')], { HOME: home });
  assert.match(own.stderr, /start one with `unibos node`/);
});

/** Leaves a control socket in `dataDir` the way a crashed node does: a process listening there is killed (SIGKILL). */
/** A HOME of its own for the CLI, removed after the test with the stand-in nodes' servers; the demo's folder in it. */
function demoHome(t: TestContext): { home: string; demo: string; servers: Server[] } {
  const home = mkdtempSync(join(tmpdir(), 'unibos-lookup-'));
  const servers: Server[] = [];
  t.after(() => {
    for (const s of servers) s.close();
    rmSync(home, { recursive: true, force: true });
  });
  return { home, demo: join(home, '.unibos', 'demo'), servers };
}

/** `unibos status --node Clinic` and `peers --data-dir` its folder, in English and Turkish: the demo is not running, start it with `npm start`. */
async function pointedToDemo(home: string, clinicDir: string): Promise<void> {
  for (const args of [['status', '--node', 'Clinic'], ['peers', '--data-dir', clinicDir]]) {
    const r = await unibos(args, { HOME: home });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /demo.*not running.*start (it|the demo) with `npm start` \(or `unibos demo`\)/, args.join(' '));
    assert.doesNotMatch(r.stderr, /unibos node`/, 'not a hint to start some other node');
  }
  const tr = await unibos(['status', '--node', 'clinic'], { HOME: home, UNIBOS_LANG: 'tr' });
  assert.match(tr.stderr, /Clinic demonun bir cihazı; demo şu an çalışmıyor .*`npm start`/);
}

async function crashedNode(dataDir: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', "require('node:net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", controlSocketPath(dataDir)], { stdio: 'inherit' });
  const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
  assert.equal(signal, 'SIGKILL');
  assert.ok(existsSync(controlSocketPath(dataDir)), 'the killed process left its socket file behind');
}

test('a demo that crashed left its control sockets: its nodes are still pointed to `npm start`, not to `unibos node`', async (t) => {
  const { home, demo } = demoHome(t);
  const clinicDir = join(demo, 'nodes', 'node-3');
  mkdirSync(clinicDir, { recursive: true });
  writeFileSync(join(demo, 'nodes.json'), JSON.stringify([{ name: 'Clinic', id: '!a50a6e65', dataDir: clinicDir }]));
  await crashedNode(clinicDir);
  await pointedToDemo(home, clinicDir);
  // Nothing in the default folder either: a dead demo node is not offered as one to pick.
  const bare = await unibos(['status'], { HOME: home });
  assert.doesNotMatch(bare.stderr, /pick one with --node/);
  // A node of its own that crashed: its folder is named, and why the socket there is no node.
  const mine = join(home, 'mine');
  mkdirSync(mine);
  await crashedNode(mine);
  const own = await unibos(['status', '--data-dir', mine], { HOME: home });
  assert.match(own.stderr, /no node is running with data dir .*mine \(nothing answers on .*node\.sock, left by a node that stopped\); start one with `unibos node`/);
  const ownTr = await unibos(['status', '--data-dir', mine], { HOME: home, UNIBOS_LANG: 'tr' });
  assert.match(ownTr.stderr, /mine klasörüyle çalışan cihaz yok \(.*node\.sock yanıt vermiyor, duran bir cihazdan kalmış\)/);
});

test('--node "Demo gateway" reaches the gateway of a demo whose nodes.json was written before the demo listed it', async (t) => {
  const { home, demo, servers } = demoHome(t);
  const clinicDir = join(demo, 'nodes', 'node-3');
  const gatewayDir = join(demo, 'gateway');
  mkdirSync(clinicDir, { recursive: true });
  mkdirSync(gatewayDir, { recursive: true });
  // The gateway's identity as the demo created it; the older demo listed its field nodes only.
  const gatewayId = formatNodeId(loadOrCreateIdentity(join(gatewayDir, 'identity.json')).nodeId);
  writeFileSync(join(demo, 'nodes.json'), JSON.stringify([{ name: 'Clinic', id: '!a50a6e65', dataDir: clinicDir }]));

  // Stopped: pointed to `npm start` like the other demo nodes, not told there is no such node.
  const stopped = await unibos(['status', '--node', 'Demo gateway'], { HOME: home });
  assert.equal(stopped.status, 2, stopped.stderr);
  assert.match(stopped.stderr, /Demo gateway is a node of the demo, which is not running .*`npm start`/);
  const stoppedTr = await unibos(['status', '--node', 'Demo gateway'], { HOME: home, UNIBOS_LANG: 'tr' });
  assert.match(stoppedTr.stderr, /Demo gateway demonun bir cihazı; demo şu an çalışmıyor .*`npm start`/);
  const unknown = await unibos(['status', '--node', 'School'], { HOME: home });
  assert.match(unknown.stderr, new RegExp(`the demo's nodes are Clinic \\(!a50a6e65\\), Demo gateway \\(${gatewayId}\\)`));

  // Running (a stand-in for the gateway's control socket): reached by name, any case, or by id.
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ nodeId: gatewayId, name: 'Demo gateway', role: 'ROUTER', uptimeS: 5, radio: { type: 'sim', state: 'ready', preset: 'ShortFast', frequencyHz: 869525000, region: 'EU868' }, gps: { type: 'sim', fix: null }, mesh: { channel: 'Public', hopLimit: 3, channelUtilizationPercent: 1, framesSent: 1, framesReceived: 2, delivered: 2, relayed: 0, drops: {} }, outbox: { queued: 0, oldestAgeS: null, expired: 0 }, sos: { stage: 'none' }, peers: 4 }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(controlSocketPath(gatewayDir), resolve));
  for (const name of ['Demo gateway', 'demo gateway', gatewayId]) {
    const r = await unibos(['status', '--node', name], { HOME: home });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^node\\s+${gatewayId}\\s+Demo gateway`, 'm'), name);
  }
});

test('every option in the node commands\u2019 --help says what it takes and its default', async () => {
  for (const command of ['node', 'gateway', 'status', 'peers', 'inbox', 'send', 'sos', 'demo']) {
    const r = await unibos([command, '--help'], {});
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, / VALUE\b/, `${command}: no bare VALUE placeholders`);
    // An option's text may continue on the lines below it.
    const blocks = r.stdout.split('\n').reduce<string[]>((acc, line) => {
      if (/^\s+--/.test(line)) acc.push(line);
      else if (acc.length > 0 && /^\s{10,}\S/.test(line)) acc[acc.length - 1] += ` ${line.trim()}`;
      return acc;
    }, []);
    assert.ok(blocks.length > 0, `${command} lists options`);
    for (const b of blocks) assert.match(b, /default|required|\d+\.\.\d+/i, `${command}: ${b.trim()}`);
  }
});

test('the CLI speaks Turkish when the locale or UNIBOS_LANG says so, with every message translated', async () => {
  const tr = await unibos(['--help'], { LANG: 'tr_TR.UTF-8' });
  assert.match(tr.stdout, /^kullanım: unibos <komut>/);
  assert.match(tr.stdout, /status\s+çalışan cihazın ne yaptığını göster/);
  const en = await unibos(['--help'], { LANG: 'tr_TR.UTF-8', UNIBOS_LANG: 'en' });
  assert.match(en.stdout, /^usage: unibos <command>/, 'UNIBOS_LANG wins over the locale');
  const lost = await unibos(['status', '--node', 'nobody'], { UNIBOS_LANG: 'tr', HOME: tmpdir() });
  assert.match(lost.stderr, /bilinen demo cihazı yok/);
  // Every sentence the CLI passes through say() has its Turkish.
  const { readdirSync, readFileSync } = await import('node:fs');
  const { CLI_TURKISH } = await import('../cli-language.ts');
  const files = [join(ROOT, 'cli/unibos.ts'), join(ROOT, 'cli/node-control.ts'), join(ROOT, 'cli/node-names.ts'), join(ROOT, 'cli/node-role.ts'), ...readdirSync(join(ROOT, 'cli/commands')).map((f) => join(ROOT, 'cli/commands', f))];
  const missing: string[] = [];
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/\bsay\(\s*(['"`])((?:\\.|(?!\1).)*)\1/g)) {
      const key = m[2]!.replace(/\\n/g, '\n').replace(/\\(['"`])/g, '$1');
      if (!(key in CLI_TURKISH)) missing.push(`${f}: ${key}`);
    }
  }
  const summaries = [...readFileSync(join(ROOT, 'cli/unibos.ts'), 'utf8').matchAll(/summary: '((?:\\.|[^'])*)'/g)].map((m) => m[1]!);
  for (const s of summaries) if (!(s in CLI_TURKISH)) missing.push(`summary: ${s}`);
  assert.deepEqual(missing, []);
});
