// The proof, the way a user runs it: `unibos air` and three `unibos node` processes in a
// line A–B–C where A cannot hear C, driven with `unibos send|sos|peers|inbox|status`; then a
// restart with an unsent message, the systemd notifications, and the errors people meet first.

import assert from 'node:assert/strict';
import { Proc, json, procs, unibos } from './support/processes.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loraParams, rangeM } from '@unibos/mesh-protocol';

const root = mkdtempSync(join(tmpdir(), 'unibos-node-'));
/** Closed even when a test fails half-way, so the test process can exit. */
const sockets: Array<{ close(): void }> = [];
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  for (const s of sockets) s.close();
  rmSync(root, { recursive: true, force: true });
});

/** A Unix datagram socket standing in for systemd's notification socket. */
function notifySocket(path: string): { messages: string[]; next(match: string): Promise<void>; close(): void } {
  const require = createRequire(fileURLToPath(new URL('../../firmware/package.json', import.meta.url)));
  const dgram = require('unix-dgram') as { createSocket(t: string, cb: (buf: Buffer) => void): { bind(p: string): void; close(): void } };
  const messages: string[] = [];
  let waiters: Array<() => void> = [];
  const s = dgram.createSocket('unix_dgram', (buf) => {
    messages.push(buf.toString());
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  s.bind(path);
  let closed = false;
  const close = () => {
    if (!closed) s.close();
    closed = true;
  };
  sockets.push({ close });
  return {
    messages,
    next: async (match) => {
      const deadline = Date.now() + 30_000;
      while (!messages.some((m) => m.includes(match))) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${match} notification within 30 s; got ${JSON.stringify(messages)}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => (clearTimeout(t), resolve()));
        });
      }
    },
    close,
  };
}

// ShortFast keeps the real-time test quick; nodes are placed by its range so that A and B, and
// B and C, hear each other, and A and C do not.
const range = rangeM(loraParams('ShortFast'));
const LAT = 41;
const lonAt = (m: number) => (29 + m / (111_320 * Math.cos((LAT * Math.PI) / 180))).toFixed(6);

