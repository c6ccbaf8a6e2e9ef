// First run with `npm start`: `unibos status|peers|inbox|send|sos` find the demo's nodes by name
// (--node), say which nodes there are when nothing runs in the default folder, and every option
// in `--help` says what it takes and its default.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { controlSocketPath } from '@unibos/firmware';
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
});

test('with the demo running, `unibos status` without a folder lists the demo nodes, and --node reaches one', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'unibos-lookup-'));
  const servers: Server[] = [];
  t.after(() => {
    for (const s of servers) s.close();
    rmSync(home, { recursive: true, force: true });
  });
  const demo = join(home, '.unibos', 'demo');
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
  const home = mkdtempSync(join(tmpdir(), 'unibos-lookup-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const demo = join(home, '.unibos', 'demo');
  const clinicDir = join(demo, 'nodes', 'node-3');
  mkdirSync(clinicDir, { recursive: true });
  // The demo ran once (its list is kept), but nothing answers now.
  writeFileSync(join(demo, 'nodes.json'), JSON.stringify([{ name: 'Clinic', id: '!a50a6e65', dataDir: clinicDir }]));
  for (const args of [['status', '--node', 'Clinic'], ['peers', '--data-dir', clinicDir]]) {
    const r = await unibos(args, { HOME: home });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /demo.*not running.*start (it|the demo) with `npm start` \(or `unibos demo`\)/, args.join(' '));
    assert.doesNotMatch(r.stderr, /unibos node`/, 'not a hint to start some other node');
  }
  const tr = await unibos(['status', '--node', 'clinic'], { HOME: home, UNIBOS_LANG: 'tr' });
  assert.match(tr.stderr, /Clinic demonun bir cihazı; demo şu an çalışmıyor .*`npm start`/);
  // A folder of its own, outside the demo: a node to start with `unibos node`, as before.
  const own = await unibos(['status', '--data-dir', join(home, 'mine')], { HOME: home });
  assert.match(own.stderr, /start one with `unibos node`/);
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
  const files = [join(ROOT, 'cli/unibos.ts'), join(ROOT, 'cli/node-control.ts'), ...readdirSync(join(ROOT, 'cli/commands')).map((f) => join(ROOT, 'cli/commands', f))];
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
