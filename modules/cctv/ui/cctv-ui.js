// cctv's screen inside the admin UI (mounted by the modules view): whether the module works here
// (or "unavailable: <why>"), each camera's state, and the latest motion events — with a thumbnail
// only for cameras whose upload an admin allowed. Live from the module's events on the hub's event
// stream. Camera names and reasons go in as text, never as HTML; an image is shown only as a JPEG
// data URL. Its words are in the operator's language (the hub's choice): English keys, Turkish in
// ./locales/tr.js; numbers and times through the hub's i18n.js and format.js.

import { h, replace } from '/js/dom.js';
import { relativeTime } from '/js/format.js';
import { formatNumber, translator } from '/js/i18n.js';
import { TR } from './locales/tr.js';

const t = translator({ tr: TR });

const EVENTS = new Set(['module.cctv.motion', 'module.cctv.camera_status']);
/** @type {Record<string, () => string>} */
const STATE_LABEL = { starting: () => t('starting'), live: () => t('live'), reconnecting: () => t('reconnecting'), ended: () => t('ended'), unavailable: () => t('unavailable'), stopped: () => t('stopped') };

/**
 * @param {HTMLElement} root
 * @param {{ api: any, stream: EventTarget, can: (p: string) => boolean, notify: (m: string, k?: string) => void, base: string }} ctx
 */
export function mount(root, ctx) {
  const { api, stream, base } = ctx;
  const summary = h('p', { class: 'cctv-summary', role: 'status' });
  const cameraBody = h('tbody');
  const columns = [t('Camera'), t('Source'), t('State'), t('Frames'), t('Events'), t('Upload')];
  const cameras = h('table', { class: 'data-table', 'aria-label': t('Cameras') }, h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))), cameraBody);
  const events = h('ul', { class: 'cctv-events', 'aria-label': t('Motion events') });
  replace(
    root,
    h('h2', {}, t('Cameras')),
    summary,
    cameras,
    h('h3', {}, t('Motion')),
    events,
    h('p', { class: 'hint' }, t('Snapshots and clips stay on the camera node. A thumbnail reaches the hub only for a camera whose upload is on (module settings).')),
  );

  const load = async () => {
    const [s, e] = await Promise.all([api.get(`${base}/status`), api.get(`${base}/events?limit=20`)]);
    replace(summary, s.state === 'available' ? workingSummary(s) : s.reason);
    replace(
      cameraBody,
      s.cameras.length
        ? s.cameras.map((/** @type {any} */ c) =>
            h('tr', { dataset: { camera: c.id, state: c.state } }, h('td', {}, c.name), h('td', {}, c.source), h('td', {}, `${STATE_LABEL[c.state]?.() ?? c.state}${c.reason ? `: ${c.reason}` : ''}`), h('td', {}, formatNumber(c.frames)), h('td', {}, formatNumber(c.events)), h('td', {}, c.upload ? t('thumbnails') : t('off'))),
          )
        : h('tr', {}, h('td', { colspan: '6', class: 'empty' }, t('No camera configured.'))),
    );
    replace(events, e.events.length ? e.events.map(eventItem) : h('li', { class: 'empty' }, t('No motion yet.')));
  };

  /** @param {any} s the module's status when it works here */
  function workingSummary(s) {
    const count = s.mediaFiles;
    return s.opencv
      ? t({ one: 'Working (OpenCV {opencv}); {count} file kept on the node.', other: 'Working (OpenCV {opencv}); {count} files kept on the node.' }, { opencv: s.opencv, count })
      : t({ one: 'Working; {count} file kept on the node.', other: 'Working; {count} files kept on the node.' }, { count });
  }

  /** @param {any} ev */
  function eventItem(ev) {
    const thumb = typeof ev.thumbnail === 'string' && ev.thumbnail.startsWith('data:image/jpeg;base64,') ? h('img', { src: ev.thumbnail, alt: t('Motion at {camera}', { camera: ev.cameraName }), width: '160', style: 'display: block' }) : null;
    const where = t('motion in {zone}', { zone: ev.zone });
    const area = t('{area} of the frame', { area: formatNumber(ev.area, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }) });
    return h('li', { dataset: { camera: ev.camera } }, thumb ?? '', h('strong', {}, ev.cameraName), ` ${where} · ${relativeTime(ev.time)} · ${area}`, ev.uploaded ? '' : ` · ${t('picture kept on the node')}`);
  }

  /** @param {Event} e */
  const onEvent = (e) => {
    const ev = /** @type {CustomEvent} */ (e).detail;
    if (!EVENTS.has(ev.type)) return;
    void load().catch(() => {});
  };
  stream.addEventListener('event', onEvent);
  void load().catch((err) => ctx.notify(t('Could not load cctv: {error}', { error: err.message }), 'error'));
  return {
    destroy() {
      stream.removeEventListener('event', onEvent);
    },
  };
}
