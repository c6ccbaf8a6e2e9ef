// Messages with a mesh node in the admin UI (issue 16 points 6-7), in Debian's Chromium against a
// real hub and a real gateway uplink, with a node whose key the hub learnt from its NodeInfo: the
// admin picks the node from the fleet and sends; the node opens it; the acknowledgement shows as
// delivered; the node's encrypted replies appear in the same conversation (counted unread while
// another screen is open); a text over the mesh's byte limit is refused before anything is sent;
// the hub's files hold no plaintext. axe-core clean and screenshots at phone and laptop size.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page, Route } from 'playwright-core';
import { MeshDirectEndpoint, meshNodeAddress, meshNodeIdFromPublicKey, newX25519KeyPair, systemRandom } from '@unibos/messenger-crypto';
import { waitForEvent } from './support/hub-events.ts';
import { createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';
import { artifactsDir, assertFitsWidth, axe, launch, openPage, signIn, SIZES, type SizeName } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-messenger-mesh');

async function shot(page: Page, name: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path });
}

test('messenger in the admin UI: a conversation with a mesh node, end to end encrypted to its key, both ways', { timeout: 120_000 }, async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  t.diagnostic(`screenshots: ${SHOTS}`);
  const hub = await startTestHub();
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const keys = newX25519KeyPair(systemRandom);
  const nodeNumber = meshNodeIdFromPublicKey(keys.publicKey);
  const nodeId = meshNodeAddress(nodeNumber);
  const node = new MeshDirectEndpoint(keys);
  const NAME = 'Ridge shelter';
  gw.mesh(nodeId, 'info', { longName: NAME, shortName: 'RDG', publicKey: Buffer.from(keys.publicKey).toString('base64') }, { packetId: 1 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === nodeId, { what: 'the NodeInfo' });

  const { page, context, problems } = await openPage(browser, hub, { size: 'laptop' });
  t.after(() => context.close());
  const posts: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().includes('/api/v1/messenger/mesh/')) posts.push(r.url());
  });
  await signIn(page, hub, admin, '#/messages');
  await page.locator('a[href="#/messages"][aria-current="page"]').waitFor();
  await page.locator('.msg-status').filter({ hasText: /^$/ }).waitFor({ state: 'attached' });
  const list = page.getByRole('list', { name: 'Conversations' });
  const log = page.getByRole('list', { name: `Messages in ${NAME}` });
  const box = page.getByRole('textbox', { name: 'Message' });
  const QUESTION = 'How many at the shelter? PLAINTEXT-Q';
  const ANSWER = '42 people, need water PLAINTEXT-A';
  const LATER = 'Road north is open PLAINTEXT-B';
  let sender = '';

  await t.test('the admin picks the node from the fleet; a text over the byte limit is refused before anything is sent', async () => {
    await page.getByRole('button', { name: 'Message a node' }).click();
    await page.getByRole('form', { name: 'Message a node' }).getByLabel('Node', { exact: true }).selectOption(nodeId);
    assert.equal(await page.getByRole('form', { name: 'Message a node' }).getByLabel('Node', { exact: true }).locator('option:checked').innerText(), `${NAME} (${nodeId})`);
    await page.getByRole('button', { name: 'Open conversation' }).click();
    await page.getByRole('heading', { name: NAME }).waitFor();
    await page.getByText('Encrypted to the node').first().waitFor();

    // 59 letters, 118 bytes: under a character limit, over the radio's.
    await box.fill('ş'.repeat(59));
    await page.getByText('118 of 117 bytes (letters like ü or ş take two)').waitFor();
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('alert').filter({ hasText: 'Too long for the mesh: 118 bytes, at most 117. Nothing was sent.' }).waitFor();
    assert.equal(await box.inputValue(), 'ş'.repeat(59), 'the text stays for the user to shorten');
    assert.deepEqual(posts, [], 'nothing was posted');
  });

  await t.test('the node opens what the browser sent; its acknowledgement shows as delivered', async () => {
    await box.fill(QUESTION);
    await page.getByText(`${new TextEncoder().encode(QUESTION).length} of 117 bytes`, { exact: false }).waitFor();
    await box.press('Enter');
    const mine = log.getByRole('article', { name: 'Message from You' }).filter({ hasText: QUESTION });
    await mine.filter({ hasText: /Queued at the hub|Sent to the gateway|Delivered to the node/ }).waitFor();

    const command = await gw.nextDownlink();
    assert.equal(command.to, nodeId);
    const direct = command.direct as { sender: string; sealed: string };
    sender = direct.sender;
    assert.equal(node.decodeMeshDirect(parseInt(sender.slice(1), 16), new Uint8Array(Buffer.from(direct.sealed, 'base64url'))), QUESTION, 'the first downlink is the good text: the too-long one never left');
    assert.equal(posts.length, 1);

    gw.txStatus({ ref: command.ref, status: 'queued', packetId: 900 });
    gw.mesh(nodeId, 'ack', { requestId: 900, error: 'NONE' }, { packetId: 2, to: gw.id });
    await mine.filter({ hasText: 'Delivered to the node' }).waitFor();
  });

  const reply = async (text: string, packetId: number): Promise<void> => {
    const devices = (await (await fetch(`${hub.url}/api/v1/messenger/devices`, { headers: { authorization: `Bearer ${admin.accessToken}` } })).json()) as { items: Array<{ identityKey: string }> };
    assert.equal(devices.items.length, 1, 'the browser is the admin’s only device');
    const peer = { nodeId: parseInt(sender.slice(1), 16), identityKey: new Uint8Array(Buffer.from(devices.items[0]!.identityKey, 'base64url')) };
    const sealed = Buffer.from(node.encodeMeshDirect(peer, text)).toString('base64url');
    gw.mesh(nodeId, 'direct', { direct: { sender: nodeId, sealed } }, { packetId, to: sender });
  };

  await t.test("the node's encrypted reply appears in the same conversation", async () => {
    await reply(ANSWER, 3);
    await log.getByRole('article', { name: `Message from ${NAME}` }).filter({ hasText: ANSWER }).waitFor();
    assert.deepEqual(
      await log.getByRole('article').locator('.msg-text').allInnerTexts(),
      [QUESTION, ANSWER],
      'both ways, in order, in one thread',
    );
  });

  await t.test('a reply while another screen is open is counted unread on the node’s entry, with its lock mark; an unsent text waits in its conversation', async () => {
    const DRAFT = 'Is the generator running?';
    await box.fill(DRAFT);
    await page.getByRole('button', { name: 'Message a node' }).click();
    const entry = list.getByRole('button', { name: new RegExp(NAME) });
    // A keyboard user on the node's entry: the reply redraws the list, not their place.
    await entry.focus();
    await reply(LATER, 4);
    await entry.filter({ hasText: '1 unread' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('title')), nodeId, 'focus stayed on the node\'s entry');
    assert.match(await entry.innerText(), /Mesh node[\s\S]*Encrypted to the node/);
    assert.equal(await page.locator('a[href="#/messages"] .nav-badge').innerText(), '1', 'the navigation counts it');
    await entry.focus();
    await page.keyboard.press('Enter');
    await log.getByText(LATER, { exact: true }).waitFor();
    await list.getByRole('button', { name: new RegExp(NAME) }).filter({ hasNotText: 'unread' }).waitFor();
    assert.equal(await box.inputValue(), DRAFT, 'the unsent text is back with its conversation');
  });

  await t.test('a text the gateway refuses shows as failed, with its reason, told live (not found by asking the hub again)', async () => {
    const REFUSED = 'Send two more blankets PLAINTEXT-C';
    // Every reading of the thread's delivery states waits until the end: only the hub's event can tell it.
    const held: Route[] = [];
    let holding = true;
    const readStates = /\/api\/v1\/messenger\/mesh\/[^/]+\/messages\?device=/;
    await page.route(readStates, (route) => void (holding ? held.push(route) : route.continue()));
    try {
      await box.fill(REFUSED);
      await page.getByRole('button', { name: 'Send' }).click();
      const command = await gw.nextDownlink();
      const mine = log.getByRole('article', { name: 'Message from You' }).filter({ hasText: REFUSED });
      await mine.filter({ hasText: 'Queued at the hub' }).waitFor();
      gw.txStatus({ ref: command.ref, status: 'queued', packetId: 880 });
      await mine.filter({ hasText: 'Sent to the gateway' }).waitFor();
      gw.txStatus({ ref: command.ref, status: 'refused', error: 'duty cycle exhausted' });
      await mine.filter({ hasText: 'Failed: duty cycle exhausted' }).waitFor();
    } finally {
      // Let the held readings go before the route goes (unroute would answer them itself).
      holding = false;
      for (const route of held) await route.continue();
      await page.unroute(readStates);
    }
  });

  await t.test('a message the node received but could not open (it lost its data) shows as failed, saying so, after "delivered"', async () => {
    const LOST = 'Are the roads open PLAINTEXT-D';
    await box.fill(LOST);
    await page.getByRole('button', { name: 'Send' }).click();
    const command = await gw.nextDownlink();
    gw.txStatus({ ref: command.ref, status: 'queued', packetId: 901 });
    gw.mesh(nodeId, 'ack', { requestId: 901, error: 'NONE' }, { packetId: 6, to: gw.id });
    const mine = log.getByRole('article', { name: 'Message from You' }).filter({ hasText: LOST });
    await mine.filter({ hasText: 'Delivered to the node' }).waitFor();
    gw.mesh(nodeId, 'ack', { requestId: 901, error: 'NOT_OPENED' }, { packetId: 7, to: gw.id });
    await mine.filter({ hasText: 'Failed: the node received it but could not open it (its data was lost, or it was reflashed); send it again: the next message starts a new session' }).waitFor();
  });

  await t.test('a text on its way stays in the box read-only, Send waiting, when the thread is drawn again meanwhile (a second Send would put it on air twice)', async () => {
    const ON_ITS_WAY = 'Bring the generator PLAINTEXT-E';
    // The hub takes the message (and says so, live) before its answer reaches the page.
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const sends = /\/api\/v1\/messenger\/mesh\/[^/]+\/messages$/;
    await page.route(sends, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const response = await route.fetch();
      await answered;
      await route.fulfill({ response });
    });
    await box.fill(ON_ITS_WAY);
    await page.evaluate(() => document.getElementById('msg-node-text')!.setAttribute('data-drawn-before', ''));
    await page.getByRole('button', { name: 'Send' }).click();
    // The gateway takes it and the hub says so, live, while the page still waits for the send's
    // answer: that event draws the thread again.
    const command = await gw.nextDownlink();
    gw.txStatus({ ref: command.ref, status: 'queued', packetId: 990 });
    await page.waitForFunction(() => document.getElementById('msg-node-text') !== null && !document.getElementById('msg-node-text')!.hasAttribute('data-drawn-before'));
    const composer = () => page.evaluate(() => {
      const text = document.getElementById('msg-node-text') as HTMLTextAreaElement;
      const send = document.querySelector('.msg-compose button[type="submit"]') as HTMLButtonElement;
      return { text: text.value, readOnly: text.readOnly, sendDisabled: send.disabled };
    });
    assert.deepEqual(await composer(), { text: ON_ITS_WAY, readOnly: true, sendDisabled: true }, 'on its way: shown, not offered to send again');
    answer();
    await log.getByRole('article', { name: 'Message from You' }).filter({ hasText: ON_ITS_WAY }).waitFor();
    await page.waitForFunction(() => (document.getElementById('msg-node-text') as HTMLTextAreaElement | null)?.value === '');
    assert.deepEqual(await composer(), { text: '', readOnly: false, sendDisabled: false }, 'sent: the box is free for the next message');
    await log.getByRole('article', { name: 'Message from You' }).filter({ hasText: ON_ITS_WAY }).filter({ hasText: 'Sent to the gateway' }).waitFor();
    await page.unroute(sends);
    // A send that fails comes back to the box, to send again.
    const FAILS = 'Fuel for two days PLAINTEXT-F';
    await page.route(sends, (route) => (route.request().method() === 'POST' ? route.abort('connectionreset') : route.continue()));
    await box.fill(FAILS);
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.msg-status.is-error').waitFor();
    assert.deepEqual(await composer(), { text: FAILS, readOnly: false, sendDisabled: false }, 'not sent: it stays, to send again');
    await page.unroute(sends);
    await box.fill('');
    // The refused request is the only thing the page logged.
    const reset = problems.findIndex((p) => p.endsWith('net::ERR_CONNECTION_RESET'));
    assert.ok(reset >= 0);
    problems.splice(reset, 1);
  });

  await t.test('the hub stores no plaintext', () => {
    const files = readdirSync(hub.dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => join(f.parentPath, f.name));
    const stored = Buffer.concat(files.map((f) => readFileSync(f)));
    for (const p of ['PLAINTEXT', 'shelter?', 'need water']) assert.equal(stored.includes(Buffer.from(p)), false, `hub storage holds "${p}"`);
  });

  await t.test('screens at phone and laptop size pass axe and fit the width', async () => {
    for (const size of ['laptop', 'phone'] as SizeName[]) {
      await page.setViewportSize(SIZES[size]);
      await log.getByText(LATER, { exact: true }).waitFor();
      await assertFitsWidth(page, `the node thread at ${size} size`);
      assert.deepEqual(await axe(page), [], `axe at ${size} size (node thread)`);
      await shot(page, `thread-${size}`);
    }
    await page.getByRole('button', { name: '← Conversations' }).click();
    await list.getByRole('button', { name: new RegExp(NAME) }).waitFor();
    assert.deepEqual(await axe(page), [], 'axe at phone size (list)');
    await shot(page, 'list-phone');
    await page.getByRole('button', { name: 'Message a node' }).click();
    await page.getByRole('form', { name: 'Message a node' }).getByLabel('Node', { exact: true }).waitFor();
    assert.deepEqual(await axe(page), [], 'axe at phone size (picker)');
    await shot(page, 'picker-phone');
    assert.deepEqual(problems, []);
  });
});
