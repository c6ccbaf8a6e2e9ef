// birlikteyiz's screen inside the admin UI (mounted by the modules view): the quake feeds and
// whether they can be reached, the latest quakes, and the check-in round: who is safe, who needs
// help, who has not answered, as a list and on a map with the epicentre and the radius; assembly
// points. Live from the module's events on the hub's event stream. Text from feeds and the mesh
// goes in as text, never as HTML. Its words are in the operator's language (the hub's choice):
// English keys, Turkish in ./locales/tr.js; numbers, times and places through the hub's format.js.

import { addBaseMap } from '/js/base-map-layer.js';
import { h, overlaps, replace } from '/js/dom.js';
import { coordinates, dateTime, distance, relativeTime, timeOfDay } from '/js/format.js';
import { createGraticuleLayer } from '/js/graticule-layer.js';
import { formatNumber, lang, translator } from '/js/i18n.js';
import { addPlaceLabels } from '/js/place-labels-layer.js';
import { TR } from './locales/tr.js';

const t = translator({ tr: TR });

const EVENTS = new Set(['module.birlikteyiz.quake', 'module.birlikteyiz.feed_status', 'module.birlikteyiz.round_opened', 'module.birlikteyiz.round_updated', 'module.birlikteyiz.round_closed', 'module.birlikteyiz.assembly_point']);
/** @type {Record<string, () => string>} */
const STATUS_LABEL = { safe: () => t('Safe'), needs_help: () => t('Needs help'), waiting: () => t('No answer yet'), automatic: () => t('Node answered automatically (no person confirmed)'), resolved: () => t('SOS resolved by the hub') };
/** @param {string} status */
const statusLabel = (status) => STATUS_LABEL[status]?.() ?? status;
/** @type {Record<string, string>} */
// automatic: amber, neither the safe green nor the silent grey (a node on the air, nobody confirmed).
// resolved: blue, an SOS an admin dealt with (neither the red of a call still open nor the green of a person's "I am safe").
const STATUS_COLOR = { safe: '#1a7f37', needs_help: '#cf222e', waiting: '#57606a', automatic: '#9a6700', resolved: '#0969da' };
/** The order nodes are listed in: needing help, then the silent, then those only their node answered for, then the SOS resolved, then the safe. */
const STATUS_ORDER = { needs_help: 0, waiting: 1, automatic: 2, resolved: 3, safe: 4 };
/**
 * A round's counts in words: safe, need help, answered automatically (only when some did: a person
 * reading "safe" must be able to trust it), no answer. Rounds kept from before have no `automatic`.
 * @param {any} c
 * @param {boolean} withHelp
 */
const countsLine = (c, withHelp) =>
  [
    t({ one: '{count} safe', other: '{count} safe' }, { count: c.safe }),
    withHelp && t({ one: '{count} needs help', other: '{count} need help' }, { count: c.needsHelp }),
    c.automatic > 0 && t({ one: '{count} node answered automatically (no person confirmed)', other: '{count} nodes answered automatically (no person confirmed)' }, { count: c.automatic }),
    c.resolved > 0 && t({ one: '{count} SOS resolved by the hub', other: '{count} SOS resolved by the hub' }, { count: c.resolved }),
    t({ one: '{count} no answer', other: '{count} no answer' }, { count: c.waiting }),
  ]
    .filter(Boolean)
    .join(' · ');
/**
 * The panel's own styles. The check-in table on a phone: the distance under the node's name, its
 * own column hidden, so the table fits 360 px (four columns made "Answered" scroll out of the
 * frame); wider, a column of its own. Names an admin typed (a person's, up to 80 letters; an
 * assembly point's; a round's title) break anywhere when they have no spaces: one made a 360 px
 * phone's page 830 px wide.
 */
const PANEL_CSS = `
.checkin-people li, .assembly-points li, .round-head, .open-rounds { overflow-wrap: anywhere; }
.checkin-table .checkin-distance { display: none; font-size: 0.85em; opacity: 0.8; }
@media (max-width: 520px) {
  .checkin-table .checkin-col-distance { display: none; }
  .checkin-table .checkin-distance { display: block; }
}`;
/** The most people an assembly point is said to hold (the hub's schema for POST /assembly-points). */
const MAX_CAPACITY = 1_000_000;

/**
 * A form's own checks, said in the reader's language before anything is sent: each field's rule is
 * its validity message (the browser's bubble shows it, not the browser's own wording in its own
 * language), and the first field that breaks its rule is written under the form, as is the hub's
 * refusal (`say`): on a phone a toast would cover the fields. `recheck` after setting a value.
 * @param {HTMLFormElement} form
 * @param {Array<[HTMLInputElement, (value: string) => string]>} checks each field, and what is wrong with a value ('' when nothing)
 */
function checkedForm(form, checks) {
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true, style: 'flex: 1 1 100%; margin: 0' });
  form.append(error);
  /** @param {string} text */
  const say = (text) => {
    error.textContent = text;
    error.hidden = !text;
    if (text) error.scrollIntoView({ block: 'nearest' });
  };
  const recheck = () => {
    for (const [input, check] of checks) input.setCustomValidity(check(input.value));
  };
  recheck();
  // Typing clears what was said: the field is being put right.
  form.addEventListener('input', () => {
    recheck();
    say('');
  });
  // A submit the browser stopped: the first wrong field's rule (invalid does not bubble: caught on the way down).
  form.addEventListener('invalid', () => say(checks.find(([input]) => !input.validity.valid)?.[0].validationMessage ?? ''), true);
  return { say, recheck };
}

/**
 * Why the hub refused a form, in the reader's language, by its code: a field its schema refused
 * ("body/latitude must be <= 90", "body must have required property 'name'") or the module found
 * empty ("a person's name is more than spaces") is said as that field's rule; a list at its most
 * (E_CONFLICT) by `full`. Any other reason the hub gave is quoted after a sentence that says so.
 * @param {unknown} err an ApiError (its code and message) or any error
 * @param {{ fields: Record<string, () => string>, full: () => string }} words
 */
function refusal(err, words) {
  const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : '';
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'E_BAD_REQUEST') {
    const field = /^body\/(\w+)/.exec(message)?.[1] ?? /required property '(\w+)'/.exec(message)?.[1] ?? (/\bperson\b/.test(message) ? 'person' : '');
    const rule = Object.hasOwn(words.fields, field) ? words.fields[field] : null;
    if (rule) return rule();
  }
  if (code === 'E_CONFLICT') return words.full();
  if (code === 'E_NOT_FOUND') return t('This check-in round is no longer there: reload the page.');
  if (code === 'E_FORBIDDEN') return t('Your role may not do this.');
  if (code === 'E_MODULE_UNLOADED') return t('birlikteyiz is not running on the hub now: nothing was saved.');
  // Already in the reader's language (the hub could not be reached).
  if (code === 'E_NETWORK') return message;
  return t('The hub refused it: {reason}', { reason: message });
}

/** The epicentre's ring and the check-in area's dashed circle. */
const EPICENTRE_COLOR = '#cf222e';
/**
 * Up to this many nodes, each one's name stays written beside it on the check-in map (a phone has
 * no hover); more would cover the map, and a tap on a marker names it instead.
 */
