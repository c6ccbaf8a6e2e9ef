// A node sends its SOS again and again until the hub answers it. In the live feed every copy was a
// red "SOS" row of its own, which read as several people calling for help. The copies of one SOS
// (the same node and request id) are one row, the first, that says how many times it was resent;
// a new SOS (another request id) is a row of its own. Copies in the feed's history (before the
// page opened) and live ones fold alike.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { atEachSize } from './support/at-each-size.ts';
import { waitForEvent } from './support/hub-events.ts';
import { createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';
import { artifactsDir, assertFitsWidth } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-feed-sos-resends');
const OTHER = '!4d5e7f00';
const RESENT = {
  'en-GB': /^↻?\s*resent 2 times, last at \d\d:\d\d(:\d\d)?$/,
  'tr-TR': /^↻?\s*2 kez yeniden gönderdi, en sonu \d\d:\d\d(:\d\d)?$/,
} as const;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const nodeOf = (index: number) => `!4d5e7f0${index + 1}`;
const sosOf = (index: number) => ({ level: 'SOS', text: 'SOS', requestId: 900 + index });

test('copies of one SOS are one feed row that says how many times it was resent; a new SOS is a row of its own', async (t) => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  let packetId = 4100;
  let index = 0;

  // Before the page opens: the node, its SOS and one copy of it (the feed's history).
  const prepare = async (_c: unknown, i: number) => {
    index = i;
    const node = nodeOf(i);
    gw.mesh(node, 'info', { longName: `Clinic ${i + 1}`, shortName: `C${i + 1}`, hwModel: 'RAK4631', role: 'CLIENT' }, { packetId: packetId++, rxTime: ago(60_000) });
    gw.mesh(node, 'alert', sosOf(i), { packetId: packetId++, rxTime: ago(40_000) });
    gw.mesh(node, 'alert', sosOf(i), { packetId: packetId++, rxTime: ago(20_000) });
    const before = `before the page ${i}`;
    gw.mesh(OTHER, 'text', { text: before }, { packetId: packetId++ });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.text' && JSON.stringify(e.data).includes(before), { what: 'the SOS before the page' });
  };

  await atEachSize(
    t,
    hub,
    admin,
    async (c, page) => {
      const feed = page.locator('ol.feed');
      const rows = feed.locator(`li[data-type="mesh.alert"][data-node-id="${nodeOf(index)}"]`);
      await rows.first().waitFor();
      // Live: one more copy, then a new SOS (another request), then a text to know they all came.
      gw.mesh(nodeOf(index), 'alert', sosOf(index), { packetId: packetId++ });
      gw.mesh(nodeOf(index), 'alert', { ...sosOf(index), requestId: sosOf(index).requestId + 100 }, { packetId: packetId++ });
      const marker = `after the copies ${index}`;
      gw.mesh(OTHER, 'text', { text: marker }, { packetId: packetId++ });
      await feed.locator('li').filter({ hasText: marker }).waitFor();

      assert.equal(await rows.count(), 2, `one row for the SOS and its copies, one for the new SOS: ${(await rows.allInnerTexts()).join(' | ')}`);
      const folded = rows.locator('.feed-repeats');
      assert.equal(await folded.count(), 1, 'one row says it was resent');
      assert.match((await folded.innerText()).trim(), RESENT[c.locale]);
      // The new SOS is on top, as it came; the first stays below, at the time the SOS was first heard.
      assert.equal(await rows.first().locator('.feed-repeats').count(), 0, 'the new SOS is a row of its own, on top');
      const firstAt = await rows.nth(1).locator('time').getAttribute('datetime');
      assert.ok(Date.now() - Date.parse(firstAt!) > 30_000, `the folded row keeps the time of the first copy: ${firstAt}`);

      await rows.nth(1).scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, `${c.tag}.png`) });
      if (c.phone) await assertFitsWidth(page, 'the feed with a folded SOS');
    },
    { hash: '#/feed', prepare },
  );
});
