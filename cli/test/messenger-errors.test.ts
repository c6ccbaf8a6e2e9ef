// `unibos msg` says the messenger library's errors in the user's language, by their stable code:
// a hub that cannot be reached or answers nonsense, a hub's refusal, a wrong password, someone with
// no device yet, too long a text for a node, an unknown node, a replayed message from a node; and
// every code the client, the cryptography and the hub can raise has its Turkish.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MESH_DIRECT_MAX_TEXT_BYTES, MeshDirectEndpoint, TrustStore, isMessengerCryptoError, meshNodeAddress, meshNodeIdFromPublicKey, newX25519KeyPair, systemRandom } from '@unibos/messenger-crypto';
import { waitForEvent } from '../../controlplane/test/support/hub-events.ts';
import { api, createAdminSession, createOrgUser, TEST_PASSWORD } from '../../controlplane/test/support/test-auth.ts';
import { TestGateway } from '../../controlplane/test/support/test-gateway.ts';
import { startTestHub } from '../../controlplane/test/support/test-hub.ts';
import { MESSENGER_ERROR_CODES, MESSENGER_READ_CODES, sayMessengerError, sayReadProblem } from '../messenger-error-language.ts';
import { freePort, unibos } from './support/processes.ts';

const work = mkdtempSync(join(tmpdir(), 'unibos-msg-errors-'));
const servers: Server[] = [];
after(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(work, { recursive: true, force: true });
});
const passwordFile = join(work, 'password');
writeFileSync(passwordFile, `${TEST_PASSWORD}\n`, { mode: 0o600 });

/** A data dir logged in to `hubUrl` (a session whose access token is still good), with no device yet. */
function session(name: string, hubUrl: string, accessExpired = false): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const s = { hubUrl, email: 'ayse@example.test', userId: 'u1', accessToken: 'token', accessExpiresAt: Date.now() + (accessExpired ? -1000 : 3600_000), refreshToken: 'refresh' };
  writeFileSync(join(dir, 'session.json'), JSON.stringify(s), { mode: 0o600 });
  return dir;
}

/** A stand-in for a hub that answers every request with `status`, `type` and `body`. */
async function fakeHub(status: number, type: string, body: string): Promise<string> {
  const server = createServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(body));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const msg = (lang: string, ...args: string[]) => unibos(['msg', ...args], { UNIBOS_LANG: lang });

test('a hub that is away, one that answers nonsense, a refused session and a wrong password are said in Turkish (and as before in English)', async () => {
  const away = `http://127.0.0.1:${await freePort()}`;
  const dir = session('away', away);
  const tr = await msg('tr', 'list', '--data-dir', dir);
  assert.equal(tr.code, 1);
  assert.equal(tr.stderr, `unibos msg: ${away} adresindeki merkeze ulaşılamadı: ağ bağlantısını ve adresi denetleyip yeniden deneyin\n`);
  const en = await msg('en', 'list', '--data-dir', dir);
  assert.match(en.stderr, new RegExp(`^unibos msg: the hub at ${away} did not answer: `));

  // A session due for a refresh while the hub is away has not ended: it works again once the hub is back.
  const due = session('due', away, true);
  assert.match((await msg('en', 'list', '--data-dir', due)).stderr, new RegExp(`^unibos msg: the hub at ${away} did not answer`));
  // Only the hub refusing the refresh token ends it.
  const ended = session('ended', await fakeHub(401, 'application/json', JSON.stringify({ statusCode: 401, code: 'E_AUTH_INVALID', error: 'Unauthorized', message: 'invalid refresh token' })), true);
  assert.match((await msg('en', 'list', '--data-dir', ended)).stderr, /^unibos msg: the session with http:\/\/127\.0\.0\.1:\d+ ended \(the hub refused: .*\): run `unibos msg login` again\n$/);

  const proxy = session('proxy', await fakeHub(502, 'text/html', '<h1>Bad Gateway</h1>'));
  assert.equal((await msg('tr', 'list', '--data-dir', proxy)).stderr, 'unibos msg: merkez beklenmedik bir yanıt verdi (HTTP 502); adres bir UNIBOS merkezinin mi?\n');
  assert.equal((await msg('en', 'list', '--data-dir', proxy)).stderr, 'unibos msg: the hub answered 502 with something that is not JSON\n');

  const refusing = session('refusing', await fakeHub(401, 'application/json', JSON.stringify({ statusCode: 401, code: 'E_AUTH_EXPIRED', error: 'Unauthorized', message: 'access token expired: refresh the session' })));
  assert.equal((await msg('tr', 'devices', '--data-dir', refusing)).stderr, 'unibos msg: merkez bu oturumu kabul etmiyor (E_AUTH_EXPIRED): `unibos msg login` ile yeniden giriş yapın\n');
  assert.equal((await msg('en', 'devices', '--data-dir', refusing)).stderr, 'unibos msg: access token expired: refresh the session\n');

  const wrong = await fakeHub(401, 'application/json', JSON.stringify({ statusCode: 401, code: 'E_AUTH_INVALID', error: 'Unauthorized', message: 'wrong email or password' }));
  const login = (lang: string) => msg(lang, 'login', '--hub', wrong, '--email', 'ayse@example.test', '--password-file', passwordFile, '--data-dir', join(work, `login-${lang}`));
  const loginTr = await login('tr');
  assert.equal(loginTr.code, 2);
  assert.equal(loginTr.stderr, 'unibos msg: merkez reddetti: e-posta ya da parola yanlış\n');
  assert.equal((await login('en')).stderr, 'unibos msg: the hub refused: wrong email or password\n');
});