const MAX_NAMED_NODES = 12;
/** Where a node's name may go, tried in turn until one is clear of the other names and marks and inside the map. */
const NAME_SPOTS = [
  { direction: 'right', offset: [8, 0] },
  { direction: 'left', offset: [-8, 0] },
  { direction: 'top', offset: [0, -8] },
  { direction: 'bottom', offset: [0, 8] },
  { direction: 'right', offset: [8, -14] },
  { direction: 'right', offset: [8, 14] },
  { direction: 'left', offset: [-8, -14] },
  { direction: 'left', offset: [-8, 14] },
];
/** @type {Record<string, () => string>} */
const FEED_LABEL = { waiting: () => t('waiting for the first poll'), ok: () => t('working'), unreachable: () => t('unreachable'), error: () => t('error') };
/** @type {Record<string, () => string>} */
const VERDICT_LABEL = { alert: () => t('alerted the nodes'), too_small: () => t('below the alert magnitude'), too_old: () => t('too old to alert'), outside_region: () => t('outside the region'), no_region: () => t('not alerted: no region is set') };

/** "M5.6" ("M5,6" in Turkish), "M?" when the feed gave no magnitude. @param {number | null} m */
const magnitude = (m) => (m === null ? 'M?' : `M${formatNumber(m, { minimumFractionDigits: 1, maximumFractionDigits: 1 })}`);

/** A quake's or an epicentre's place in the viewer's language where the hub gave it in theirs (USGS writes English), else as the feed wrote it. @param {any} e */
const placeOf = (e) => e.places?.[lang] ?? e.place;

/**
 * A round's title in the viewer's language: a quake's round is titled from its quake's figures
 * ("M5.6 12 km NW of Elbistan, Turkey", "M5,6 deprem: Elbistan, Türkiye (12 km KB)"), whatever
 * language the module wrote its stored title in; a round opened by hand keeps its operator's title.
 * @param {any} round
 */
export function roundTitle(round) {
  const e = round.epicentre;
  if (round.quakeId === null || round.quakeId === undefined || !e) return round.title;
  return e.magnitude === null ? t('Quake {place}', { place: placeOf(e) }) : t('{magnitude} {place}', { magnitude: magnitude(e.magnitude), place: placeOf(e) });
}

/**
 * On every screen of the hub, from the moment it is open (not only once this module's screen was):
 * a quake that alerted the org's nodes raises the banner, which leads to the check-in round; so
 * does each person an admin checked in as needing help in an open round (a node that needs help
 * sent an SOS, which has its own banner), until they are checked in as safe or the round closes.
 * @param {{ api: any, base: string, stream: EventTarget, notify: (message: string, kind?: 'alert', key?: string, link?: { href: string, label: string }) => void, dismiss?: (key: string) => void }} ctx
 */
export function notices(ctx) {
  const link = () => ({ href: '#/modules/birlikteyiz/round', label: t('Open the check-in round') });
  /** The banner raised for each open round's people needing help (one a round), with its text: raised again only when that changes. @type {Map<string, string>} */
  const helpShown = new Map();
  /** Rounds an event told of: newer than the list asked for at the start, which then leaves them be. @type {Set<string>} */
  const heard = new Set();
  /** @param {any} round */
  const showHelp = (round) => {
    const key = `help:${round.id}`;
    const help = round.closedAt === null ? round.people.filter((/** @type {any} */ p) => p.status === 'needs_help') : [];
    const text = help.length === 0 ? null : help.length === 1 ? helpText(help[0], round) : t('{count} people need help: {names} (check-in round {round})', { count: help.length, names: help.map((/** @type {any} */ p) => p.name).join(', '), round: roundTitle(round) });
    if (text === null) {
      if (helpShown.delete(key)) ctx.dismiss?.(key);
    } else if (helpShown.get(key) !== text) {
      helpShown.set(key, text);
      ctx.notify(text, 'alert', key, link());
    }
  };
  /**
   * The quake banners raised on this page, by quake id: the figure the banner first gave (or the
   * one the mesh was told, for a quake alerted again), the one it gives now, its place and nodes.
   * A revision (a feed's reviewed figure, up or down) changes the banner's figure and says so.
   * @type {Map<string, { first: number | null, magnitude: number | null, quake: any, count: number }>}
   */
  const quakeShown = new Map();
  /** Banners remembered at most (the oldest forgotten first): a page left open through a long aftershock sequence stays small. */
  const QUAKES_KEPT = 200;
  /** @param {string} id */
  const showQuake = (id) => {
    const b = quakeShown.get(id);
    if (!b) return;
    const { quake, count } = b;
    const revised = b.first !== null && b.magnitude !== null && Math.abs(b.magnitude - b.first) >= 0.05;
    const text =
      b.magnitude === null
        ? t({ one: 'Earthquake: {place}. {count} node in range.', other: 'Earthquake: {place}. {count} nodes in range.' }, { place: placeOf(quake), count })
        : revised
          ? t({ one: 'Earthquake {magnitude} (revised from {from}): {place}. {count} node in range.', other: 'Earthquake {magnitude} (revised from {from}): {place}. {count} nodes in range.' }, { magnitude: magnitude(b.magnitude), from: magnitude(b.first), place: placeOf(quake), count })
          : t({ one: 'Earthquake {magnitude}: {place}. {count} node in range.', other: 'Earthquake {magnitude}: {place}. {count} nodes in range.' }, { magnitude: magnitude(b.magnitude), place: placeOf(quake), count });
    ctx.notify(text, 'alert', `quake:${id}`, link());
  };
  /** A round's quakes as it has them now: a banner raised for one of them takes its current figure. @param {any} round */
  const reviseQuakes = (round) => {
    for (const q of round.quakes ?? []) {
      const b = quakeShown.get(q.id);
      if (!b || q.magnitude === b.magnitude) continue;
      b.magnitude = q.magnitude;
      showQuake(q.id);
    }
  };
  let stopped = false;
  // Those already waiting for help when the page opens.
  ctx.api
    .get(`${ctx.base}/rounds`)
    .then((/** @type {{ rounds: any[] }} */ res) => {
      if (!stopped) for (const round of res.rounds) if (!heard.has(round.id)) showHelp(round);
    })
    .catch(() => undefined);
  /** @param {Event} e */
  const onEvent = (e) => {
    const ev = /** @type {CustomEvent} */ (e).detail;
    if (ev?.type === 'module.birlikteyiz.round_updated' || ev?.type === 'module.birlikteyiz.round_closed') {
      heard.add(ev.data.round.id);
      reviseQuakes(ev.data.round);
      return showHelp(ev.data.round);
    }
    if (ev?.type === 'module.birlikteyiz.round_opened') return reviseQuakes(ev.data.round);
    if (ev?.type !== 'module.birlikteyiz.quake') return;
    const { quake } = ev.data;
    // Alerted again after a revision (`revisedFrom`: what the mesh was told), or again on this page: said as revised from the first figure.
    const first = typeof ev.data.revisedFrom === 'number' ? ev.data.revisedFrom : (quakeShown.get(quake.id)?.first ?? quake.magnitude);
    quakeShown.set(quake.id, { first, magnitude: quake.magnitude, quake, count: ev.data.nodesInRange.length });
    if (quakeShown.size > QUAKES_KEPT) quakeShown.delete(quakeShown.keys().next().value);
    showQuake(quake.id);
  };
  ctx.stream.addEventListener('event', onEvent);
  return {
    destroy: () => {
      stopped = true;
      ctx.stream.removeEventListener('event', onEvent);
    },
  };
}

