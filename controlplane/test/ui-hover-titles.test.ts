// What shows on hover is in the reader's words, never a raw key: on Send, a message to everyone has
// no "broadcast" tooltip (a message to a node keeps the node's id there, its name in the cell);
// on Sensors, a value's tooltip names the metric as the chip does ("nem" on a Turkish screen), not
// by its key ("humidity"). English and Turkish, phone and laptop; screenshots of each.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const SHOTS = artifactsDir('ui-hover-titles');
const NODE = '!5a6b7c01';
const CASES = [
  { locale: 'tr-TR', viewport: { width: 360, height: 740 }, phone: true, everyone: 'Herkes', metrics: { humidity: 'nem', temperature: 'sıcaklık' } },
  { locale: 'en-GB', viewport: { width: 390, height: 844 }, phone: true, everyone: 'Everyone', metrics: { humidity: 'humidity', temperature: 'temperature' } },
  { locale: 'tr-TR', viewport: { width: 1280, height: 800 }, phone: false, everyone: 'Herkes', metrics: { humidity: 'nem', temperature: 'sıcaklık' } },
  { locale: 'en-GB', viewport: { width: 1440, height: 900 }, phone: false, everyone: 'Everyone', metrics: { humidity: 'humidity', temperature: 'temperature' } },
] as const;

test('tooltips on Send and Sensors say names, not raw keys', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  gw.mesh(NODE, 'info', { longName: 'Farm', shortName: 'FARM', hwModel: 'RAK4631', role: 'CLIENT' }, { packetId: 5100 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === NODE, { what: 'the node' });
  assert.equal((await api(hub, admin, '/api/v1/messages', { method: 'POST', body: { text: 'water at the school at 6' } })).status, 202);
  const direct = await api(hub, admin, `/api/v1/nodes/${encodeURIComponent(NODE)}/messages`, { method: 'POST', body: { text: 'are you safe?' } });
  assert.equal(direct.status, 202, JSON.stringify(direct.body));
  gw.sensor('garden', 'humidity', '64');
  gw.sensor('garden', 'temperature', '21.5');
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.metric === 'temperature', { what: 'the readings' });

  for (const c of CASES) {
    await t.test(`${c.locale} at ${c.viewport.width}x${c.viewport.height}`, async () => {
      const { page, problems, context } = await openPage(browser, hub, c.phone ? { size: 'phone', viewport: c.viewport, locale: c.locale } : { viewport: c.viewport, locale: c.locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/send');
      const sent = page.locator('table.sent-table tbody');
      const toAll = sent.locator('tr', { hasText: 'water at the school at 6' }).locator('td').nth(1);
      await toAll.getByText(c.everyone, { exact: true }).waitFor();
      assert.equal(await toAll.getAttribute('title'), null, `no "broadcast" on hover of ${c.everyone}`);
      const toFarm = sent.locator('tr', { hasText: 'are you safe?' }).locator('td').nth(1);
      await toFarm.getByText('Farm', { exact: true }).waitFor();
      assert.equal(await toFarm.getAttribute('title'), NODE, "the node's id on hover of its name");
      await page.screenshot({ path: `${SHOTS}/send-${c.locale}-${c.viewport.width}.png` });

      await page.goto(`${hub.url}/#/sensors`);
      const row = page.locator('table.sensors-table tbody tr[data-sensor-id="garden"]');
      for (const [key, label] of Object.entries(c.metrics)) {
        const chip = row.locator('.metric-chip', { hasText: new RegExp(`^${label}: `) });
        await chip.waitFor();
        const title = (await chip.getAttribute('title')) ?? '';
        assert.equal(title, label, `the ${label} chip's tooltip names it in the reader's words`);
        // The English name is the key itself; elsewhere the key must not show.
        if (label !== key) assert.ok(!title.includes(key), `no raw "${key}" on hover: ${title}`);
      }
      await page.screenshot({ path: `${SHOTS}/sensors-${c.locale}-${c.viewport.width}.png` });
      assert.deepEqual(problems, []);
    });
  }
});