test('against a real hub: no device yet, too long a text for a node, an unknown node and a replayed message from a node, in Turkish', { timeout: 120_000 }, async () => {
  const hub = await startTestHub();
  const ayse = await createAdminSession(hub);
  const mehmet = await createOrgUser(hub, ayse, 'member');
  const gw = await TestGateway.connect(hub, ayse);
  const dir = join(work, 'ayse');
  const login = await unibos(['msg', 'login', '--hub', hub.url, '--email', ayse.email, '--password-file', passwordFile, '--data-dir', dir]);
  assert.equal(login.code, 0, login.stderr);
  const run = (lang: string, ...args: string[]) => msg(lang, ...args, '--data-dir', dir);

  // Mehmet has never opened the messenger.
  const noDevice = await run('tr', 'dm', mehmet.email, 'deprem sonrası toplanma okulda');
  assert.equal(noDevice.code, 1);
  assert.equal(noDevice.stderr, `unibos msg: ${mehmet.userId} kişisinin henüz mesajlaşma cihazı yok (mesajlaşmayı bir kez açmalı): hiçbir şey gönderilmedi\n`);
  assert.match((await run('en', 'dm', mehmet.email, 'hi')).stderr, /has no messenger device yet \(they must open the messenger once\); nothing was sent/);

  const tooLong = await run('tr', 'node', '!0000abcd', 'ş'.repeat(60));
  assert.equal(tooLong.code, 2, 'a text to shorten is a usage mistake, as with unibos send');
  assert.equal(tooLong.stderr, `unibos msg: bir cihaza doğrudan mesaj en çok ${MESH_DIRECT_MAX_TEXT_BYTES} bayt metin (UTF-8) taşır; bu mesaj 120 bayt\n`);

  const unknown = await run('tr', 'node', '!0000abcd', 'su var mı?');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^unibos msg: merkez !0000abcd cihazını bu kuruluşun filosunda bulamadı ya da onun kimlik anahtarını henüz bilmiyor \(merkez: ".+"\)\n$/);

  // A node writes to Ayşe's device; the same first message comes again under another packet id.
  const keys = newX25519KeyPair(systemRandom);
  const nodeId = meshNodeAddress(meshNodeIdFromPublicKey(keys.publicKey));
  gw.mesh(nodeId, 'info', { longName: 'Sırt', publicKey: Buffer.from(keys.publicKey).toString('base64') }, { packetId: 1 });
  await waitForEvent(hub, ayse.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === nodeId, { what: 'the NodeInfo' });
  const devices = await api(hub, ayse, '/api/v1/messenger/devices');
  const identityKey = new Uint8Array(Buffer.from(devices.body.items[0].identityKey, 'base64url'));
  const device = meshNodeIdFromPublicKey(identityKey);
  const sealed = Buffer.from(new MeshDirectEndpoint(keys).encodeMeshDirect({ nodeId: device, identityKey }, 'yoldayım')).toString('base64url');
  for (const packetId of [2, 3]) gw.mesh(nodeId, 'direct', { direct: { sender: nodeId, sealed } }, { packetId, to: meshNodeAddress(device) });
  const fromNode = (e: { type: string; data: Record<string, unknown> }) => e.type === 'message.new' && e.data.senderUser === nodeId;
  const first = await waitForEvent(hub, ayse.orgId, fromNode, { what: 'the node\u2019s message' });
  await waitForEvent(hub, ayse.orgId, fromNode, { afterId: first.id, what: 'the replayed message' });
  const read = await run('tr', 'read');
  assert.equal(read.code, 0, read.stderr);
  assert.match(read.stdout, new RegExp(`${nodeId}: yoldayım`));
  assert.match(read.stderr, new RegExp(`^! ${nodeId} kişisinden gelen \\S+ mesajı okunamadı: E_REPLAY: bu mesaj daha önce alınmıştı: yeniden oynatma olarak reddedildi$`, 'm'));
});