/**
 * One person needing help, as the banner says it.
 * @param {{ name: string, note: string | null }} p
 * @param {any} round
 */
function helpText(p, round) {
  return p.note
    ? t('{name} needs help: {note} (check-in round {round})', { name: p.name, note: p.note, round: roundTitle(round) })
    : t('{name} needs help (check-in round {round})', { name: p.name, round: roundTitle(round) });
}

/** @param {any} r */
const isOpen = (r) => r.closedAt === null && r.closesAt > Date.now();

/**
 * The open rounds, those with the most people needing help first, then the newest.
 * @param {any[]} rounds
 */
function openOnes(rounds) {
  return rounds.filter(isOpen).sort((a, b) => b.counts.needsHelp - a.counts.needsHelp || b.openedAt - a.openedAt);
}

/**
 * The round the screen shows when none is (or the one shown closed) and the admin chose none: the
 * open round with the most people needing help, else the newest open one, else the newest.
 * @param {any[]} rounds
 */
function chooseRound(rounds) {
  return openOnes(rounds)[0] ?? rounds[0] ?? null;
}

/**
 * Who needs help in a round: its nodes and the people checked in as needing help, by name.
 * @param {any} r
 */
function needingHelp(r) {
  const nodes = r.nodes.filter((/** @type {any} */ n) => n.status === 'needs_help').map((/** @type {any} */ n) => n.name ?? n.id);
  const people = r.people.filter((/** @type {any} */ p) => p.status === 'needs_help').map((/** @type {any} */ p) => p.name);
  return [...people, ...nodes.filter((n) => !people.includes(n))];
}

/**
 * @param {HTMLElement} root
 * @param {{ api: any, stream: EventTarget, config: { mapTileUrl: string | null }, can: (p: string) => boolean, notify: (m: string, k?: string) => void, base: string }} ctx
 */
