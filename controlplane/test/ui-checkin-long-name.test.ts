// A person's name the check-in form accepts (80 letters) or an assembly point's (60) with no space
// in it breaks onto the next lines on a phone: before, one such name made the Modules page over 800 px
// wide on a 360 px phone, and the whole page scrolled sideways.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startOpenRound } from './support/checkin-hub.ts';
import { api } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { atEachSize } from './support/at-each-size.ts';
import { artifactsDir, assertFitsWidth } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-checkin-long-name');
const NODES = [{ id: '!7e5f1001', name: 'Okul', lat: 37.5901, lon: 36.9442 }];
const PERSON = 'Ş'.repeat(40) + 'x'.repeat(40);
const POINT = 'Y'.repeat(60);

test('a long name without spaces in the check-in round and the assembly points keeps the page as wide as the screen', async (t) => {
  const quake = { id: 'long-name', latitude: 37.62, longitude: 36.99, depthKm: 10, magnitude: 5.8, timeMs: Date.now() - 60_000, place: 'Kahramanmaraş, Türkiye' };
  const { hub, admin, roundId } = await startOpenRound(t, NODES, quake, 7950);
  assert.equal((await api(hub, admin, `/api/v1/modules/birlikteyiz/rounds/${roundId}/checkins`, { method: 'POST', body: { person: PERSON, status: 'needs_help' } })).status, 200);
  assert.equal((await api(hub, admin, '/api/v1/modules/birlikteyiz/assembly-points', { method: 'POST', body: { name: POINT, latitude: 37.59, longitude: 36.95 } })).status, 201);
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.assembly_point', { what: 'the assembly point' });
  await atEachSize(t, hub, admin, async (c, page, panel) => {
    const person = panel.locator('ul.people > li').filter({ hasText: PERSON });
    const point = panel.locator('ul.assembly-points > li').filter({ hasText: POINT });
    await person.waitFor();
    await point.waitFor();
    await person.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `${c.tag}-person.png`) });
    await point.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `${c.tag}-point.png`) });
    // A phone's browser widens its layout to what overflows (innerWidth grows with it): measured against the screen's own width.
    const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    assert.ok(scroll <= c.viewport.width && inner <= c.viewport.width, `the page is ${scroll} px wide (layout ${inner} px) on a ${c.viewport.width} px screen`);
    await assertFitsWidth(page, `the Modules page with a long name, ${c.locale} ${c.viewport.width} px`);
    for (const [what, item] of [['the person', person], ['the assembly point', point]] as const) {
      // The text's own extent: a list item's box stays as wide as the list while its words run out of it.
      const right = await item.evaluate((li) => {
        const range = document.createRange();
        range.selectNodeContents(li);
        return Math.max(...[...range.getClientRects()].map((r) => r.right));
      });
      assert.ok(right <= c.viewport.width, `${what}’s name runs to ${Math.round(right)} px on a ${c.viewport.width} px screen`);
    }
  });
});
