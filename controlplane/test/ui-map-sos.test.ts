// An SOS stays visible on a crowded map: drawn above the nodes, the gateways and their names
// (a gateway's label beside the spot covered the SOS triangle), at phone and laptop size; and the
// names it would cover move clear of it instead of lying unreadable under it.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const SHOTS = artifactsDir('ui-map-sos');

const SQUARE = { lat: 36.2021, lon: 36.1604 };
const CALLER = '!3c4d5e0a';

test('an SOS beside a gateway and its name is drawn above both', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  let packetId = 900;
  gw.mesh(`!${gw.id}`, 'info', { longName: 'Antakya Hub Gateway with a long name', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: packetId++ });
  gw.mesh(`!${gw.id}`, 'position', { latitude: SQUARE.lat, longitude: SQUARE.lon }, { packetId: packetId++ });
  gw.mesh(CALLER, 'info', { longName: 'Kırıkhan', shortName: 'KRK', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  gw.mesh(CALLER, 'position', { latitude: SQUARE.lat + 0.0003, longitude: SQUARE.lon + 0.0002 }, { packetId: packetId++ });
  // The SOS comes from right beside the gateway, where its name is drawn.
  gw.mesh(CALLER, 'alert', { level: 'SOS', text: 'SOS', position: { latitude: SQUARE.lat, longitude: SQUARE.lon + 0.0004 } }, { packetId: packetId++ });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised', { what: 'the SOS' });

  for (const size of ['laptop', 'phone'] as const) {
    await t.test(size, async () => {
      const { page, problems, context } = await openPage(browser, hub, { size });
      t.after(() => context.close());
      await signIn(page, hub, admin, `#/map/${encodeURIComponent(CALLER)}`);
      const sos = page.getByRole('region', { name: 'Node map' }).getByRole('button', { name: 'SOS from Kırıkhan' });
      await sos.waitFor();
      await page.locator('.node-label').filter({ hasText: 'Antakya Hub Gateway with a long name' }).waitFor();
      const box = (await sos.boundingBox())!;
      // What is on top at the SOS's centre and across its width: the SOS itself.
      for (const dx of [-12, 0, 12]) {
        // The SOS, or what covers it (tag and class) when it is not on top.
        const onTop = await page.evaluate(([x, y]) => {
          const e = document.elementFromPoint(x!, y!);
          return e?.closest('.sos-marker') ? 'sos' : `${e?.tagName} ${e?.getAttribute('class')}`;
        }, [box.x + box.width / 2 + dx, box.y + box.height / 2]);
        assert.equal(onTop, 'sos', `the SOS is on top ${dx} px from its centre at ${size} size`);
      }
      // No node's name lies under the SOS: every label clear of the triangle, and still shown.
      const clash = await page.evaluate(() => {
        const sos = [...document.querySelectorAll('.sos-marker .sos-shape')].map((e) => e.getBoundingClientRect());
        return [...document.querySelectorAll('.leaflet-tooltip.node-label')].flatMap((l) => {
          const r = l.getBoundingClientRect();
          return sos.some((b) => r.left < b.right && r.right > b.left && r.top < b.bottom && r.bottom > b.top) ? [`${l.textContent} at ${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x${Math.round(r.height)}`] : [];
        });
      });
      assert.deepEqual(clash, [], `names under the SOS at ${size} size`);
      // Moved out from under the SOS, the two names do not land on each other either.
      const [a, b] = await Promise.all(['Antakya Hub Gateway with a long name', 'Kırıkhan'].map((name) => page.locator('.node-label').filter({ hasText: name }).boundingBox()));
      assert.ok(a && b && (a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y), `the two names overlap at ${size} size: ${JSON.stringify([a, b])}`);
      for (const name of ['Antakya Hub Gateway with a long name', 'Kırıkhan']) assert.ok(await page.locator('.node-label').filter({ hasText: name }).isVisible(), `${name}'s label shows`);
      await page.screenshot({ path: join(SHOTS, `sos-beside-gateway-${size}.png`) });
      // Every gateway here has GPS: the legend does not explain estimated ones.
      assert.equal(await page.getByRole('list', { name: 'Legend' }).getByText('gateway without GPS, at the node it hears best').isVisible(), false);
      assert.equal(await page.getByRole('button', { name: 'Fit to nodes' }).isEnabled(), true);
      assert.deepEqual(problems, []);
    });
  }
});

test('with several SOS open, each triangle is drawn on its own node, not stacked below the one before', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  const callers = [
    { id: '!3c4d5e1a', name: 'Defne', lat: 36.1904, lon: 36.1304 },
    { id: '!3c4d5e1b', name: 'Samandağ', lat: 36.2404, lon: 36.2104 },
    { id: '!3c4d5e1c', name: 'Harbiye', lat: 36.1604, lon: 36.2404 },
  ];
  let packetId = 1200;
  for (const c of callers) {
    gw.mesh(c.id, 'info', { longName: c.name, shortName: c.name.slice(0, 3).toUpperCase(), hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
    gw.mesh(c.id, 'position', { latitude: c.lat, longitude: c.lon }, { packetId: packetId++ });
    gw.mesh(c.id, 'alert', { level: 'SOS', text: 'SOS', position: { latitude: c.lat, longitude: c.lon } }, { packetId: packetId++ });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.nodeId === c.id, { what: `${c.name}'s SOS` });
  }
  const { page, problems, context } = await openPage(browser, hub, { size: 'laptop' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/map');
  for (const c of callers) await page.getByRole('button', { name: `SOS from ${c.name}` }).waitFor();
  await page.locator('#node-map path.node-marker').nth(callers.length - 1).waitFor();
  // Each triangle's centre on a node's dot (its SOS was sent from where the node is).
  // (No named function inside evaluate: the test's compiler would wrap it in a helper the page lacks.)
  const [triangles = [], dots = []] = await page.evaluate(() =>
    ['#node-map .sos-marker', '#node-map path.node-marker'].map((selector) =>
      [...document.querySelectorAll(selector)].map((e) => {
        const r = e.getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
      }),
    ),
  );
  assert.equal(triangles.length, callers.length);
  for (const [i, tri] of triangles.entries()) {
    const off = Math.min(...dots.map((d) => Math.hypot(d.x - tri.x, d.y - tri.y)));
    assert.ok(off < 2, `SOS ${i + 1} of ${triangles.length} is drawn ${off.toFixed(0)} px from every node's dot`);
  }
  await page.screenshot({ path: join(SHOTS, 'three-sos-laptop.png') });
  assert.deepEqual(problems, []);
});

/** Resolves once the map has not moved for two animation frames (a pan is drawn frame by frame). */
async function mapAtRest(page: Page): Promise<void> {
  await page.evaluate(`new Promise((resolve) => {
    const pane = document.querySelector('#node-map .leaflet-map-pane');
    let last = null;
    let still = 0;
    const look = () => {
      const now = pane.style.transform;
      still = now === last ? still + 1 : 0;
      last = now;
      if (still >= 2) resolve();
      else requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  })`);
}

test('an SOS popup being read stays open, with the keyboard on its triangle and the map where the operator moved it, while the map redraws', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  const NEIGHBOUR = '!3c4d5e0c';
  let packetId = 950;
  gw.mesh(CALLER, 'info', { longName: 'Kırıkhan', shortName: 'KRK', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  gw.mesh(CALLER, 'position', { latitude: SQUARE.lat, longitude: SQUARE.lon }, { packetId: packetId++ });
  gw.mesh(NEIGHBOUR, 'info', { longName: 'Reyhanlı', shortName: 'RYH', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  gw.mesh(NEIGHBOUR, 'position', { latitude: SQUARE.lat + 0.02, longitude: SQUARE.lon + 0.02 }, { packetId: packetId++ });
  gw.mesh(CALLER, 'alert', { level: 'SOS', text: 'trapped, two people' }, { packetId: packetId++ });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised', { what: 'the SOS' });
  const { page, problems } = await openPage(browser, hub, { size: 'phone' });
  await signIn(page, hub, admin, '#/map');
  const sos = page.getByRole('region', { name: 'Node map' }).getByRole('button', { name: 'SOS from Kırıkhan' });
  await page.locator('.node-label', { hasText: 'Reyhanlı' }).waitFor();
  // From the keyboard: the triangle takes it, Enter opens its popup.
  await sos.focus();
  await page.keyboard.press('Enter');
  const popup = page.locator('.leaflet-popup .popup-sos');
  await popup.waitFor();
  // The other node says a new name: the map draws its markers, links and SOS triangles again.
  const redraw = async (name: string) => {
    gw.mesh(NEIGHBOUR, 'info', { longName: name, shortName: 'RYH', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
    await page.locator('.node-label', { hasText: name }).waitFor();
    await mapAtRest(page);
    // A popup that closes fades out (Leaflet sets its opacity to 0, then removes it).
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('.leaflet-popup')].every((p) => p.style.opacity !== '0'));
  };
  await redraw('Reyhanlı 2');
  assert.equal(await popup.count(), 1, 'the SOS popup is still open');
  assert.match(await page.locator('.leaflet-popup').innerText(), /Kırıkhan/);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'SOS from Kırıkhan', 'the keyboard is still on the triangle');

  // The operator drags the map until the popup is half off it: a redraw leaves the map where it is.
  const frame = (await page.locator('#node-map').boundingBox())!;
  await page.mouse.move(frame.x + frame.width / 2, frame.y + frame.height / 2);
  await page.mouse.down();
  await page.mouse.move(frame.x + frame.width / 2 - 150, frame.y + frame.height / 2 + 250, { steps: 8 });
  await page.mouse.up();
  await mapAtRest(page);
  const dragged = (await sos.boundingBox())!;
  await redraw('Reyhanlı 3');
  const after = (await sos.boundingBox())!;
  assert.deepEqual([after.x - dragged.x, after.y - dragged.y], [0, 0], 'the open popup is not panned back into view');
  assert.equal(await popup.count(), 1);

  assert.deepEqual(problems, []);
});