export function mount(root, ctx) {
  const { api, stream, base } = ctx;
  const feeds = h('ul', { class: 'feeds', 'aria-label': t('Quake feeds') });
  const quakes = h('ul', { class: 'quakes', 'aria-label': t('Recent quakes') });
  // Why no quake alerts anyone (a settings problem), while there is one: rounds by hand, SOS and assembly points still work.
  const alertsOff = h('p', { class: 'module-error quake-alerts-off', role: 'note', hidden: true });
  // Where a link to the round (#/modules/birlikteyiz/round, from the map) lands; clear of the hub's sticky top bar.
  const roundHeading = h('h3', {}, t('Check-in round'));
  // Every open round, those with someone needing help first: a newer round (another quake) never
  // hides who still needs help in an older one. A tap shows that round below. At the top of the
  // round's head (the round's own title stays its first <strong>).
  const openRounds = h('ul', { class: 'open-rounds', 'aria-label': t('Open check-in rounds'), style: 'list-style: none; padding: 0; margin: 0 0 0.75rem; display: grid; gap: 0.4rem', hidden: true });
  const roundHead = h('div', { class: 'round-head' });
  const roundBody = h('tbody');
  const columns = [t('Node'), t('Distance'), t('Status'), t('Answered')];
  // On a phone the distance goes under the node's name instead of a column of its own (PANEL_CSS).
  const roundTable = h('table', { class: 'data-table checkin-table', 'aria-label': t('Check-in round') }, h('thead', {}, h('tr', {}, columns.map((c, i) => h('th', { scope: 'col', class: i === 1 ? 'checkin-col-distance' : null }, c)))), roundBody);
  // Until a round exists there is nothing to list, map or check people into: the empty state says
  // so instead of an empty table and a map of the whole world (renderRound shows them with a round).
  const roundWrap = h('div', { class: 'table-wrap', hidden: true }, roundTable);
  const people = h('ul', { class: 'people checkin-people', 'aria-label': t('People checked in') });
  const mapEl = h('div', { class: 'map', style: 'height: 360px', role: 'region', 'aria-label': t('Check-in map'), hidden: true });
  // Shown while the round has aftershocks (a smaller ring each).
  const aftershockLegend = h('li', { dataset: { mark: 'aftershock' }, hidden: true }, h('span', { class: 'legend-dot', style: `width: 0.6rem; height: 0.6rem; border: 2px solid ${EPICENTRE_COLOR}; background: rgba(207, 34, 46, 0.1)`, 'aria-hidden': 'true' }), t('Aftershock'));
  // What the map's colours and shapes mean, in the marker's own colours (and words: colour is never the only signal).
  const legend = h(
    'ul',
    { class: 'legend checkin-legend', style: 'margin-top: 0.5rem', 'aria-label': t('Check-in map legend'), hidden: true },
    ['safe', 'needs_help', 'waiting', 'automatic', 'resolved'].map((status) => h('li', { dataset: { status }, hidden: status === 'automatic' || status === 'resolved' }, h('span', { class: 'legend-dot', style: `background: ${STATUS_COLOR[status]}; border: 2px solid ${STATUS_COLOR[status]}`, 'aria-hidden': 'true' }), statusLabel(status))),
    h('li', { dataset: { mark: 'epicentre' } }, h('span', { class: 'legend-dot', style: `border: 3px solid ${EPICENTRE_COLOR}; background: rgba(207, 34, 46, 0.2)`, 'aria-hidden': 'true' }), t('Epicentre')),
    aftershockLegend,
    h('li', { dataset: { mark: 'radius' } }, h('span', { class: 'legend-dot', style: `width: 1.1rem; height: 1.1rem; border: 1px dashed ${EPICENTRE_COLOR}; background: transparent`, 'aria-hidden': 'true' }), t('Check-in area: nodes inside it are asked')),
  );
  const points = h('ul', { class: 'assembly-points', 'aria-label': t('Assembly points') });
  const quakesEmpty = h('p', { class: 'empty quakes-empty', hidden: true }, t('No quakes reported yet.'));
  const pointsEmpty = h('p', { class: 'empty assembly-points-empty', hidden: true }, t('No assembly points yet.'));
  const pointForm = assemblyForm();
  const personForm = checkInForm();
  personForm.hidden = true;
  replace(
    root,
    h('style', {}, PANEL_CSS),
    h('h2', {}, t('Birlikteyiz: earthquakes and check-ins')),
    alertsOff,
    h('h3', {}, t('Feeds')),
    feeds,
    h('h3', {}, t('Quakes')),
    quakesEmpty,
    quakes,
    roundHeading,
    roundHead,
    roundWrap,
    people,
    ctx.can('alerts') && personForm,
    mapEl,
    legend,
    h('h3', {}, t('Assembly points')),
    pointsEmpty,
    points,
    ctx.can('send') && pointForm,
  );

  /** @type {any} */
  let round = null;
  /** The rounds as the hub listed them (newest first), kept up to date from the event stream. @type {any[]} */
  let allRounds = [];
  /** The round the admin tapped in the list of open rounds (else the one chooseRound picks). @type {string | null} */
  let picked = null;
  /** @type {any} */
  let map = null;
  /** @type {any} */
  let layer = null;
  /** The round's nodes on the check-in map, each with its marker (placeNames writes their names). @type {Array<{ marker: any, node: any }>} */
  let nodeMarkers = [];
  /** @type {ResizeObserver | null} */
  let resized = null;
  /** Town names, placed again around the nodes' names once those are written. @type {{ refresh(): void, remove(): void } | null} */
  let places = null;
  /** @type {{ remove(): void } | null} */
  let baseMap = null;

  const load = async () => {
    const [f, q, r, p, s] = await Promise.all([api.get(`${base}/feeds`), api.get(`${base}/quakes`), api.get(`${base}/rounds`), api.get(`${base}/assembly-points`), api.get(`${base}/status`)]);
    alertsOff.hidden = s.quakeAlerts !== false;
    alertsOff.textContent = s.problem?.code === 'region_none' ? t('Quake alerts are off: no region is set (setting "Region"). A circle needs its centre and a polygon at least 3 corners; a region saved before that was checked was set to none. Check-in rounds, SOS and assembly points still work.') : s.quakeAlerts === false ? t('Quake alerts are off.') : '';
    replace(feeds, f.feeds.map(feedItem));
    allRounds = r.rounds;
    const shownQuakes = q.quakes.slice(0, 8);
    // An empty list says so beside the list, not as an item of it (a stray bullet).
    replace(quakes, shownQuakes.map(quakeItem));
    quakes.hidden = shownQuakes.length === 0;
    quakesEmpty.hidden = shownQuakes.length > 0;
    showRounds();
    replace(points, p.assemblyPoints.map(pointItem));
    points.hidden = p.assemblyPoints.length === 0;
    pointsEmpty.hidden = p.assemblyPoints.length > 0;
  };

  /** The round shown and the list of open rounds, from allRounds. */
  function showRounds() {
    // The round on screen stays while it is open (the view does not jump under the admin's eyes);
    // the list above names who needs help in every other open round.
    const shown = round && allRounds.find((r) => r.id === round.id);
    round = allRounds.find((r) => r.id === picked) ?? (shown && isOpen(shown) ? shown : chooseRound(allRounds));
    renderOpenRounds();
    renderRound();
  }

  /** The open rounds as buttons, each saying who needs help in it; shown while more than the round below are open. */
  function renderOpenRounds() {
    const list = openOnes(allRounds);
    openRounds.hidden = list.length === 0 || (list.length === 1 && list[0].id === round?.id);
    replace(
      openRounds,
      list.map((r) => {
        const names = needingHelp(r);
        const current = r.id === round?.id;
        const counts = countsLine(r.counts, false);
        return h(
          'li',
          { dataset: { round: r.id, needsHelp: String(r.counts.needsHelp) } },
          h(
            'button',
            { type: 'button', class: 'open-round', 'aria-current': current ? 'true' : null, style: `display: block; width: 100%; text-align: left; padding: 0.45rem 0.7rem; background: ${names.length ? '#fde7e5' : '#fff'}; color: inherit; border: ${current ? '3px' : '1px'} solid ${names.length ? EPICENTRE_COLOR : '#c3ccd5'}; border-radius: 6px; font-weight: 400; min-height: 2.75rem`, onclick: () => ((picked = r.id), showRounds()) },
            h('span', { class: 'open-round-title', style: 'font-weight: 700' }, roundTitle(r)),
            ' · ',
            t('open until {time}', { time: timeOfDay(r.closesAt) }),
            h('span', { style: 'display: block' }, names.length ? [h('span', { class: 'open-round-help', style: `color: ${EPICENTRE_COLOR}; font-weight: 700` }, t({ one: '{count} needs help: {names}', other: '{count} need help: {names}' }, { count: r.counts.needsHelp, names: names.join(', ') })), ' · '] : '', counts),
          ),
        );
      }),
    );
  }

  /** A feed, its state (and the feed's own error, as it came, but for a bad URL), and when it last answered. @param {any} s */
  function feedItem(s) {
    const state = FEED_LABEL[s.state]?.() ?? s.state;
    const lastOk = s.lastOkAt ? t('last answered {when}', { when: relativeTime(s.lastOkAt) }) : null;
    // A URL that is no web address is the admin's to fix: said in the viewer's language, not as the poller wrote it.
    const error = s.errorCode === 'E_FEED_URL' ? t('the feed URL is not a web address (http:// or https://): correct it in the module settings') : s.lastError;
    // Reports older than a day are not taken; all of them older is a hub clock far ahead, which silences every alert.
    const older = !(s.older > 0)
      ? null
      : s.allOlder
        ? t({ one: 'the {count} report listed is older than a day, not taken: the hub clock may be wrong', other: 'all {count} reports are older than a day, not taken: the hub clock may be wrong' }, { count: s.older })
        : t({ one: '{count} report older than a day, not taken', other: '{count} reports older than a day, not taken' }, { count: s.older });
    return h('li', { dataset: { source: s.source, state: s.state } }, h('strong', {}, s.source.toUpperCase()), ' ', state, error ? ` (${error})` : '', lastOk ? ` · ${lastOk}` : '', older ? h('span', { class: s.allOlder ? 'feed-older feed-clock' : 'feed-older' }, ` · ${older}`) : '');
  }

  /** @param {any} q */
  function quakeItem(q) {
    const after = q.aftershockIn?.[0];
    // An alert whose quake a round says was revised below the alert magnitude: "alerted" alone would read as a quake that qualified.
    const revised = q.verdict === 'alert' && allRounds.some((r) => r.revisedBelow && r.quakes?.some((/** @type {any} */ x) => x.id === q.id));
    // roundId null: check-in rounds are off, the aftershock rule still chose whether it went out.
    const verdict = after
      ? after.roundId === null
        ? after.sentToMesh
          ? t('aftershock: alerted the nodes')
          : t('aftershock: not sent to the nodes')
        : after.sentToMesh
          ? t('aftershock: alerted the nodes, in the open check-in round')
          : t('aftershock: in the open check-in round, not sent to the nodes')
      : revised
        ? t('alerted the nodes, then revised below the alert magnitude')
        : (VERDICT_LABEL[q.verdict]?.() ?? q.verdict);
    // Who said what: the quake is judged on the highest figure, so show each source's own.
    const sources = q.sources.map((/** @type {any} */ s) => `${s.source.toUpperCase()}${s.magnitude === null ? '' : ` ${magnitude(s.magnitude)}${s.magnitudeType ? ` (${s.magnitudeType})` : ''}`}`).join(', ');
    return h('li', { class: `quake quake--${q.verdict}` }, h('strong', {}, magnitude(q.magnitude)), ` ${placeOf(q)} · ${dateTime(q.timeMs)} · ${sources} · ${verdict}`);
  }

  /** @param {any} a */
  function pointItem(a) {
    const room = a.capacity ? t({ one: 'room for {count} person', other: 'room for {count} people' }, { count: a.capacity }) : null;
    const sent = t({ one: 'sent to {count} node', other: 'sent to {count} nodes' }, { count: a.sentTo.length });
    return h('li', {}, h('strong', {}, a.name), ` ${coordinates(a.latitude, a.longitude)}`, room ? ` · ${room}` : '', ` · ${sent}`);
  }

  function renderRound() {
    if (!round) {
      replace(roundHead, h('p', { class: 'empty' }, t('No check-in round yet. One opens after a quake alert near the fleet.')));
      replace(roundBody);
      replace(people);
      drawMap();
      return;
    }
    const c = round.counts;
    replace(
      roundHead,
      openRounds,
      h('p', {}, h('strong', { class: 'round-title' }, roundTitle(round)), ' · ', round.closedAt ? t('closed') : t('open until {time}', { time: timeOfDay(round.closesAt) })),
      // Which answers the round counted (rounds kept from before say nothing).
      typeof round.answersSince === 'number' &&
        h('p', { class: 'round-since' }, round.quakeId ? t('Answers count from {time}, when the quake struck, however late a gateway delivers them', { time: timeOfDay(round.answersSince) }) : t('Answers count from {time}, however late a gateway delivers them', { time: timeOfDay(round.answersSince) })),
      h('p', { class: 'round-summary', role: 'status', 'aria-label': t('Check-in summary') }, countsLine(c, true)),
      aftershocksLine(round),
      round.revisedBelow &&
        h(
          'p',
          { class: 'module-error round-revised' },
          round.closedAt
            ? t('The quake was revised to {magnitude}, below the alert magnitude {threshold}. Closed: nobody in this round needs help.', { magnitude: magnitude(round.revisedBelow.magnitude), threshold: magnitude(round.revisedBelow.minMagnitude) })
            : t('The quake was revised to {magnitude}, below the alert magnitude {threshold}. Open while someone in this round needs help.', { magnitude: magnitude(round.revisedBelow.magnitude), threshold: magnitude(round.revisedBelow.minMagnitude) }),
        ),
      round.closedReason === 'merged_into_round' && mergedNote(round),
      round.meshError && h('p', { class: 'module-error' }, t('Not sent into the mesh: {error}', { error: round.meshError })),
      round.notAsked === 'mesh_alerts_off' && h('p', { class: 'module-error round-not-asked' }, t('Nobody was asked: quake alerts into the mesh are off (setting "Send quake alerts into the mesh"). A node answers only if someone presses "I am safe" or SOS; check people in by name.')),
    );
    const order = STATUS_ORDER;
    const nodes = [...round.nodes].sort((a, b) => order[/** @type {'safe'} */ (a.status)] - order[/** @type {'safe'} */ (b.status)] || (a.distanceKm ?? 0) - (b.distanceKm ?? 0));
    replace(
      roundBody,
      nodes.map((n) =>
        h(
          'tr',
          { dataset: { node: n.id, status: n.status } },
          h('td', {}, n.name ?? n.id, h('span', { class: 'checkin-distance' }, n.distanceKm === null ? '?' : distance(n.distanceKm * 1000))),
          h('td', { class: 'checkin-col-distance' }, n.distanceKm === null ? '?' : distance(n.distanceKm * 1000)),
          h('td', {}, statusCell(n)),
          h('td', {}, n.answeredAt ? relativeTime(n.answeredAt) : '', datedNote(n)),
        ),
      ),
    );
    replace(people, round.people.map((/** @type {any} */ p) => h('li', {}, h('strong', {}, p.name), `: ${statusLabel(p.status)}`, p.note ? ` (${p.note})` : '')));
    drawMap();
  }

  /**
   * A node's status in its row. An automatic answer says in two short lines what it is and what it
   * is not ("Automatic answer", "no person confirmed"): the long words of one phrase would widen
   * the column past a phone's width.
   * @param {any} n
   */
  function statusCell(n) {
    const style = `color: ${STATUS_COLOR[n.status]}; font-weight: 600`;
    if (n.status === 'automatic') {
      return h('span', { class: 'checkin checkin--automatic', style, title: statusLabel('automatic') }, t('Automatic answer'), h('span', { class: 'checkin-note', style: 'display: block; font-weight: 400; font-size: 0.85em' }, t('no person confirmed')));
    }
    const label = n.status === 'waiting' && round.notAsked ? t('Not asked') : statusLabel(n.status);
    // Still needs help, for a call made before the quake: a team must know it is not an answer to the round.
    if (n.status === 'needs_help' && typeof n.sosBeforeRound === 'number') {
      const vars = { time: timeOfDay(n.sosBeforeRound) };
      return h('span', { class: 'checkin checkin--needs_help', style }, label, h('span', { class: 'checkin-sos-before', style: 'display: block; font-weight: 400; font-size: 0.85em' }, round.quakeId ? t('SOS since {time}, before the quake', vars) : t('SOS since {time}, before the round', vars)));
    }
    if (n.status === 'waiting' && n.earlier) return h('span', { class: 'checkin checkin--waiting', style }, label, h('span', { class: 'checkin-earlier', style: 'display: block; font-weight: 400; font-size: 0.85em' }, earlierAnswer(n.earlier)));
    return h('span', { class: `checkin checkin--${n.status}`, style }, label);
  }

  /**
   * A node's "I am safe" (or its automatic answer) from before an aftershock that asked again: no
   * longer its answer, still worth knowing. The aftershock's magnitude as the round has it now (a
   * feed may have revised it since). Rounds kept from before name no status: a safe.
   * @param {{ status?: 'safe' | 'automatic', at: number, quake: { id: string, magnitude: number | null } }} e
   */
  function earlierAnswer(e) {
    const quake = (round.quakes ?? []).find((/** @type {any} */ q) => q.id === e.quake.id) ?? e.quake;
    const vars = { time: timeOfDay(e.at), magnitude: magnitude(quake.magnitude) };
    return e.status === 'automatic' ? t('automatic answer at {time} (no person confirmed), before the {magnitude} aftershock', vars) : t('safe at {time}, before the {magnitude} aftershock', vars);
  }

  /**
   * A round another round of the same quakes took in (its quake revised back over the alert
   * magnitude): its answers and people are there, named when the list has it.
   * @param {any} r
   */
  function mergedNote(r) {
    const into = allRounds.find((/** @type {any} */ x) => x.id === r.mergedInto);
    return h(
      'p',
      { class: 'round-merged' },
      into ? t('Closed: merged into the check-in round {title} (the same quakes). Its answers and the people checked in are there.', { title: roundTitle(into) }) : t('Closed: merged into another check-in round of the same quakes. Its answers and the people checked in are there.'),
    );
  }

  /**
   * The aftershocks that joined the round, each with its magnitude and time, and whether it went to the nodes.
   * @param {any} r
   */
  function aftershocksLine(r) {
    const after = (r.quakes ?? []).slice(1);
    if (!after.length) return null;
    const items = after.map((/** @type {any} */ q) => (q.sentMagnitude !== null ? t('{magnitude} at {time} (sent to the nodes)', { magnitude: magnitude(q.magnitude), time: timeOfDay(q.timeMs) }) : t('{magnitude} at {time}', { magnitude: magnitude(q.magnitude), time: timeOfDay(q.timeMs) })));
    return h('p', { class: 'round-aftershocks' }, t({ one: '{count} aftershock in this round: {list}', other: '{count} aftershocks in this round: {list}' }, { count: after.length, list: items.join(', ') }));
  }

  /**
   * An answer whose gateway time the round did not go by (counted when the hub heard it): says so.
   * @param {any} n
   */
  function datedNote(n) {
    if (typeof n.datedAt !== 'number' || !n.answeredAt) return '';
    const note = n.datedAt < n.answeredAt ? t('the gateway dated it {time}, before the round: its clock is behind, or it was pressed earlier', { time: dateTime(n.datedAt) }) : t('the gateway dated it {time}: its clock is ahead', { time: dateTime(n.datedAt) });
    return h('div', { class: 'dated-note', style: 'font-size: 0.85em; opacity: 0.8' }, note);
  }

  function drawMap() {
    for (const el of [roundWrap, personForm, mapEl, legend]) el.hidden = !round;
    const L = /** @type {any} */ (window).L;
    if (!L || !round) return;
    if (!map) {
      map = L.map(mapEl, { minZoom: 2, maxZoom: 18, attributionControl: true });
      // Land, borders and town names as on the hub's map: a plain grid on blue read as open sea.
      map.attributionControl.setPrefix(false);
      map.attributionControl.addAttribution(t('Natural Earth'));
      map.attributionControl.addAttribution(t('Place names: GeoNames (CC BY 4.0)'));
      baseMap = addBaseMap(L, map);
      places = addPlaceLabels(L, map);
      if (ctx.config.mapTileUrl) L.tileLayer(ctx.config.mapTileUrl, { maxZoom: 19 }).addTo(map);
      else createGraticuleLayer(L).addTo(map);
      map.setView([20, 0], 2);
      map.on('zoomend', placeNames);
      // Shown again (back from another screen) or resized (a phone turned): measured and named again.
      resized = new ResizeObserver(() => {
        map?.invalidateSize();
        placeNames();
      });
      resized.observe(mapEl);
    }
    layer?.remove();
    layer = L.layerGroup().addTo(map);
    /** @type {Array<[number, number]>} */
    const bounds = [];
    if (round.epicentre) {
      const e = round.epicentre;
      // Tooltips as text nodes: Leaflet puts a string in as HTML, and the place comes from a feed, a node's name from the air.
      L.circleMarker([e.latitude, e.longitude], { radius: 10, color: EPICENTRE_COLOR, weight: 3, fillOpacity: 0.2, className: 'node-marker' }).bindTooltip(document.createTextNode(e.magnitude === null ? t('Epicentre: {place}', { place: placeOf(e) }) : t('Epicentre of the {magnitude} quake: {place}', { magnitude: magnitude(e.magnitude), place: placeOf(e) }))).addTo(layer);
      if (round.radiusKm > 0) L.circle([e.latitude, e.longitude], { radius: round.radiusKm * 1000, color: EPICENTRE_COLOR, weight: 1, fill: false, dashArray: '4 4', interactive: false }).addTo(layer);
      bounds.push([e.latitude, e.longitude]);
    }
    aftershockLegend.hidden = (round.quakes ?? []).length < 2;
    // Shown while a node in the round answered automatically (its amber means nothing otherwise).
    const automaticLegend = /** @type {HTMLElement} */ (legend.querySelector('li[data-status="automatic"]'));
    automaticLegend.hidden = !round.nodes.some((/** @type {any} */ n) => n.status === 'automatic');
    // Likewise while an admin resolved a node's SOS in it.
    const resolvedLegend = /** @type {HTMLElement} */ (legend.querySelector('li[data-status="resolved"]'));
    resolvedLegend.hidden = !round.nodes.some((/** @type {any} */ n) => n.status === 'resolved');
    for (const q of (round.quakes ?? []).slice(1)) {
      L.circleMarker([q.latitude, q.longitude], { radius: 6, color: EPICENTRE_COLOR, weight: 2, fillOpacity: 0.1, className: 'node-marker' }).bindTooltip(document.createTextNode(t('Aftershock {magnitude}: {place}', { magnitude: magnitude(q.magnitude), place: placeOf(q) }))).addTo(layer);
      bounds.push([q.latitude, q.longitude]);
    }
    // Needing help first, then the silent, then the automatic answers, then the safe: the first named where names are crowded.
    const order = STATUS_ORDER;
    const placed = round.nodes.filter((/** @type {any} */ n) => n.latitude !== null && n.longitude !== null).sort((/** @type {any} */ a, /** @type {any} */ b) => order[/** @type {'safe'} */ (a.status)] - order[/** @type {'safe'} */ (b.status)]);
    nodeMarkers = placed.map((/** @type {any} */ n) => {
      // Named on a tap until placeNames can write the name (the map may be out of sight now).
      // node-marker: the town names keep off it.
      const marker = L.circleMarker([n.latitude, n.longitude], { radius: 7, color: STATUS_COLOR[n.status], fillColor: STATUS_COLOR[n.status], fillOpacity: 0.85, className: 'node-marker' }).bindTooltip(document.createTextNode(`${n.name ?? n.id}: ${statusLabel(n.status)}`)).addTo(layer);
      bounds.push([n.latitude, n.longitude]);
      return { marker, node: n };
    });
    if (bounds.length) map.fitBounds(bounds, { padding: [40, 40], maxZoom: 13, animate: false });
    setTimeout(() => {
      map?.invalidateSize();
      placeNames();
    }, 0);
  }

  /**
   * A node's name is written beside it (a phone has no hover) at the first spot clear of the names
   * written before it and of every marker, inside the map. A name with no such spot, or every name
   * when there are more than MAX_NAMED_NODES, shows on a tap (or hover) instead, with the status;
   * zooming in makes room and they are placed again.
   */
  function placeNames() {
    if (!map || !layer) return;
    const frame = mapEl.getBoundingClientRect();
    if (frame.width === 0) return;
    const marks = [...mapEl.querySelectorAll('path.leaflet-interactive')];
    /** @type {DOMRect[]} */
    const taken = [];
    const written = nodeMarkers.length <= MAX_NAMED_NODES;
    for (const { marker, node } of nodeMarkers) {
      const name = node.name ?? node.id;
      if (marker.getTooltip()?.isOpen() && !marker.getTooltip().options.permanent) continue;
      marker.unbindTooltip();
      if (written) {
        marker.bindTooltip(document.createTextNode(name), { permanent: true, className: 'checkin-name', ...NAME_SPOTS[0] });
        const tip = marker.getTooltip();
        const el = tip.getElement();
        const own = marker.getElement()?.getBoundingClientRect();
        // A marker on top of this one is the same spot: only the names keep them apart.
        const others = marks.map((x) => x.getBoundingClientRect()).filter((r) => own && !overlaps(r, own));
        const spot = NAME_SPOTS.find((/** @type {{ direction: string, offset: number[] }} */ at) => {
          tip.options.direction = at.direction;
          tip.options.offset = at.offset;
          tip.update();
          const r = el.getBoundingClientRect();
          return r.left >= frame.left && r.right <= frame.right && r.top >= frame.top && r.bottom <= frame.bottom && !taken.some((b) => overlaps(r, b)) && !others.some((b) => overlaps(r, b));
        });
        if (spot) {
          taken.push(el.getBoundingClientRect());
          continue;
        }
        marker.unbindTooltip();
      }
      marker.bindTooltip(document.createTextNode(`${name}: ${statusLabel(node.status)}`));
    }
    places?.refresh();
  }

  function checkInForm() {
    const person = h('input', { id: 'checkin-person', type: 'text', maxlength: '80', required: true });
    const status = h('select', { id: 'checkin-status', 'aria-label': t('Their status') }, h('option', { value: 'safe' }, t('Safe')), h('option', { value: 'needs_help' }, t('Needs help')));
    // Each label stays on the line of its field (the hub's toolbar-field), however narrow the screen.
    const form = h('form', { class: 'inline-form toolbar', 'aria-label': t('Check a person in') }, h('span', { class: 'toolbar-field' }, h('label', { for: 'checkin-person' }, t('Person')), person), status, h('button', { type: 'submit' }, t('Check in')));
    const personRule = () => t('Write the person’s name (more than spaces).');
    const checks = checkedForm(form, [[person, (v) => (v.trim() ? '' : personRule())]]);
    // Someone being checked in goes into the round on screen: it no longer changes by itself (another round's SOS).
    form.addEventListener('focusin', () => {
      if (round && picked === null) picked = round.id;
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!round) return checks.say(t('There is no check-in round to add people to.'));
      checks.say('');
      try {
        const into = await api.post(`${base}/rounds/${round.id}/checkins`, { person: person.value.trim(), status: status.value });
        person.value = '';
        checks.recheck();
        // The round on screen was merged into another: the person went there, and the screen follows.
        if (into?.id && into.id !== round?.id) {
          picked = into.id;
          allRounds = [into, ...allRounds.filter((r) => r.id !== into.id)].sort((a, b) => b.openedAt - a.openedAt);
          showRounds();
        }
      } catch (err) {
        checks.say(refusal(err, { fields: { person: personRule }, full: () => t('This round lists as many people by name as it may: open another round to check more people in.') }));
      }
    });
    return form;
  }

  function assemblyForm() {
    const name = h('input', { id: 'ap-name', type: 'text', maxlength: '60', required: true });
    const lat = h('input', { id: 'ap-lat', type: 'number', step: 'any', min: '-90', max: '90', required: true });
    const lon = h('input', { id: 'ap-lon', type: 'number', step: 'any', min: '-180', max: '180', required: true });
    const cap = h('input', { id: 'ap-cap', type: 'number', min: '1', max: String(MAX_CAPACITY), step: '1' });
    const form = h(
      'form',
      { class: 'inline-form toolbar', 'aria-label': t('Add an assembly point') },
      h('span', { class: 'toolbar-field' }, h('label', { for: 'ap-name' }, t('Name')), name),
      h('span', { class: 'toolbar-field' }, h('label', { for: 'ap-lat' }, t('Latitude')), lat),
      h('span', { class: 'toolbar-field' }, h('label', { for: 'ap-lon' }, t('Longitude')), lon),
      h('span', { class: 'toolbar-field' }, h('label', { for: 'ap-cap' }, t('Capacity (people)')), cap),
      h('button', { type: 'submit' }, t('Add and send to nodes')),
    );
    /** @type {Record<string, () => string>} */
    const rules = {
      name: () => t('Write the assembly point’s name (more than spaces).'),
      latitude: () => t('Latitude is a number from {min} to {max}.', { min: -90, max: 90 }),
      longitude: () => t('Longitude is a number from {min} to {max}.', { min: -180, max: 180 }),
      capacity: () => t('Capacity is a whole number from {min} to {max}, or empty.', { min: 1, max: MAX_CAPACITY }),
    };
    const within = (/** @type {string} */ v, /** @type {number} */ limit) => v.trim() !== '' && Math.abs(Number(v)) <= limit;
    const checks = checkedForm(form, [
      [name, (v) => (v.trim() ? '' : rules.name())],
      [lat, (v) => (within(v, 90) ? '' : rules.latitude())],
      [lon, (v) => (within(v, 180) ? '' : rules.longitude())],
      [cap, (v) => (v === '' && !cap.validity.badInput) || (Number.isInteger(Number(v)) && Number(v) >= 1 && Number(v) <= MAX_CAPACITY) ? '' : rules.capacity()],
    ]);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      checks.say('');
      try {
        await api.post(`${base}/assembly-points`, { name: name.value.trim(), latitude: Number(lat.value), longitude: Number(lon.value), ...(cap.value ? { capacity: Number(cap.value) } : {}) });
        form.reset();
        checks.recheck();
      } catch (err) {
        checks.say(refusal(err, { fields: rules, full: () => t('This organisation has as many assembly points as it may have.') }));
      }
    });
    return form;
  }

  /** @param {Event} e */
  const onEvent = (e) => {
    const ev = /** @type {CustomEvent} */ (e).detail;
    if (!EVENTS.has(ev.type)) return;
    if (ev.data.round) {
      allRounds = [ev.data.round, ...allRounds.filter((r) => r.id !== ev.data.round.id)].sort((a, b) => b.openedAt - a.openedAt);
      showRounds();
    }
    void load().catch(() => {});
  };
  stream.addEventListener('event', onEvent);
  // The lists above the round fill in with it: a scroll to the round waits for them.
  const loaded = load().catch((err) => ctx.notify(t('Could not load birlikteyiz: {error}', { error: err.message }), 'error'));
  return {
    /** @param {string | null} part */
    reveal(part) {
      if (part === 'round') void loaded.then(() => roundHeading.scrollIntoView({ block: 'start' }));
    },
    destroy() {
      stream.removeEventListener('event', onEvent);
      resized?.disconnect();
      places?.remove();
      baseMap?.remove();
      map?.remove();
    },
  };
}

