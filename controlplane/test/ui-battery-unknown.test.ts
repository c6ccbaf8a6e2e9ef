// A node with no battery reading (its telemetry says level 0 and 0 V, as protobuf sends "not set")
// shows no level, or the last one it reported, on the screen that was open when the frame came as
// after a reload, as the hub keeps it: "0 %" read as a device about to die.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitForEvent } from './support/hub-events.ts';
import { openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const NODE = '!3c4d5e2a';

test('telemetry without a battery reading never shows 0 %: no level until one is reported, then the last one, live and after a reload', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  let packetId = 300;
  gw.mesh(NODE, 'info', { longName: 'Bridge', shortName: 'BRG', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === NODE, { what: 'the node info' });

  const { page, problems, context } = await openPage(browser, hub, { size: 'laptop' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/fleet');
  const row = page.getByRole('table', { name: 'Fleet' }).getByRole('row', { name: /Bridge/ });
  await row.waitFor();
  const batteryShown = async () => (await row.innerText()).split('\t')[5];
  // Each frame heard at its own SNR, which the row shows: the page has taken the frame once it shows that SNR.
  const telemetry = async (doc: Record<string, number>, snr: number) => {
    gw.mesh(NODE, 'telemetry', doc, { packetId: packetId++, snr });
    await row.filter({ hasText: `${snr.toFixed(1)} dB` }).waitFor();
  };

  // A device without a battery gauge: level 0 and 0 V.
  await telemetry({ batteryLevel: 0, voltage: 0, channelUtilization: 4 }, 7);
  assert.equal(await batteryShown(), '—', 'no level before any is reported');
  await telemetry({ batteryLevel: 55, voltage: 3.9 }, 8);
  assert.equal(await batteryShown(), '55%');
  await telemetry({ batteryLevel: 0, voltage: 0, channelUtilization: 5 }, 9);
  assert.equal(await batteryShown(), '55%', 'a frame without a reading leaves the last level');
  await page.reload();
  await row.filter({ hasText: '55%' }).waitFor();
  assert.equal(await batteryShown(), '55%', 'as the hub keeps it');
  assert.deepEqual(problems, []);
});
