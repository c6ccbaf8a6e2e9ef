// cctv's screen inside the admin UI (mounted by the modules view): whether the module works here
// (or "unavailable: <why>"), each camera as a row (a card on a phone) with its source (passwords
// already ***), its state and why, when it last sent a picture and saw motion, its zones and
// whether its thumbnails leave the device; the latest motion events, with a thumbnail only for
// cameras whose upload an admin allowed. Cameras are added and changed in the module's settings
// form (the hub's), which the screen opens. Live from the module's events on the hub's event
// stream. Camera names and reasons go in as text, never as HTML; an image is shown only as a JPEG
// data URL. Its words are in the operator's language (the hub's choice): English keys, Turkish in
// ./locales/tr.js; numbers and times through the hub's i18n.js and format.js.

import { h, replace } from '/js/dom.js';
import { relativeTime, timeUntil } from '/js/format.js';
import { formatNumber, translator } from '/js/i18n.js';
import { TR } from './locales/tr.js';

const t = translator({ tr: TR });

/** The screen's look (state colours, one card per camera on a phone), beside this file. */
const STYLESHEET = new URL('./cctv-ui.css', import.meta.url).href;
/**
 * The cameras field of this module's settings form, as the hub's Modules screen names it
 * (`module-<name>-<setting>`); there only for the hub's admins.
 */
const CAMERAS_FIELD = 'module-cctv-cameras';
/** Relative times ("12 s ago") and counts go stale on an open screen: read again this often. */
const REFRESH_MS = 15_000;

