// `unibos trace` the way a user runs it: `unibos air` and three `unibos node` processes in a line
// (A hears B, B hears C, A and C are out of range), then `unibos trace` on A names B on the way to C
// and back, each hop with an SNR, also when C is named by its name; a node nobody hears ends in a
// timeout that says what A knows of it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { callNode } from '@unibos/firmware';
import { Proc, json, procs, unibos } from './support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'unibos-trace-'));
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

test('unibos trace shows the path to a node two hops away and back, with each hop\'s SNR', { timeout: 240_000 }, async () => {
  const air = new Proc(['air', '--port', '0', '--preset', 'ShortFast']);
  const airPort = Number((await air.waitFor((l) => l.msg === 'simulated air listening', 'the air')).port);
  // ShortFast reaches about 3.4 km; 0.03 degrees of longitude at 41 N is about 2.5 km.
  const start = (name: string, lon: string) =>
    new Proc(['node', '--data-dir', join(root, name), '--name', `node ${name}`, '--preset', 'ShortFast', '--air', `127.0.0.1:${airPort}`, '--lat', '41', '--lon', lon, '--http-port', 'off']);
  const [a, b, c] = [start('A', '29.00'), start('B', '29.03'), start('C', '29.06')];
  const started = async (p: Proc) => (await p.waitFor((l) => l.msg === 'node started', 'node start')).nodeId as string;
  const [idA, idB, idC] = [await started(a), await started(b), await started(c)];

  // Each end learns its way to the other from the other's announcement, relayed by B.
  // A prints the names it knows: it waits for B's and C's announcements.
  const named = (p: Proc, id: string, name: string) => p.waitFor((l) => (l.msg === 'peer heard' || l.msg === 'peer named') && l.peer === id && l.peerName === name, `${name} to be heard by name`);
  await Promise.all([named(a, idB, 'node B'), named(a, idC, 'node C'), c.waitFor((l) => l.msg === 'peer heard' && l.peer === idA, 'C to hear A')]);

  const traced = await unibos(['trace', idC, '--data-dir', join(root, 'A')]);
  assert.equal(traced.code, 0, traced.stderr);
  const dB = '\\(-?\\d+\\.\\d\\d dB\\)';
  assert.match(traced.stdout, new RegExp(`route to ${idC} \\(hops there: 2, back: 2\\):`), traced.stdout);
  // Each end hands the trace to B; when it does not overhear B pass it on in time (a CI run under
  // load), it floods it from there, B carries it without recording itself, and the trace says so:
  // that stretch shows as `?`. Either way the trace is answered, two hops each way.
  const viaB = `(${idB} "node B" ${dB}|\\? \\(\\? dB\\))`;
  assert.match(traced.stdout, new RegExp(`towards: ${idA} "node A" → ${viaB} → ${idC} "node C" ${dB}`), traced.stdout);
  assert.match(traced.stdout, new RegExp(`back:\\s+${idC} "node C" → ${viaB} → ${idA} "node A" ${dB}`), traced.stdout);

  // C by the name it announced, in any case, as A heard it (B relays at most 6 traces a minute: no third one).
  const answer = await json<{ answered: boolean; towards: Array<{ node: string; snr: number | null }> }>(['trace', 'NODE c', '--data-dir', join(root, 'A')]);
  assert.equal(answer.answered, true);
  // B by its id when A's hand-over was confirmed, '?' (no SNR) when it flooded (above).
  const towards = answer.towards.map((h) => h.node);
  assert.ok(JSON.stringify(towards) === JSON.stringify([idA, idB, idC]) || JSON.stringify(towards) === JSON.stringify([idA, '?', idC]), JSON.stringify(answer.towards));
  assert.ok(answer.towards.slice(1).every((h) => typeof h.snr === 'number' || h.node === '?'), 'every recorded hop has its SNR');

  // A node nobody heard: the trace flooded as far as A's hop limit (the default, 3) lets it.
  const missing = await unibos(['trace', '!0e0e0e0e', '--timeout', '5', '--data-dir', join(root, 'A')]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `no answer from !0e0e0e0e within 5 s: ${idA} has never heard from it, so the trace went out as a flood, as far as its hop limit of 3 lets one go; the node may be off, farther away, or not exist\n`);

  const bad = await unibos(['trace', 'nobody', '--data-dir', join(root, 'A')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, new RegExp(`^unibos trace: no node called nobody among those ${idA} has heard: .*node B \\(${idB}\\).*; or give a node id such as !1a2b3c4d`));
  // The node's API refuses what the CLI would never send, naming the field.
  await assert.rejects(callNode(join(root, 'A'), 'POST', '/trace', { to: idC, timeoutS: 0 }), { code: 'E_BAD_REQUEST', message: /timeoutS must be a whole number of seconds from 1 to 600/ });
  await assert.rejects(callNode(join(root, 'A'), 'POST', '/trace', { to: 5 }), { code: 'E_BAD_REQUEST', message: /to must be a node id string/ });
  await assert.rejects(callNode(join(root, 'A'), 'POST', '/trace', { to: idA }), { code: 'E_BAD_REQUEST', message: /is this node/ });
});