test('three nodes in a line: text A→C once through B, SOS C→A, peers, restart with an unsent message', { timeout: 360_000 }, async () => {
  const air = new Proc(['air', '--port', '0', '--preset', 'ShortFast']);
  const airPort = Number((await air.waitFor((l) => l.msg === 'simulated air listening', 'the air')).port);
  const dirs = { A: join(root, 'a'), B: join(root, 'b'), C: join(root, 'c') };
  const notify = notifySocket(join(root, 'notify.sock'));
  const startNode = (name: 'A' | 'B' | 'C', env: NodeJS.ProcessEnv = {}) =>
    new Proc(
      ['node', '--data-dir', dirs[name], '--name', `node ${name}`, '--preset', 'ShortFast', '--air', `127.0.0.1:${airPort}`, '--lat', String(LAT), '--lon', lonAt({ A: 0, B: 0.6, C: 1.2 }[name] * range), '--http-port', name === 'A' ? '0' : 'off'],
      env,
    );
  let a = startNode('A', { NOTIFY_SOCKET: join(root, 'notify.sock'), WATCHDOG_USEC: '200000' });
  const b = startNode('B');
  const c = startNode('C');
  const started = async (p: Proc) => (await p.waitFor((l) => l.msg === 'node started', 'node start')).nodeId as string;
  const [idA, idB, idC] = [await started(a), await started(b), await started(c)];
  await notify.next('READY=1');
  await notify.next('WATCHDOG=1');

  // A text from A to C, through B, exactly once.
  const sent = await unibos(['send', 'water at the school', '--to', idC, '--data-dir', dirs.A]);
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /queued message !\w{8} for !\w{8}/);
  await c.waitFor((l) => l.msg === 'text received', 'C to receive the text');
  const inboxC = await json<Array<{ from: string; packetId: string; text: string; hops: number }>>(['inbox', '--data-dir', dirs.C]);
  assert.deepEqual(inboxC.map((m) => [m.text, m.hops, m.from]), [['water at the school', 2, idA]], 'ids are written as the text output writes them');
  assert.match(sent.stdout, new RegExp(`queued message ${inboxC[0]!.packetId} `));
  assert.equal((await json<unknown[]>(['inbox', '--data-dir', dirs.B])).length, 0, 'B relays, does not deliver');

  // An SOS from C reaches A.
  const sos = await unibos(['sos', '--data-dir', dirs.C]);
  assert.equal(sos.code, 0, sos.stderr);
  await a.waitFor((l) => l.msg === 'alert received' && l.level === 'SOS', 'A to receive the SOS');

  // A's node database: B one hop away, C two. B's announcement goes out within 10 s of its start.
  await a.waitFor((l) => l.msg === 'peer heard' && l.peer === idB, 'A to hear B');
  const peers = await json<{ self: string; peers: Array<{ nodeId: string; hops: number; longName: string }> }>(['peers', '--data-dir', dirs.A]);
  const hops = Object.fromEntries(peers.peers.map((p) => [p.nodeId, p.hops]));
  assert.equal(peers.self, idA);
  assert.equal(hops[idB], 1);
  assert.equal(hops[idC], 2);
  // Names arrive with NodeInfo announcements, which may need a retry after a start-up collision.
  await a.waitFor((l) => (l.msg === 'peer heard' || l.msg === 'peer named') && l.peer === idC && l.peerName === 'node C', "A to learn C's name");
  const table = await unibos(['peers', '--data-dir', dirs.A]);
  // C raised an SOS above and has not said it is safe: its row comes first and says so next to its name and role.
  assert.match(table.stdout.split('\n')[1]!, new RegExp(`^${idC}\\s+node C\\s+client\\s+SOS OPEN\\s+2\\s`));

  // Health and metrics on A's loopback port.
  const httpPort = (await a.waitFor((l) => l.msg === 'control API listening', 'A control API')).httpPort as number;
  const health = await fetch(`http://127.0.0.1:${httpPort}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok', radio: 'ready' });
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  assert.match(metrics, /^unibos_mesh_frames_sent \d+/m);
  assert.match(metrics, /^unibos_outbox_queued \d+$/m);

  // The air goes down: A keeps a new message, and keeps it across its own restart.
  assert.equal(await air.stop(), 0);
  await a.waitFor((l) => l.msg === 'radio recovering', 'A to notice the air is gone');
  const queued = await unibos(['send', 'after the storm', '--to', idC, '--data-dir', dirs.A]);
  assert.equal(queued.code, 0, queued.stderr);
  // The first text may still wait for C's ack, which the air took with it: it stays queued too.
  const queuedBefore = (await json<{ outbox: { queued: number } }>(['status', '--data-dir', dirs.A])).outbox.queued;
  assert.ok(queuedBefore >= 1 && queuedBefore <= 2, `queued: ${queuedBefore}`);
  assert.equal(await a.stop(), 0, 'SIGTERM ends the node cleanly');
  await notify.next('STOPPING=1');

  a = startNode('A');
  const restarted = await a.waitFor((l) => l.msg === 'node started', 'A restart');
  assert.equal(restarted.nodeId, idA, 'same identity after the restart');
  assert.equal(restarted.queued, queuedBefore, 'the unsent messages survived');
  const status = await json<{ radio: { state: string; error: string } }>(['status', '--data-dir', dirs.A]);
  assert.notEqual(status.radio.state, 'ready');
  assert.match(status.radio.error, /no simulated air/);

  // The air comes back. Each node rejoins on its own backoff (A since its start without air, B and
  // C since they lost it), so A may try the path before B and C are back: its outbox then keeps the
  // text and tries again, 30 s later at most 37.5 s. So the test waits for the three to be on the
  // air, and then for the text, with a deadline well beyond one retry only to stop a hung run.
  const [aLines, bLines, cLines] = [a.lines.length, b.lines.length, c.lines.length];
  const air2 = new Proc(['air', '--port', String(airPort), '--preset', 'ShortFast']);
  await air2.waitFor((l) => l.msg === 'simulated air listening', 'the air again');
  // A retries its radio on a backoff of up to 60 s, B and C theirs on up to 10 s.
  const backOnAir = (p: Proc, name: string, from: number) => p.waitFor((l) => l.msg === 'radio ready', `${name} back on the air`, from, 90_000);
  await Promise.all([backOnAir(a, 'A', aLines), backOnAir(b, 'B', bLines), backOnAir(c, 'C', cLines)]);
  await c.waitFor((l) => l.msg === 'text received', 'C to receive the stored text', cLines, 150_000).catch((err: Error) => {
    throw new Error(`${err.message}; A's outbox said: ${JSON.stringify(a.lines.filter((l) => /outbox|delivered/.test(l.msg)).slice(-3))}`);
  });
  const texts = (await json<Array<{ text: string }>>(['inbox', '--data-dir', dirs.C])).map((m) => m.text).filter((t) => t !== undefined);
  assert.deepEqual(texts, ['water at the school', 'after the storm']);

  for (const [name, p] of Object.entries({ a, b, c, air2 })) assert.equal(await p.stop(), 0, `${name} exits 0 on SIGTERM: ${p.stderr} ${JSON.stringify(p.lines.slice(-3))}`);
  notify.close();
});

