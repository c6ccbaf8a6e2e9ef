// A node re-announces itself every few minutes. In the live feed an unchanged announcement does not
// add a row (it would push an SOS or a text off the screen): the node's row says how many times and
// when last. An announcement that changes something (a new name) is a row of its own.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitForEvent } from './support/hub-events.ts';
import { openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const OTHER = '!4d5e6f00';

test('repeated unchanged NodeInfo is one feed row with a count; a change is a new row', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  let packetId = 3100;
  const info = { longName: 'Defne school', shortName: 'DFN', hwModel: 'RAK4631', role: 'CLIENT' };

  for (const [i, locale] of (['en-GB', 'tr-TR'] as const).entries()) {
    await t.test(locale, async () => {
      const NODE = `!4d5e6f0${i + 1}`;
      // Before the page opens: the feed's history holds two of them already.
      gw.mesh(NODE, 'info', info, { packetId: packetId++ });
      gw.mesh(NODE, 'info', info, { packetId: packetId++ });
      const before = `before the page ${locale}`;
      gw.mesh(OTHER, 'text', { text: before }, { packetId: packetId++ });
      // One gateway's uplinks arrive in order: the text after the announcements means they are in.
      await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.text' && JSON.stringify(e.data).includes(before), { what: 'the announcements before the page' });
      const { page, problems, context } = await openPage(browser, hub, { size: 'phone', locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/feed');
      const feed = page.locator('ol.feed');
      const rows = feed.locator(`li[data-type="mesh.info"][data-node-id="${NODE}"]`);
      await rows.first().waitFor();
      // Live: the same announcement twice more, then a text from another node to know they all came.
      gw.mesh(NODE, 'info', info, { packetId: packetId++ });
      gw.mesh(NODE, 'info', info, { packetId: packetId++ });
      const marker = `after the repeats ${locale}`;
      gw.mesh(OTHER, 'text', { text: marker }, { packetId: packetId++ });
      await feed.locator('li').filter({ hasText: marker }).waitFor();
      assert.equal(await rows.count(), 1, `one row for the unchanged announcements: ${(await rows.allInnerTexts()).join(' | ')}`);
      await rows.first().and(page.locator('[data-repeats="4"]')).waitFor();
      const note = await rows.first().locator('.feed-repeats').innerText();
      assert.match(note, locale === 'en-GB' ? /^↻?\s*announced 4 times, unchanged, first at \d\d:\d\d(:\d\d)?, last at \d\d:\d\d/ : /^↻?\s*4 kez aynı bilgiyi duyurdu, ilki \d\d:\d\d(:\d\d)?, en sonu \d\d:\d\d/, note);

      // The node is renamed: that is news, a row of its own on top.
      const renamed = `Defne school ${locale}`;
      gw.mesh(NODE, 'info', { ...info, longName: renamed }, { packetId: packetId++ });
      const fresh = rows.filter({ hasText: renamed });
      await fresh.waitFor();
      assert.equal(await rows.count(), 2, 'the changed announcement is a new row');
      assert.equal(await fresh.locator('.feed-repeats').count(), 0, 'and has no repeat note');
      assert.equal(await feed.locator('li').first().getAttribute('data-type'), 'mesh.info', 'the change is on top');
      assert.deepEqual(problems, []);
    });
  }
});
