// cctv's screen inside the admin UI (mounted by the modules view): whether the module works here
// (or "unavailable: <why>"), each camera's state, and the latest motion events — with a thumbnail
// only for cameras whose upload an admin allowed. Live from the module's events on the hub's event
// stream. Camera names and reasons go in as text, never as HTML; an image is shown only as a JPEG
// data URL.

import { h, replace } from '/js/dom.js';
import { relativeTime } from '/js/format.js';

const EVENTS = new Set(['module.cctv.motion', 'module.cctv.camera_status']);
/** @type {Record<string, string>} */
const STATE_LABEL = { starting: 'starting', live: 'live', reconnecting: 'reconnecting', ended: 'ended', unavailable: 'unavailable', stopped: 'stopped' };

/**
 * @param {HTMLElement} root
 * @param {{ api: any, stream: EventTarget, can: (p: string) => boolean, notify: (m: string, k?: string) => void, base: string }} ctx
 */
export function mount(root, ctx) {
  const { api, stream, base } = ctx;
  const summary = h('p', { class: 'cctv-summary', role: 'status' });
  const cameraBody = h('tbody');
  const cameras = h('table', { class: 'data-table', 'aria-label': 'Cameras' }, h('thead', {}, h('tr', {}, ['Camera', 'Source', 'State', 'Frames', 'Events', 'Upload'].map((c) => h('th', { scope: 'col' }, c)))), cameraBody);
  const events = h('ul', { class: 'cctv-events', 'aria-label': 'Motion events' });
  replace(root, h('h2', {}, 'Cameras'), summary, cameras, h('h3', {}, 'Motion'), events, h('p', { class: 'hint' }, 'Snapshots and clips stay on the camera node. A thumbnail reaches the hub only for a camera whose upload is on (module settings).'));

  const load = async () => {
    const [s, e] = await Promise.all([api.get(`${base}/status`), api.get(`${base}/events?limit=20`)]);
    replace(summary, s.state === 'available' ? `Working${s.opencv ? ` (OpenCV ${s.opencv})` : ''}; ${s.mediaFiles} file(s) kept on the node.` : s.reason);
    replace(
      cameraBody,
      s.cameras.length
        ? s.cameras.map((/** @type {any} */ c) =>
            h('tr', { dataset: { camera: c.id, state: c.state } }, h('td', {}, c.name), h('td', {}, c.source), h('td', {}, `${STATE_LABEL[c.state] ?? c.state}${c.reason ? `: ${c.reason}` : ''}`), h('td', {}, String(c.frames)), h('td', {}, String(c.events)), h('td', {}, c.upload ? 'thumbnails' : 'off')),
          )
        : h('tr', {}, h('td', { colspan: '6', class: 'empty' }, 'No camera configured.')),
    );
    replace(events, e.events.length ? e.events.map(eventItem) : h('li', { class: 'empty' }, 'No motion yet.'));
  };

  /** @param {any} ev */
  function eventItem(ev) {
    const thumb = typeof ev.thumbnail === 'string' && ev.thumbnail.startsWith('data:image/jpeg;base64,') ? h('img', { src: ev.thumbnail, alt: `Motion at ${ev.cameraName}`, width: '160', style: 'display: block' }) : null;
    return h('li', { dataset: { camera: ev.camera } }, thumb ?? '', h('strong', {}, ev.cameraName), ` motion in ${ev.zone} · ${relativeTime(ev.time)} · ${(ev.area * 100).toFixed(1)}% of the frame`, ev.uploaded ? '' : ' · picture kept on the node');
  }

  /** @param {Event} e */
  const onEvent = (e) => {
    const ev = /** @type {CustomEvent} */ (e).detail;
    if (!EVENTS.has(ev.type)) return;
    void load().catch(() => {});
  };
  stream.addEventListener('event', onEvent);
  void load().catch((err) => ctx.notify(`cctv: ${err.message}`, 'error'));
  return {
    destroy() {
      stream.removeEventListener('event', onEvent);
    },
  };
}