test('clear errors: no node running, a second node on the same folder, a bad setting', { timeout: 60_000 }, async () => {
  const empty = join(root, 'nobody');
  const r = await unibos(['status', '--data-dir', empty]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no node is running with data dir .*nobody.*start one with `unibos node`/);

  const bad = await unibos(['node', '--data-dir', join(root, 'bad'), '--hop-limit', '12']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /hopLimit \(from --hop-limit\): expected an integer 0\.\.7/);

  const noPos = await unibos(['node', '--data-dir', join(root, 'nopos'), '--http-port', 'off']);
  assert.equal(noPos.code, 2);
  assert.match(noPos.stderr, /simulated radio needs a place on the simulated air: set gps\.latitude and gps\.longitude \(--lat, --lon\)/);

  const dir = join(root, 'single');
  const first = new Proc(['node', '--data-dir', dir, '--lat', '41', '--lon', '29', '--http-port', 'off', '--air', '127.0.0.1:1']);
  await first.waitFor((l) => l.msg === 'node started', 'the first node');
  assert.ok(first.lines.some((l) => /radio unavailable: no simulated air at 127\.0\.0\.1:1/.test(l.msg)), 'a missing radio is logged, and the node keeps running');
  const second = await unibos(['node', '--data-dir', dir, '--lat', '41', '--lon', '29', '--http-port', 'off', '--air', '127.0.0.1:1']);
  assert.equal(second.code, 2);
  assert.match(second.stderr, /a node is already running with data dir/);
  const send = await unibos(['send', 'x'.repeat(300), '--data-dir', dir]);
  assert.equal(send.code, 2);
  assert.match(send.stderr, /a text may have at most 200 bytes/);
  assert.equal(await first.stop(), 0);
});

test('a node with no radio (a card no one has set up) runs, refuses an SOS or a text (it would go out days later, when a radio is set up), and its status says why', { timeout: 60_000 }, async () => {
  const dir = join(root, 'no-radio');
  const node = new Proc(['node', '--data-dir', dir, '--radio', 'none', '--region', 'NONE', '--http-port', 'off']);
  await node.waitFor((l) => l.msg === 'node started', 'the node');
  const sos = await unibos(['sos', '--data-dir', dir]);
  assert.equal(sos.code, 2);
  assert.equal(sos.stderr, 'unibos sos: no radio is set up on this node, so nothing can be sent (on a flashed card, put a unibos.json naming the board and region on its boot partition and reboot)\n');
  const sent = await unibos(['send', 'water at the school', '--data-dir', dir]);
  assert.equal(sent.code, 2);
  const status = await unibos(['status', '--data-dir', dir]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^radio +none, off\n +no radio is set up: nothing goes on air \(on a flashed card, put a unibos\.json naming the board and region on its boot partition and reboot\)$/m);
  const s = await json<{ mesh: { framesSent: number }; outbox: { queued: number }; sos: { stage: string } }>(['status', '--data-dir', dir]);
  assert.deepEqual([s.mesh.framesSent, s.outbox.queued, s.sos.stage], [0, 0, 'none'], 'nothing sent, nothing waiting, no SOS open');
  const tr = await unibos(['sos', '--data-dir', dir], { UNIBOS_LANG: 'tr' });
  assert.match(tr.stderr, /^unibos sos: bu cihazda telsiz ayarlanmadı/);
  const trStatus = await unibos(['status', '--data-dir', dir], { UNIBOS_LANG: 'tr' });
  assert.match(trStatus.stdout, /none, kapalı \(telsiz yok\)\n.*telsiz ayarlanmadı: yayına hiçbir şey çıkmaz/);
  assert.equal(await node.stop(), 0);
});
