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
 * cctv's reasons by problem code (the module's `problem` and each camera's), whole sentences with
 * the problem's values; a code missing here reads as the module wrote it (its English `reason`).
 * @type {Record<string, (p: Record<string, string | number>) => string>}
 */
const PROBLEMS = {
  'cctv.no_camera': () => t('Unavailable: no camera is configured (settings "cameras").'),
  'cctv.cameras_down': () => t('Unavailable: no camera works.'),
  'cctv.camera_config': (p) => t('Unavailable: a camera’s settings are not valid: {error}', p),
  'cctv.opencv_missing': (p) => t('OpenCV is not installed ({detail}): apt-get install libopencv-dev, then bash .ci/opencv4nodejs.sh, then restart.', p),
  'cctv.opencv_off': () => t('OpenCV is switched off (UNIBOS_OPENCV4NODEJS=off).'),
  'cctv.opencv_broken': (p) => t('OpenCV is installed but does not work ({detail}).', p),
  'cctv.worker_failed': (p) => t('the motion worker did not start ({error})', p),
  'cctv.worker_died': (p) => t('the motion worker stopped ({error})', p),
  'cctv.device_missing': (p) => t('{path} does not exist (is the camera plugged in? the Pi camera needs libcamera’s V4L2 compatibility)', p),
  'cctv.file_missing': (p) => t('{path} does not exist', p),
  'cctv.ffmpeg_missing': () => t('ffmpeg is not installed (apt-get install ffmpeg)'),
  'cctv.ffmpeg_failed': (p) => t('ffmpeg failed on {source}: {error}', p),
  'cctv.no_picture': (p) => t('{source}: no picture within {seconds} s', p),
  'cctv.stall': (p) => t('no frame for {seconds} s', p),
  'cctv.source_failed': (p) => t('{source} cannot be read: {error}', p),
  'cctv.http_status': (p) => t('{source} answered HTTP {status}', p),
  'cctv.stream_ended': (p) => t('{source}: the stream ended', p),
  'cctv.source_ended': () => t('the source ended'),
  'cctv.media_not_saved': (p) => t('media not saved: {error}', p),
};

/**
 * A reason in the reader's language when its code is known, else as it came.
 * @param {{ code?: unknown, params?: Record<string, string | number> } | null | undefined} problem
 * @param {string | null | undefined} reason
 */
function reasonText(problem, reason) {
  const code = typeof problem?.code === 'string' ? problem.code : '';
  return Object.hasOwn(PROBLEMS, code) ? PROBLEMS[code](problem?.params ?? {}) : (reason ?? '');
}

/**
 * @param {HTMLElement} root
 * @param {{ api: any, stream: EventTarget, can: (p: string) => boolean, notify: (m: string, k?: string) => void, base: string }} ctx
 */
export function mount(root, ctx) {
  const { api, stream, base } = ctx;
  const summary = h('p', { class: 'cctv-summary', role: 'status' });
  /** When no camera works, each one's reason under the summary: on a phone the table's state column is off to the side. */
  const reasons = h('ul', { class: 'cctv-reasons module-error', 'aria-label': t('Why the cameras do not work') });
  const cameraBody = h('tbody');
  const columns = [t('Camera'), t('Source'), t('State'), t('Frames'), t('Events'), t('Upload')];
  const cameras = h('table', { class: 'data-table', 'aria-label': t('Cameras') }, h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))), cameraBody);
  const events = h('ul', { class: 'cctv-events', 'aria-label': t('Motion events') });
  replace(
    root,
    h('h2', {}, t('Cameras')),
    summary,
    reasons,
    // A long source or reason scrolls the table, not the page (a phone is 375 px wide).
    h('div', { class: 'table-wrap' }, cameras),
    h('h3', {}, t('Motion')),
    events,
    h('p', { class: 'hint' }, t('Snapshots and clips stay on the camera node. A thumbnail reaches the hub only for a camera whose upload is on (module settings).')),
  );

  const load = async () => {
    const [s, e] = await Promise.all([api.get(`${base}/status`), api.get(`${base}/events?limit=20`)]);
    replace(summary, s.state === 'available' ? workingSummary(s) : reasonText(s.problem, s.reason));
    const down = s.state !== 'available' && s.problem?.code === 'cctv.cameras_down' ? s.cameras.filter((/** @type {any} */ c) => c.reason) : [];
    reasons.hidden = down.length === 0;
    replace(reasons, down.map((/** @type {any} */ c) => h('li', { dataset: { camera: c.id } }, t('{camera}: {reason}', { camera: c.name, reason: reasonText(c.problem, c.reason) }))));
    replace(
      cameraBody,
      s.cameras.length
        ? s.cameras.map((/** @type {any} */ c) =>
            h('tr', { dataset: { camera: c.id, state: c.state } }, h('td', {}, c.name), h('td', {}, c.source), h('td', { dataset: { problem: c.problem?.code ?? '' } }, c.reason ? t('{state}: {reason}', { state: STATE_LABEL[c.state]?.() ?? c.state, reason: reasonText(c.problem, c.reason) }) : (STATE_LABEL[c.state]?.() ?? c.state)), h('td', {}, formatNumber(c.frames)), h('td', {}, formatNumber(c.events)), h('td', {}, c.upload ? t('thumbnails') : t('off'))),
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
