// The browser build: the committed bundle is what the sources make today, and it works in a real
// Chromium page against a real hub (registration, encryption, sync and the live event stream)
// with a Node client on the other side.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { createAdminSession, createOrgUser } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub } from '../../controlplane/test/support/test-hub.ts';
import { launch, openPage } from '../../controlplane/test/support/ui-browser.ts';
import { BUNDLE_PATH, buildBrowserBundle } from '../scripts/build-browser.ts';
import { MemoryStateStore, MessengerClient } from '../src/index.ts';

test('controlplane/public/js/vendor/messenger-client.js is what the build makes from the sources today', async () => {
  // Compared as a whole but reported briefly: the diff of a minified bundle says nothing to a person.
  const fresh = await buildBrowserBundle();
  assert.ok(readFileSync(BUNDLE_PATH, 'utf8') === fresh, 'stale: run `npm run build:browser -w messenger-client` (after any change to messenger-client or messenger-crypto) and commit the result');
});

test('the bundle runs in Chromium: a browser device and a Node device exchange encrypted messages, live', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const browser = await launch();
  after(() => browser.close());
  const { page, problems } = await openPage(browser, hub);
  await page.goto(`${hub.url}/`);
  const bobClient = await MessengerClient.open({ hubUrl: hub.url, auth: async () => bob.accessToken, store: new MemoryStateStore(), deviceName: 'bob node' });

  // Page scripts as text: tsx would wrap functions passed to evaluate with a helper the page lacks.
  const conversationId = (await page.evaluate(`(async () => {
    const m = await import('/js/vendor/messenger-client.js');
    window.arrived = [];
    const waiters = [];
    window.arrivalOf = (text) => new Promise((resolve) => {
      const check = () => (window.arrived.includes(text) ? resolve(true) : waiters.push(check));
      check();
    });
    window.client = await m.MessengerClient.open({ hubUrl: location.origin, auth: async () => ${JSON.stringify(alice.accessToken)}, store: new m.MemoryStateStore(), deviceName: 'alice browser' });
    const conv = await window.client.startDirect(${JSON.stringify(bob.userId)});
    await window.client.send(conv.id, { text: 'sent from the browser' });
    await window.client.follow((r) => {
      window.arrived.push(...r.arrived.map((a) => a.text));
      for (const w of waiters.splice(0)) w();
    });
    return conv.id;
  })()`)) as string;

  const atBob = await bobClient.sync();
  assert.deepEqual(atBob.arrived.map((a) => a.text), ['sent from the browser']);
  assert.deepEqual(atBob.problems, []);
  await bobClient.send(conversationId, { text: 'answered from node' });
  await page.evaluate(`window.arrivalOf('answered from node')`);
  const history = await page.evaluate(`window.client.history(${JSON.stringify(conversationId)}).map((m) => m.text)`);
  assert.deepEqual(history, ['sent from the browser', 'answered from node']);
  assert.deepEqual(problems, []);
});

test('in the browser the device lives in IndexedDB: a reloaded page is the same device with its history', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const browser = await launch();
  after(() => browser.close());
  await MessengerClient.open({ hubUrl: hub.url, auth: async () => bob.accessToken, store: new MemoryStateStore(), deviceName: 'bob node' });
  const { page, problems } = await openPage(browser, hub);
  await page.goto(`${hub.url}/`);
  const openClient = `const m = await import('/js/vendor/messenger-client.js');
    const client = await m.MessengerClient.open({ hubUrl: location.origin, auth: async () => ${JSON.stringify(alice.accessToken)}, store: new m.IndexedDbStateStore('alice'), deviceName: 'alice browser' });`;
  const first = (await page.evaluate(`(async () => {
    ${openClient}
    const conv = await client.startDirect(${JSON.stringify(bob.userId)});
    await client.send(conv.id, { text: 'kept across reloads' });
    return { deviceId: client.deviceId, conversationId: conv.id };
  })()`)) as { deviceId: string; conversationId: string };
  await page.reload();
  const again = (await page.evaluate(`(async () => {
    ${openClient}
    return { deviceId: client.deviceId, texts: client.history(${JSON.stringify(first.conversationId)}).map((x) => x.text) };
  })()`)) as { deviceId: string; texts: string[] };
  assert.equal(again.deviceId, first.deviceId);
  assert.deepEqual(again.texts, ['kept across reloads']);
  const devices = await fetch(`${hub.url}/api/v1/messenger/devices`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
  assert.equal(((await devices.json()) as { items: unknown[] }).items.length, 1, 'no second registration');
  assert.deepEqual(problems, []);
});

