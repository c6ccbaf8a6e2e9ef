// What a new user meets in `unibos peers|status|send|trace`, in English and Turkish, against a
// stand-in for a running node's control socket (it answers as a node does and keeps what it was
// asked): roles said in words, nodes named by the names they announced (any case; an ambiguous or
// unknown name said clearly), and a trace that got no answer saying what this node knows instead.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { controlSocketPath, type Peer } from '@unibos/firmware';
import { unibos } from './support/processes.ts';

const SELF = '!d744fa53';
const FARM = 0x8d20bbf1;
const CLINIC = 0x9023939c;
const GATEWAY = 0x9d06d5b2;
const BRIDGE = 0x1c2ceb25;

/** How long ago each peer was last heard, as of the moment the stand-in is asked (a slow run must not age them). */
const AGO = new Map<number, number>();

function peer(nodeId: number, longName: string | null, role: string | null, hops: number, agoMs: number): Peer {
  AGO.set(nodeId, agoMs);
  return { nodeId, longName, shortName: null, role, lastHeardMs: 0, hops, snr: hops === 1 ? 6.25 : null, rssi: hops === 1 ? -108 : null, latitude: null, longitude: null, altitudeM: null, positionMs: null, batteryLevel: null, voltage: null, sosOpen: false };
}

const PEERS = [
  peer(GATEWAY, 'Demo gateway', 'GATEWAY', 1, 6_000),
  peer(FARM, 'Farm', 'CLIENT', 1, 120_000),
  peer(CLINIC, 'Clinic', 'ROUTER', 3, 600_000),
  // Two nodes announce the same name in different case.
  peer(BRIDGE, 'Bridge', 'CLIENT', 2, 30_000),
  peer(0x2b2b2b2b, 'bridge', 'CLIENT', 2, 40_000),
  // Typed İSKELE, iskele or ISKELE on any keyboard, whatever the locale makes of i and I.
  peer(0x15ce1e00, 'İskele', 'CLIENT', 1, 5_000),
  // A name that reads as a number (Türkiye's emergency number): not node !00000070.
  peer(0x4444aaaa, '112', 'CLIENT', 1, 5_000),
];

const STATUS = {
  nodeId: SELF, name: 'Harbour', role: 'CLIENT', uptimeS: 46,
  radio: { type: 'sim', state: 'ready', warning: null, preset: 'ShortFast', frequencyHz: 869_525_000, region: 'EU868' },
  gps: { type: 'sim', fix: null },
  mesh: { channel: 'Public', hopLimit: 5, channelUtilizationPercent: 1, framesSent: 1, framesReceived: 2, delivered: 2, relayed: 0, drops: {} },
  outbox: { queued: 0, oldestAgeS: null, expired: 0 }, sos: { stage: 'none' }, peers: PEERS.length, modules: [],
};

interface StandIn {
  dir: string;
  /** The bodies of the POSTs the node was sent, by path. */
  posted: Array<{ path: string; body: Record<string, unknown> }>;
}

/** A node's control socket in a folder of its own: /peers, /status, /send, and /trace that never gets an answer. */
async function standIn(t: TestContext, status: Record<string, unknown> = STATUS): Promise<StandIn> {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-names-'));
  const posted: StandIn['posted'] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (c: string) => (text += c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      if (req.method === 'POST') posted.push({ path: req.url!, body });
      if (req.url === '/peers') return res.end(JSON.stringify({ self: SELF, peers: PEERS.map((p) => ({ ...p, lastHeardMs: Date.now() - AGO.get(p.nodeId)! })) }));
      if (req.url === '/status') return res.end(JSON.stringify(status));
      if (req.url === '/send') return res.end(JSON.stringify({ packetId: 0x1234abcd, queued: 1 }));
      if (req.url === '/trace') return res.end(JSON.stringify({ self: SELF, destination: body.to, answered: false, timeoutS: body.timeoutS, towards: [], back: [] }));
      res.statusCode = 404;
      res.end(JSON.stringify({ message: 'no such endpoint' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(controlSocketPath(dir), resolve));
  t.after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, posted };
}

test('peers and status say a node\'s role as a word of the reader\'s language, not the flag value', async (t) => {
  const { dir } = await standIn(t);
  for (const [lang, client, router, gateway] of [
    ['en', 'client', 'router', 'gateway'],
    ['tr', 'istemci', 'yönlendirici', 'ağ geçidi'],
  ] as const) {
    const peers = await unibos(['peers', '--data-dir', dir], { UNIBOS_LANG: lang });
    assert.equal(peers.code, 0, peers.stderr);
    assert.match(peers.stdout, /^(NODE|CİHAZ)\s+(NAME|AD)\s+ROLE?\s/, `${lang}: a role column`);
    assert.match(peers.stdout, new RegExp(`^!9d06d5b2\\s+Demo gateway\\s+${gateway}\\s`, 'm'), peers.stdout);
    assert.match(peers.stdout, new RegExp(`^!8d20bbf1\\s+Farm\\s+${client}\\s`, 'm'), peers.stdout);
    assert.match(peers.stdout, new RegExp(`^!9023939c\\s+Clinic\\s+${router}\\s`, 'm'), peers.stdout);
    const status = await unibos(['status', '--data-dir', dir], { UNIBOS_LANG: lang });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`!d744fa53 {2}Harbour {2}\\(${client}\\)`), status.stdout);
    for (const out of [peers.stdout, status.stdout]) assert.doesNotMatch(out, /CLIENT|ROUTER|GATEWAY/);
  }
});

