// Events keep the names known when they happened (issue 19): a node renamed in the field stays
// "Team Bravo" in the feed rows from before the rename, with its id and its new name on hover; the
// hub's events carry those names (mesh.* the sender's, sensor.reading the gateway's,
// message.status the recipient's), and stored records keep it, so the feed says the same after a reload.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { api } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, axe, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const SHOTS = artifactsDir('ui-event-names');
const NODE = '!2b3c4d05';

test('feed rows keep the name a node had when the event happened; the name now is on hover', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  const GW = `!${gw.id}`;
  let packetId = 300;
  gw.mesh(GW, 'info', { longName: 'Demo gateway', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: packetId++ });
  gw.mesh(NODE, 'info', { longName: 'Team Bravo', shortName: 'BRAV', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === NODE, { what: 'the first name' });

  for (const size of ['laptop', 'phone'] as const) {
    await t.test(`at ${size} size`, async () => {
      const { page, problems, context } = await openPage(browser, hub, { size });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/feed');
      const feed = page.getByRole('list', { name: 'Live mesh feed' });
      const tag = `${size} ${packetId}`;

      gw.mesh(NODE, 'text', { text: `need water (${tag})` }, { packetId: packetId++ });
      const before = await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.text' && String((e.data.data as { text?: string })?.text).includes(tag), { what: 'the first text' });
      assert.equal(before.data.nodeName, 'Team Bravo', 'the event carries the sender’s name at the time');
      const oldRow = feed.getByRole('listitem').filter({ hasText: `need water (${tag})` });
      await oldRow.filter({ hasText: 'Team Bravo' }).waitFor();

      // Renamed in the field: new events say the new name, old rows keep theirs.
      gw.mesh(NODE, 'info', { longName: `Field hospital ${size}`, shortName: 'HOSP', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
      gw.mesh(NODE, 'text', { text: `all clear (${tag})` }, { packetId: packetId++ });
      const renamed = await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.text' && String((e.data.data as { text?: string })?.text).includes(`all clear (${tag})`), { what: 'the second text' });
      assert.equal(renamed.data.nodeName, `Field hospital ${size}`);
      await feed.getByRole('listitem').filter({ hasText: `all clear (${tag})` }).filter({ hasText: `Field hospital ${size}` }).waitFor();
      const who = oldRow.locator('.feed-who');
      assert.equal(await who.innerText(), 'Team Bravo', 'the row before the rename keeps the old name');
      await page.waitForFunction(
        ([selector, want]) => [...document.querySelectorAll(selector!)].some((el) => el.getAttribute('title') === want),
        ['.feed-who[title]', `${NODE}, now called Field hospital ${size}`],
      );

      // A sensor reading names the gateway it came through, a sent message its recipient.
      gw.sensor('garden', 'temperature', '21.5');
      const reading = await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.id > renamed.id, { what: 'the reading' });
      assert.equal(reading.data.gatewayName, 'Demo gateway');
      await feed.getByRole('listitem').filter({ hasText: /temperature: 21\.5( °C)? at Demo gateway/ }).first().waitFor();
      const sent = await api(hub.url, admin, `/api/v1/nodes/${NODE}/messages`, { method: 'POST', body: { text: `stay put (${tag})` } });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      // The gateway takes it (txstatus queued): the hub says it is sent.
      for (let c = await gw.nextDownlink(); c.ref !== sent.body.id; c = await gw.nextDownlink());
      gw.txStatus({ ref: sent.body.id, packetId: packetId++, status: 'queued' });
      const status = await waitForEvent(hub, admin.orgId, (e) => e.type === 'message.status' && e.data.id === sent.body.id && e.data.status === 'sent', { what: 'the message sent' });
      assert.equal(status.data.toName, `Field hospital ${size}`);

      // After a reload the feed starts from the stored records: they kept the name too.
      await page.reload();
      await page.getByRole('status', { name: 'Event stream' }).filter({ hasText: 'Live' }).waitFor();
      const stored = feed.getByRole('listitem').filter({ hasText: `need water (${tag})` });
      await stored.waitFor();
      assert.equal(await stored.locator('.feed-who').innerText(), 'Team Bravo', 'the stored record keeps the name it was sent under');
      assert.equal(await stored.locator('.feed-who').getAttribute('title'), `${NODE}, now called Field hospital ${size}`);
      await page.screenshot({ path: join(SHOTS, `feed-names-${size}.png`), fullPage: false });
      const found = (await axe(page)).map((v) => `${v.id} (${v.impact}) ${v.help} at ${v.nodes.join(', ')}`);
      assert.deepEqual(found, [], 'axe-core finds nothing to fix');
      assert.deepEqual(problems, []);
      // Back to the first name for the next size.
      gw.mesh(NODE, 'info', { longName: 'Team Bravo', shortName: 'BRAV', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
      await waitForEvent(hub, admin.orgId, (e) => e.type === 'node.updated' && e.data.name === 'Team Bravo' && e.id > status.id, { what: 'the name back' });
    });
  }
});