test('in IndexedDB the state is wrapped under a non-extractable key: no private key and no JSON in the record', { timeout: 120_000 }, async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const browser = await launch();
  after(() => browser.close());
  const { page, problems } = await openPage(browser, hub);
  await page.goto(`${hub.url}/`);
  // What the client hands the store (the plaintext state) is caught on the way in, to know what must not be on disk.
  const openClient = `const m = await import('/js/vendor/messenger-client.js');
    class Watched extends m.IndexedDbStateStore { async save(json) { window.savedJson = json; return super.save(json); } }
    const client = await m.MessengerClient.open({ hubUrl: location.origin, auth: async () => ${JSON.stringify(alice.accessToken)}, store: new Watched('alice'), deviceName: 'alice browser' });`;
  const readRaw = `const idb = (name, key) => new Promise((resolve, reject) => {
      const open = indexedDB.open('unibos-messenger');
      open.onsuccess = () => {
        try {
          const req = open.result.transaction(name).objectStore(name).get(key);
          req.onsuccess = () => { open.result.close(); resolve(req.result); };
          req.onerror = () => reject(req.error);
        } catch (e) { open.result.close(); reject(e); }
      };
      open.onerror = () => reject(open.error);
    });`;
  const first = (await page.evaluate(`(async () => {
    ${openClient}
    ${readRaw}
    const record = await idb('state', 'alice');
    const wrappingKey = await idb('keys', 'state-wrapping-key');
    const exported = await crypto.subtle.exportKey('raw', wrappingKey).then(() => 'exported', (e) => e.name);
    const bytes = record && record.data instanceof ArrayBuffer ? Array.from(new Uint8Array(record.data)) : null;
    return { deviceId: client.deviceId, state: window.savedJson, recordType: typeof record, bytes, latin1: bytes ? String.fromCharCode(...bytes) : String(record),
      keyClass: Object.prototype.toString.call(wrappingKey), extractable: wrappingKey && wrappingKey.extractable, algorithm: wrappingKey && wrappingKey.algorithm.name, exported };
  })()`)) as { deviceId: string; state: string; recordType: string; bytes: number[] | null; latin1: string; keyClass: string; extractable: boolean; algorithm: string; exported: string };
  const secrets = JSON.parse(first.state).identity as { identitySecret: string; signingSecret: string };
  assert.equal(first.recordType, 'object', 'the record is not the JSON string');
  assert.ok(first.bytes && first.bytes.length > 0, 'the record holds ciphertext bytes');
  for (const secret of [secrets.identitySecret, secrets.signingSecret]) {
    assert.ok(!first.latin1.includes(secret), 'a private key (base64url) in the stored record');
    assert.ok(!Buffer.from(first.bytes!).includes(Buffer.from(secret, 'base64url')), 'a private key (raw) in the stored record');
  }
  assert.ok(!first.latin1.includes('"identity"') && !first.latin1.includes('{"v"'), 'no JSON in the stored record');
  assert.deepEqual([first.keyClass, first.algorithm, first.extractable, first.exported], ['[object CryptoKey]', 'AES-GCM', false, 'InvalidAccessError'], 'the wrapping key cannot be exported');

  // An old plaintext record is read once and stored wrapped from then on.
  const legacy = (await page.evaluate(`(async () => {
    const m = await import('/js/vendor/messenger-client.js');
    ${readRaw}
    await new Promise((resolve, reject) => {
      const open = indexedDB.open('unibos-messenger');
      open.onsuccess = () => { const tx = open.result.transaction('state', 'readwrite'); tx.objectStore('state').put(window.savedJson, 'old'); tx.oncomplete = () => { open.result.close(); resolve(); }; tx.onerror = () => reject(tx.error); };
    });
    const loaded = await new m.IndexedDbStateStore('old').load();
    const after = await idb('state', 'old');
    return { same: loaded === window.savedJson, afterType: typeof after, again: (await new m.IndexedDbStateStore('old').load()) === window.savedJson };
  })()`)) as { same: boolean; afterType: string; again: boolean };
  assert.deepEqual(legacy, { same: true, afterType: 'object', again: true });

  await page.reload();
  const again = (await page.evaluate(`(async () => {
    ${openClient}
    return client.deviceId;
  })()`)) as string;
  assert.equal(again, first.deviceId, 'the reloaded page decrypts its state and is the same device');
  assert.deepEqual(problems, []);
});
