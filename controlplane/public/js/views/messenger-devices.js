// The user's messenger devices as a list: each with its name, when it was added and last seen (if
// the hub knows), and Revoke after a confirmation; this browser's own device is marked, not revocable.
// Used by "Devices" and by the screen shown when this browser cannot register (the device limit).

import { h, replace } from '../dom.js';
import { dateTime, relativeTime } from '../format.js';
import { t } from '../i18n.js';

/**
 * @typedef {{ id: string, name: string, createdAt: string, lastSeenAt?: string | null }} DeviceRow
 * @param {HTMLElement} list the `ul` to fill
 * @param {DeviceRow[]} devices
 * @param {{ thisDevice: string | null, revoke: (device: DeviceRow) => Promise<void> }} o
 *   `revoke` is called once the person confirmed; the button stays disabled while it runs.
 */
export function renderDeviceList(list, devices, { thisDevice, revoke }) {
  replace(
    list,
    devices.map((d) =>
      h(
        'li',
        {},
        h('span', { class: 'msg-device-name' }, d.name),
        // One item in the row's layout, however many facts it holds.
        h('span', { class: 'hint' }, h('span', {}, t('Added {when}', { when: dateTime(d.createdAt) })), d.lastSeenAt ? [h('br'), h('span', { title: dateTime(d.lastSeenAt) }, t('Last seen {when}', { when: relativeTime(d.lastSeenAt) }))] : null),
        d.id === thisDevice
          ? h('span', { class: 'badge badge--online' }, t('This device'))
          : h(
              'button',
              {
                type: 'button',
                class: 'danger',
                'aria-label': t('Revoke {device}', { device: d.name }),
                onclick: async (/** @type {Event} */ e) => {
                  if (!confirm(t('Revoke {device}? It will receive nothing more.', { device: d.name }))) return;
                  const button = /** @type {HTMLButtonElement} */ (e.currentTarget);
                  button.disabled = true;
                  try {
                    await revoke(d);
                  } finally {
                    button.disabled = false;
                  }
                },
              },
              t('Revoke'),
            ),
      ),
    ),
  );
}