/** Every E_ code a package's sources raise ('E_…' literals in src/). */
function codesIn(dir: string): Set<string> {
  const root = fileURLToPath(new URL(`../../${dir}/`, import.meta.url));
  const found = new Set<string>();
  for (const f of readdirSync(root).filter((n) => n.endsWith('.ts'))) for (const m of readFileSync(join(root, f), 'utf8').matchAll(/'(E_[A-Z0-9_]+)'/g)) found.add(m[1]!);
  return found;
}

test('every code the messenger client, its cryptography and the hub can raise has its Turkish; an unknown one stays as the library said it', () => {
  const hubCodes = [...readFileSync(fileURLToPath(new URL('../../controlplane/src/hub-error.ts', import.meta.url)), 'utf8').matchAll(/\| '(E_[A-Z_]+)'/g)].map((m) => m[1]!);
  assert.ok(hubCodes.length > 10, 'read the hub\u2019s codes');
  // The hub's framework refusals (hub-app.ts frameworkCode) and the relay's 409.
  const all = new Set([...codesIn('messenger-client/src'), ...codesIn('messenger-crypto/src'), ...hubCodes, 'E_RATE_LIMITED', 'E_INTERNAL', 'E_DEVICES_CHANGED']);
  assert.deepEqual([...all].filter((c) => !MESSENGER_ERROR_CODES.includes(c)), []);
  // Why a message could not be read: the cryptography's codes and those the client reports for a message.
  const reading = new Set([...codesIn('messenger-crypto/src'), 'E_CONTENT_MALFORMED', 'E_NOT_A_MEMBER', 'E_KEY_CHANGED']);
  assert.deepEqual([...reading].filter((c) => !MESSENGER_READ_CODES.includes(c)), []);

  assert.equal(sayReadProblem('E_DECRYPT_FAILED', 'authentication failed', 'tr'), 'mesajın şifresi çözülemedi: yolda bozulmuş ya da başka bir anahtarla şifrelenmiş');
  assert.equal(sayReadProblem('E_DECRYPT_FAILED', 'authentication failed', 'en'), 'authentication failed');
  assert.equal(sayMessengerError({ code: 'E_SOMETHING_NEW', message: 'a new refusal' }, {}, 'tr'), 'a new refusal');
  assert.equal(sayMessengerError({ code: 'E_KEY_CHANGED', message: 'x', details: { userId: 'u7' } }, {}, 'tr'), 'u7 kişisinin anahtarları değişti (yeni ya da yeniden kurulmuş bir cihaz): göndermeden önce güvenlik numaralarını karşılaştırıp değişikliği kabul edin');
});

test('a node\u2019s message under a key other than the one pinned reads in Turkish as a key change, not as too many held messages', () => {
  const node = newX25519KeyPair(systemRandom);
  const me = newX25519KeyPair(systemRandom);
  const nodeId = meshNodeIdFromPublicKey(node.publicKey);
  const sealed = new MeshDirectEndpoint(node).encodeMeshDirect({ nodeId: meshNodeIdFromPublicKey(me.publicKey), identityKey: me.publicKey }, 'yoldayım');
  // This device pinned another key for that node id (what a forged key for the same id would meet).
  const trust = new TrustStore();
  trust.pinIfNew(meshNodeAddress(nodeId), newX25519KeyPair(systemRandom).publicKey);
  let thrown: unknown;
  try {
    new MeshDirectEndpoint(me, trust).decodeMeshDirect(nodeId, sealed);
  } catch (err) {
    thrown = err;
  }
  assert.ok(isMessengerCryptoError(thrown) && thrown.code === 'E_KEY_CHANGED', String(thrown));
  const tr = sayReadProblem(thrown.code, thrown.message, 'tr');
  assert.equal(tr, 'gönderenin kimlik anahtarı burada sabitlenmiş olan değil ve değişiklik kabul edilmedi: mesaj okunmadan bırakıldı');
  assert.doesNotMatch(tr, /1000|aştı/, 'no claim that more than 1000 messages are held');
});