const EVENTS = new Set(['module.cctv.motion', 'module.cctv.camera_status']);
/** @type {Record<string, () => string>} */
const STATE_LABEL = { starting: () => t('starting'), live: () => t('live'), reconnecting: () => t('reconnecting'), ended: () => t('ended'), unavailable: () => t('unavailable'), stopped: () => t('stopped') };
/** @param {string} state */
const stateLabel = (state) => STATE_LABEL[state]?.() ?? state;

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
  'cctv.disk_full': (p) => t('the disk is nearly full: {freeMB} MB free, {minFreeMB} MB wanted (setting minFreeMB); older media deleted, new snapshots still kept', p),
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
  /** When no camera works, each one's reason under the summary, in view on a phone too. */
  const reasons = h('ul', { class: 'cctv-reasons module-error', 'aria-label': t('Why the cameras do not work') });
  const edit = h('button', { type: 'button', class: 'cctv-edit', hidden: true }, t('Add or change cameras'));
  edit.addEventListener('click', () => openSettings());
  const cameraBody = h('tbody');
  // Each cell says its column's name too: on a phone the table is one card per camera (cctv-ui.css).
  const COLUMNS = [t('Camera'), t('Source'), t('State'), t('Last picture'), t('Last motion'), t('Motion zones'), t('Thumbnails')];
  const cameraTable = h('table', { class: 'data-table cctv-cameras', 'aria-label': t('Cameras') }, h('thead', {}, h('tr', {}, COLUMNS.map((c) => h('th', { scope: 'col' }, c)))), cameraBody);
  const cameras = h('div', { class: 'table-wrap cctv-table' }, cameraTable);
  const empty = h('div', { class: 'empty cctv-empty', hidden: true });
  const motionHeading = h('h3', {}, t('Latest motion'));
  const events = h('ul', { class: 'cctv-events', 'aria-label': t('Motion events') });
  replace(
    root,
    h('link', { rel: 'stylesheet', href: STYLESHEET }),
    h('div', { class: 'cctv-head' }, h('h2', {}, t('CCTV: cameras and motion')), edit),
    summary,
    reasons,
    empty,
    cameras,
    motionHeading,
    events,
    h('p', { class: 'hint' }, t('Snapshots and clips stay on the device the camera is connected to. A thumbnail reaches the hub only for a camera whose upload is on (module settings).')),
  );

  /** The hub's settings form for this module, for its admins: opened at the cameras, which get the focus. */
  function openSettings() {
    const field = document.getElementById(CAMERAS_FIELD);
    if (!field) return;
    const box = field.closest('details');
    if (box) box.open = true;
    field.scrollIntoView({ block: 'center' });
    field.focus();
  }

  /** @type {any} */
  let last = null;
  /** Loads started (the refresh and events overlap): an answer older than the one shown is dropped. */
  let asked = 0;
  let shown = 0;
  const load = async () => {
    const n = ++asked;
    const [s, e] = await Promise.all([api.get(`${base}/status`), api.get(`${base}/events?limit=20`)]);
    if (n < shown) return;
    shown = n;
    last = { s, e };
    render();
  };

  function render() {
    if (!last) return;
    const { s, e } = last;
    const canEdit = document.getElementById(CAMERAS_FIELD) !== null;
    edit.hidden = !canEdit;
    // Without cameras the empty state says what to do; the module's "unavailable: no camera" would only repeat it.
    const none = s.cameras.length === 0;
    summary.hidden = none && (s.problem?.code ?? 'cctv.no_camera') === 'cctv.no_camera';
    summary.dataset.state = s.state;
    replace(summary, s.state === 'available' ? workingSummary(s) : reasonText(s.problem, s.reason));
    const down = s.state !== 'available' && s.problem?.code === 'cctv.cameras_down' ? s.cameras.filter((/** @type {any} */ c) => c.reason) : [];
    reasons.hidden = down.length === 0;
    replace(reasons, down.map((/** @type {any} */ c) => h('li', { dataset: { camera: c.id } }, t('{camera}: {reason}', { camera: c.name, reason: reasonText(c.problem, c.reason) }))));
    empty.hidden = !none;
    cameras.hidden = none;
    replace(
      empty,
      h('p', { class: 'cctv-empty-title' }, t('No cameras yet')),
      h(
        'p',
        {},
        canEdit
          ? t('Add one in this module’s settings: a USB or Pi camera (/dev/video0), an IP camera (rtsp://…) or an MJPEG stream (http://…). Its state and motion show here once it is saved.')
          : t('An admin of this hub adds cameras in this module’s settings (Modules → cctv → Settings).'),
      ),
    );
    replace(cameraBody, s.cameras.map(cameraRow));
    // Before the first camera there is no motion to wait for: the empty state above is the whole story.
    motionHeading.hidden = events.hidden = none && e.events.length === 0;
    replace(events, e.events.length ? e.events.map(eventItem) : h('li', { class: 'empty' }, t('No motion yet.')));
  }

  /** @param {any} c a camera's state from the module's API */
  function cameraRow(c) {
    const cell = (/** @type {number} */ i, /** @type {any} */ content, /** @type {Record<string, unknown>} */ props = {}) => h('td', { 'data-label': COLUMNS[i], ...props }, h('span', { class: 'cell-value' }, content));
    // The state and why in one line of text ("reconnecting: /dev/video1 does not exist"); its colour is a dot before it.
    const state = [h('span', { class: `cctv-state cctv-state--${c.state}` }, stateLabel(c.state)), c.reason ? `: ${reasonText(c.problem, c.reason)}` : ''];
    // When it next tries, beside when it last sent a picture (the state's cell holds the state and why, no more).
    const retry = c.state === 'reconnecting' && typeof c.nextRetryAt === 'number' ? h('span', { class: 'cctv-retry' }, t('next try {when}', { when: timeUntil(c.nextRetryAt) })) : '';
    const zones = Array.isArray(c.zones) ? c.zones : [];
    const watched = zones.filter((/** @type {any} */ z) => z.kind === 'include').map((/** @type {any} */ z) => z.name);
    const ignored = zones.filter((/** @type {any} */ z) => z.kind === 'exclude').map((/** @type {any} */ z) => z.name);
    const zoneText = [
      watched.length ? t({ one: '{count} zone watched: {names}', other: '{count} zones watched: {names}' }, { count: watched.length, names: watched.join(', ') }) : t('the whole picture'),
      ignored.length ? t({ one: '{count} zone ignored: {names}', other: '{count} zones ignored: {names}' }, { count: ignored.length, names: ignored.join(', ') }) : '',
    ]
      .filter(Boolean)
      .join('; ');
    const motion = c.lastEventAt
      ? t({ one: '{when} ({count} event)', other: '{when} ({count} events)' }, { when: relativeTime(c.lastEventAt), count: c.events })
      : t('none yet');
    return h(
      'tr',
      { dataset: { camera: c.id, state: c.state } },
      h('th', { scope: 'row', class: 'cctv-name' }, c.name),
      cell(1, c.source, { class: 'cctv-source mono' }),
      cell(2, state, { class: 'cctv-state-cell', dataset: { problem: c.problem?.code ?? '' } }),
      cell(3, [c.lastFrameAt ? relativeTime(c.lastFrameAt) : t('none yet'), retry]),
      cell(4, motion),
      cell(5, zoneText),
      cell(6, c.upload ? t('sent to the hub') : t('kept on the device'), { dataset: { upload: String(c.upload === true) } }),
    );
  }

  /** @param {any} s the module's status when it works here */
  function workingSummary(s) {
    const live = s.cameras.filter((/** @type {any} */ c) => c.state === 'live').length;
    const cameras = t({ one: '{live} of {count} camera live.', other: '{live} of {count} cameras live.' }, { live, count: s.cameras.length });
    return `${cameras} ${t({ one: '{count} file kept on this device.', other: '{count} files kept on this device.' }, { count: s.mediaFiles })}`;
  }

  /** @param {any} ev */
  function eventItem(ev) {
    const thumb = typeof ev.thumbnail === 'string' && ev.thumbnail.startsWith('data:image/jpeg;base64,') ? h('img', { src: ev.thumbnail, alt: t('Motion at {camera}', { camera: ev.cameraName }), width: '160', style: 'display: block' }) : null;
    // "frame": the camera has no include zone, so the whole picture is watched; no zone to name.
    const where = ev.zone === 'frame' ? t('motion') : t('motion in {zone}', { zone: ev.zone });
    const area = t('{area} of the picture', { area: formatNumber(ev.area, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }) });
    return h('li', { dataset: { camera: ev.camera } }, thumb ?? '', h('strong', {}, ev.cameraName), ` ${where} · ${relativeTime(ev.time)} · ${area}`, ev.uploaded ? '' : ` · ${t('picture kept on the device')}`);
  }

  /** @param {Event} e */
  const onEvent = (e) => {
    const ev = /** @type {CustomEvent} */ (e).detail;
    if (!EVENTS.has(ev.type)) return;
    void load().catch(() => {});
  };
  stream.addEventListener('event', onEvent);
  const refresh = setInterval(() => void load().catch(() => {}), REFRESH_MS);
  void load().catch((err) => ctx.notify(t('Could not load cctv: {error}', { error: err.message }), 'error'));
  return {
    destroy() {
      clearInterval(refresh);
      stream.removeEventListener('event', onEvent);
    },
  };
}