/** At most this many quakes on the hub's map at once (the newest): more would only hide the fleet. */
const MAX_MAP_QUAKES = 3;

/** Which way an epicentre off the map lies, by eighths of a turn from east, anticlockwise. */
const ARROWS = ['→', '↗', '↑', '↖', '←', '↙', '↓', '↘'];
/** The off-map chip keeps this far from the map's sides (px): clear of the zoom and layer buttons, the grid's labels, the scale and the credits. */
const CHIP_MARGIN = { x: 60, top: 26, bottom: 34 };

/**
 * The hub's main map (controlplane's module-ui-hooks.js): the epicentre of each quake whose
 * check-in round is open, a red ring with its magnitude beside it, until the round closes. The
 * popup names the quake and links to the round; the legend says what the mark is while one shows.
 * The map opens on the fleet; an epicentre outside the view is pointed at by a chip at the map's
 * edge ("↗ M5.4"); a tap on it shows the fleet and the epicentre together.
 * @param {{ L: any, map: any, api: any, stream: EventTarget, base: string, legend: HTMLUListElement, changed: () => void, fitWith: (points: Array<[number, number]>) => void }} ctx
 */
export function mapLayer(ctx) {
  const { L, map, api, stream, base } = ctx;
  const group = L.layerGroup().addTo(map);
  const legendItem = h('li', { dataset: { mark: 'quake' }, hidden: true }, h('span', { class: 'legend-dot', style: `border: 3px solid ${EPICENTRE_COLOR}; background: rgba(207, 34, 46, 0.2)`, 'aria-hidden': 'true' }), t('quake epicentre, check-in round open'));
  ctx.legend.append(legendItem);
  /** @type {Map<string, any>} */
  const rounds = new Map();
  let drawn = '';
  /** The newest open epicentre outside the map's view, which the chip points at. @type {any} */
  let away = null;
  const chip = h('button', { type: 'button', class: 'quake-offmap', hidden: true, style: `position: absolute; z-index: 750; margin: 0; min-height: 28px; padding: 2px 8px; background: #fff; color: ${EPICENTRE_COLOR}; border: 2px solid ${EPICENTRE_COLOR}; border-radius: 4px; font-weight: 800; font-size: 14px; white-space: nowrap; box-shadow: 0 1px 3px rgba(0,0,0,.35); cursor: pointer` });
  L.DomEvent.disableClickPropagation(chip);
  L.DomEvent.disableScrollPropagation(chip);
  map.getContainer().append(chip);
  chip.addEventListener('click', () => {
    if (!away) return;
    ctx.fitWith([[away.epicentre.latitude, away.epicentre.longitude]]);
  });

  const placeChip = () => {
    const view = map.getBounds();
    away = open().find((r) => !view.contains([r.epicentre.latitude, r.epicentre.longitude])) ?? null;
    chip.hidden = !away;
    if (!away) return;
    const e = away.epicentre;
    const title = roundTitle(away);
    const size = map.getSize();
    const at = map.latLngToContainerPoint([e.latitude, e.longitude]);
    const turn = Math.atan2(size.y / 2 - at.y, at.x - size.x / 2) / (Math.PI / 4);
    chip.textContent = `${ARROWS[((Math.round(turn) % 8) + 8) % 8]} ${magnitude(e.magnitude)}`;
    chip.setAttribute('aria-label', t('Quake epicentre off the map: {title}. Show it', { title }));
    chip.title = t('Quake epicentre off the map: {title}. Show it', { title });
    const clamp = (/** @type {number} */ v, /** @type {number} */ lo, /** @type {number} */ hi) => Math.max(lo, Math.min(hi, v));
    chip.style.left = `${clamp(at.x - chip.offsetWidth / 2, CHIP_MARGIN.x, size.x - chip.offsetWidth - CHIP_MARGIN.x)}px`;
    chip.style.top = `${clamp(at.y - chip.offsetHeight / 2, CHIP_MARGIN.top, size.y - chip.offsetHeight - CHIP_MARGIN.bottom)}px`;
  };
  map.on('moveend zoomend resize', placeChip);

  /** Open rounds of quakes, one per quake, newest first. */
  const open = () => {
    const seen = new Set();
    return [...rounds.values()]
      .filter((r) => r.quakeId !== null && r.quakeId !== undefined && r.epicentre && r.closedAt === null && r.closesAt > Date.now())
      .sort((a, b) => b.openedAt - a.openedAt)
      .filter((r) => (seen.has(r.quakeId) ? false : (seen.add(r.quakeId), true)))
      .slice(0, MAX_MAP_QUAKES);
  };

  const draw = () => {
    const list = open();
    // Answers update a round often: the marks are made again only when what they show changes (an open popup stays).
    const key = list.map((r) => `${r.id}:${r.epicentre.latitude}:${r.epicentre.longitude}:${r.epicentre.magnitude}:${roundTitle(r)}`).join('|');
    if (key === drawn) return;
    drawn = key;
    group.clearLayers();
    for (const r of list) {
      const e = r.epicentre;
      const title = roundTitle(r);
      const label = t('Quake epicentre: {title}', { title });
      const mag = h('span', { class: 'quake-magnitude', style: `background: #fff; color: ${EPICENTRE_COLOR}; border: 2px solid ${EPICENTRE_COLOR}; border-radius: 4px; padding: 0 4px; font-weight: 800; font-size: 13px; line-height: 18px; white-space: nowrap; box-shadow: 0 1px 2px rgba(0,0,0,.3)` }, magnitude(e.magnitude));
      const ring = h('span', { class: 'quake-ring', style: `flex: none; width: 14px; height: 14px; border-radius: 50%; border: 3px solid ${EPICENTRE_COLOR}; background: rgba(207, 34, 46, 0.25)` });
      const html = h('span', { style: 'display: flex; align-items: center; gap: 3px' }, ring, mag);
      const marker = L.marker([e.latitude, e.longitude], { icon: L.divIcon({ className: 'quake-marker map-keep-clear', html, iconSize: null, iconAnchor: [10, 11] }), keyboard: true, title: label, riseOnHover: true });
      const popup = () => h('div', { class: 'quake-popup' }, h('strong', {}, title), h('div', {}, t('Check-in round open until {time}', { time: timeOfDay(r.closesAt) })), h('div', {}, h('a', { href: '#/modules/birlikteyiz/round' }, t('Go to the check-in round'))));
      // Panned clear of the map's controls at its top corners (a phone's map is narrow).
      marker.bindPopup(popup, { maxWidth: 240, autoPanPaddingTopLeft: [52, 60], autoPanPaddingBottomRight: [12, 12] });
      group.addLayer(marker);
      const el = marker.getElement();
      if (el) {
        el.setAttribute('role', 'button');
        el.setAttribute('aria-label', label);
        el.dataset.quakeId = r.quakeId;
        el.addEventListener('keydown', (/** @type {KeyboardEvent} */ ev) => {
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            marker.openPopup();
          }
        });
      }
    }
    legendItem.hidden = list.length === 0;
    placeChip();
    ctx.changed();
  };

  const load = async () => {
    const r = await api.get(`${base}/rounds`);
    for (const round of r.rounds) rounds.set(round.id, round);
    draw();
  };
  /** @param {Event} e */
  const onEvent = (e) => {
    const ev = /** @type {CustomEvent} */ (e).detail;
    if (!EVENTS.has(ev.type) || !ev.data?.round) return;
    rounds.set(ev.data.round.id, ev.data.round);
    draw();
  };
  stream.addEventListener('event', onEvent);
  void load().catch(() => {});
  return {
    destroy() {
      stream.removeEventListener('event', onEvent);
      map.off('moveend zoomend resize', placeChip);
      group.remove();
      chip.remove();
      legendItem.remove();
    },
  };
}
