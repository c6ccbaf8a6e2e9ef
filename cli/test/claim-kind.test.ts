// A claim token made for the other kind of device (a gateway token given to `unibos node claim`, or
// the reverse) is refused with a clear message and left unspent, so the right device can still use
// it and the device is not registered as the wrong kind. A device that does not say its kind (an
// older one) claims as before.

import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createServer } from 'node:http';
import { api, createAdminSession, type TestSession } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub, type TestHub } from '../../controlplane/test/support/test-hub.ts';
import { proveAndClaim, testIdentity } from '../../controlplane/test/support/test-identity.ts';
import { unibos } from './support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'unibos-claim-kind-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function claimToken(hub: TestHub, admin: TestSession, kind: 'gateway' | 'node'): Promise<string> {
  const t = await api(hub, admin, '/api/v1/claim-tokens', { method: 'POST', body: { kind } });
  assert.equal(t.status, 201);
  return t.body.token as string;
}

test('a token of the other kind is refused unspent, in English and Turkish', { timeout: 120_000 }, async () => {
  const hub = await startTestHub();
  const admin = await createAdminSession(hub);
  const gatewayToken = await claimToken(hub, admin, 'gateway');
  const nodeToken = await claimToken(hub, admin, 'node');
  const nodeDir = join(root, 'node');

  const wrongNode = await unibos(['node', 'claim', '--hub-api', hub.url, '--token', gatewayToken, '--data-dir', nodeDir], { UNIBOS_LANG: 'en' });
  assert.equal(wrongNode.code, 2);
  assert.equal(wrongNode.stderr, 'unibos node: the hub refused the claim (409 E_TOKEN_KIND): this token was made for a gateway; make a node token (kind "node") and claim again\n');
  const wrongNodeTr = await unibos(['node', 'claim', '--hub-api', hub.url, '--token', gatewayToken, '--data-dir', nodeDir], { UNIBOS_LANG: 'tr' });
  assert.equal(wrongNodeTr.stderr, 'unibos node: merkez bağlamayı reddetti (409 E_TOKEN_KIND): bu anahtar bir ağ geçidi için yapılmış; bir cihaz anahtarı (kind "node") yapıp yeniden bağlayın\n');
  const listed = await api(hub, admin, '/api/v1/nodes?claimed=true');
  assert.deepEqual(listed.body.items, [], 'nothing was registered');

  const wrongGateway = await unibos(['gateway', 'claim', '--hub-api', hub.url, '--token', nodeToken, '--data-dir', join(root, 'gateway')], { UNIBOS_LANG: 'en' });
  assert.equal(wrongGateway.code, 2);
  assert.match(wrongGateway.stderr, /this token was made for a node; make a gateway token \(kind "gateway"\) and claim again\n$/);

  // Both tokens are still good, each for its own kind; the node is a node at the hub.
  const node = await unibos(['node', 'claim', '--hub-api', hub.url, '--token', nodeToken, '--data-dir', nodeDir]);
  assert.equal(node.code, 0, node.stderr);
  const gateway = await unibos(['gateway', 'claim', '--hub-api', hub.url, '--token', gatewayToken, '--data-dir', join(root, 'gateway')]);
  assert.equal(gateway.code, 0, gateway.stderr);
  const nodeId = /^node (!\w{8}) claimed/.exec(node.stdout)![1]!;
  const entry = await api(hub, admin, `/api/v1/nodes/${encodeURIComponent(nodeId)}`);
  assert.equal(entry.body.kind, 'node');

  // A device that does not say its kind claims as before.
  const older = await proveAndClaim(hub.url, await claimToken(hub, admin, 'node'), testIdentity());
  assert.equal(older.status, 201);
  assert.equal(typeof older.body.deviceToken, 'string');
});

test("a claim run as root (sudo, on a flashed card) leaves its files to the data folder's owner, the user the service runs as", { timeout: 120_000 }, async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root, as CI runs: a file can be given to another user only by root');
  const hub = await startTestHub();
  const admin = await createAdminSession(hub);
  // As on the image: /var/lib/unibos/device belongs to the unibos user (here nobody), 0750.
  chmodSync(root, 0o755);
  const owner = { uid: 65534, gid: 65534 };
  for (const kind of ['gateway', 'node'] as const) {
    const dir = join(root, `owned-${kind}`);
    mkdirSync(dir, { mode: 0o750 });
    chownSync(dir, owner.uid, owner.gid);
    const claimed = await unibos([kind, 'claim', '--hub-api', hub.url, '--token', await claimToken(hub, admin, kind), '--data-dir', dir]);
    assert.equal(claimed.code, 0, claimed.stderr);
    for (const f of ['identity.json', kind === 'gateway' ? 'hub.json' : 'hub-device.json']) {
      const st = statSync(join(dir, f));
      assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [owner.uid, owner.gid, 0o600], `${kind} ${f}: the service's user can read it, nobody else`);
    }
  }
});

test('something answering the claim with a challenge that is not one (another version, another service) is said in one line, no stack trace', { timeout: 60_000 }, async (t) => {
  const server = createServer((req, res) => {
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ nonce: 'not base64url!', hubPublicKey: 'nor this' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const { port } = server.address() as { port: number };
  const r = await unibos(['gateway', 'claim', '--hub-api', `http://127.0.0.1:${port}`, '--token', 'a-claim-token', '--data-dir', join(root, 'odd-hub')], { UNIBOS_LANG: 'en' });
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `unibos gateway: the hub at http://127.0.0.1:${port} sent no usable claim challenge; is it a UNIBOS hub of this version?\n`);
});
