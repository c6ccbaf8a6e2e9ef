// A node's module answering a check-in by itself (Alert.automatic, the hub's stored flag) is not a
// person's "I am safe": the live feed said "Safe" in green for both. It now reads as an automatic
// answer, no person confirmed, and not as good news; a person's "I am safe" stays a green "Safe".

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const CASES = [
  { locale: 'en-GB', feed: 'Live mesh feed', automatic: 'AUTOMATIC ANSWER', what: 'no person confirmed', safe: 'SAFE' },
  { locale: 'tr-TR', feed: 'Canlı ağ akışı', automatic: 'OTOMATİK YANIT', what: 'kimse teyit etmedi', safe: 'GÜVENDE' },
] as const;

test('the live feed shows a node\u2019s automatic answer as automatic, not as a green "Safe"; a person\u2019s "I am safe" stays "Safe"', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  let packetId = 40;
  for (const c of CASES) {
    await t.test(c.locale, async () => {
      const { page, problems, context } = await openPage(browser, hub, { size: 'phone', locale: c.locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/feed');
      const feed = page.getByRole('list', { name: c.feed });
      await feed.waitFor();
      gw.mesh('!2b3c4e01', 'alert', { level: 'SAFE', text: 'Answered automatically: no person confirmed', automatic: true }, { packetId: packetId++ });
      gw.mesh('!2b3c4e02', 'alert', { level: 'SAFE', text: `I am safe ${c.locale}` }, { packetId: packetId++ });
      const person = feed.locator('li[data-type="mesh.alert"]').filter({ hasText: `I am safe ${c.locale}` });
      await person.waitFor();
      const automatic = feed.locator('li[data-type="mesh.alert"]').filter({ hasText: c.what }).first();
      await automatic.waitFor();
      assert.equal(await automatic.locator('.feed-kind').innerText(), c.automatic);
      assert.doesNotMatch((await automatic.getAttribute('class')) ?? '', /tone--good/, 'not shown as good news');
      assert.equal(await person.locator('.feed-kind').innerText(), c.safe);
      assert.match((await person.getAttribute('class')) ?? '', /tone--good/, "a person's \"I am safe\" is good news");
      assert.deepEqual(problems, []);
    });
  }
});