test('send --to and trace take the name a node announced, in any case; an ambiguous or unknown name is a clear error', async (t) => {
  const node = await standIn(t);
  const sent = await unibos(['send', 'hello', '--to', 'FARM', '--data-dir', node.dir]);
  assert.deepEqual([sent.code, sent.stderr], [0, '']);
  assert.equal(sent.stdout, 'queued message !1234abcd for Farm !8d20bbf1 (1 in the outbox)\n');
  assert.deepEqual(node.posted.at(-1), { path: '/send', body: { text: 'hello', to: '!8d20bbf1' } });
  const privately = await unibos(['send', 'hello', '--to', 'demo gateway', '--private', '--data-dir', node.dir], { UNIBOS_LANG: 'tr' });
  assert.equal(privately.stdout, '!1234abcd özel mesajı Demo gateway !9d06d5b2 için uçtan uca şifreli olarak sıraya alındı (giden kutusunda 1)\n');
  assert.deepEqual(node.posted.at(-1), { path: '/send', body: { text: 'hello', to: '!9d06d5b2', private: true } });
  for (const typed of ['ISKELE', 'iskele']) {
    assert.equal((await unibos(['send', 'hi', '--to', typed, '--data-dir', node.dir])).stdout, 'queued message !1234abcd for İskele !15ce1e00 (1 in the outbox)\n', typed);
  }
  // A name that could be read as an id names its node; 8 hex digits of a heard node's id name it.
  assert.equal((await unibos(['send', 'hi', '--to', '112', '--data-dir', node.dir])).stdout, 'queued message !1234abcd for 112 !4444aaaa (1 in the outbox)\n');
  assert.equal((await unibos(['send', 'hi', '--to', '8d20bbf1', '--data-dir', node.dir])).stdout, 'queued message !1234abcd for Farm !8d20bbf1 (1 in the outbox)\n');
  // An id goes to the node as it was given, heard or not.
  assert.equal((await unibos(['send', 'hi', '--to', '!0e0e0e0e', '--data-dir', node.dir])).stdout, 'queued message !1234abcd for !0e0e0e0e (1 in the outbox)\n');

  await unibos(['trace', 'clinic', '--timeout', '5', '--data-dir', node.dir]);
  assert.deepEqual(node.posted.at(-1), { path: '/trace', body: { to: '!9023939c', timeoutS: 5 } });

  const posts = node.posted.length;
  for (const [command, ...args] of [['send', 'hi', '--to', 'bridge'], ['trace', 'Bridge']] as const) {
    const r = await unibos([command, ...args, '--data-dir', node.dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, `unibos ${command}: 2 nodes ${SELF} has heard are called ${args.at(-1)}: Bridge (!1c2ceb25), bridge (!2b2b2b2b); give the id of the one you mean\n`);
  }
  const unknown = await unibos(['send', 'hi', '--to', 'Farmm', '--data-dir', node.dir]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, `unibos send: no node called Farmm among those ${SELF} has heard: Demo gateway (!9d06d5b2), Farm (!8d20bbf1), Clinic (!9023939c), Bridge (!1c2ceb25), bridge (!2b2b2b2b), İskele (!15ce1e00), 112 (!4444aaaa) (see unibos peers); or give a node id such as !1a2b3c4d\n`);
  const unknownTr = await unibos(['trace', 'Okul', '--data-dir', node.dir], { UNIBOS_LANG: 'tr' });
  assert.match(unknownTr.stderr, /^unibos trace: !d744fa53 cihazının duyduğu cihazlar arasında Okul adında biri yok: Demo gateway \(!9d06d5b2\), Farm/);
  const own = await unibos(['trace', 'harbour', '--data-dir', node.dir]);
  assert.equal(own.stderr, `unibos trace: harbour is this node (${SELF}): name another one\n`);
  assert.equal(node.posted.length, posts, 'nothing sent for a name that names no one node');
});

test('a trace with no answer says what this node knows of the destination, with its numbers', async (t) => {
  const node = await standIn(t);
  const trace = (to: string, lang = 'en') => unibos(['trace', to, '--timeout', '5', '--data-dir', node.dir], { UNIBOS_LANG: lang });
  const never = await trace('!0e0e0e0e');
  assert.equal(never.code, 1);
  assert.equal(never.stderr, `no answer from !0e0e0e0e within 5 s: ${SELF} has never heard from it, so the trace went out as a flood, as far as its hop limit of 5 lets one go; the node may be off, farther away, or not exist\n`);
  assert.doesNotMatch(never.stderr, /8 hops/);
  const direct = await trace('Farm');
  assert.equal(direct.stderr, `no answer from Farm !8d20bbf1 within 5 s: ${SELF} last heard it directly 2 min ago; it may have moved or been switched off since, or the trace or its answer was lost on the way (try again, or give a longer --timeout)\n`);
  const far = await trace('Clinic');
  assert.match(far.stderr, /^no answer from Clinic !9023939c within 5 s: !d744fa53 last heard it 10 min ago, 3 hops away; /);
  const farTr = await trace('Clinic', 'tr');
  assert.match(farTr.stderr, /^Clinic !9023939c cihazından 5 sn içinde yanıt gelmedi: !d744fa53 onu en son 10 dk önce, 3 adım uzaktayken duydu; /);
  const neverTr = await trace('!0e0e0e0e', 'tr');
  assert.match(neverTr.stderr, /^!0e0e0e0e cihazından 5 sn içinde yanıt gelmedi: !d744fa53 ondan hiçbir şey duymadı, bu yüzden iz, atlama sınırı 5 izin verdiği kadar/);
});
