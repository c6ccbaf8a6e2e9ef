// The signed-in app: header (org, user, live status, sign out), navigation between the screens
// by URL hash, the shared fleet store and event stream every screen reads from.

import { EventStream } from './event-stream.js';
import { FleetStore } from './fleet-store.js';
import { t } from './i18n.js';
import { compactLanguageSelect } from './language-select.js';
import { addModuleHooks } from './module-ui-hooks.js';
import { askNotificationPermission, notificationPermission, notifySos, playSiren } from './sos-alarm.js';
import { OpenAlerts } from './sos-store.js';
import { h, replace, svg } from './dom.js';
import { createAlertsView } from './views/alerts-view.js';
import { createFeedView } from './views/feed-view.js';
import { createFleetView } from './views/fleet-view.js';
import { createMapView } from './views/map-view.js';
import { createMessengerView } from './views/messenger-view.js';
import { createModulesView } from './views/modules-view.js';
import { createOrgView } from './views/org-view.js';
import { createSendView } from './views/send-view.js';
import { createSensorsView } from './views/sensors-view.js';

/**
 * @typedef {{ id: string, title: string, el: HTMLElement, show?: () => void, hide?: () => void, destroy?: () => void, signOut?: () => Promise<void>, permissionsChanged?: () => void }} View
 * @typedef {{
 *   api: import('./api-client.js').ApiClient,
 *   fleet: FleetStore,
 *   alerts: OpenAlerts,
 *   stream: EventStream,
 *   config: import('./main.js').UiConfig,
 *   can: (permission: string) => boolean,
 *   setBadge: (viewId: string, count: number) => void,
 *   notify: (message: string, kind?: 'error' | 'info' | 'alert', key?: string, link?: { href: string, label: string }) => void,
 *   dismiss: (key: string) => void,
 *   go: (viewId: string) => void,
 * }} AppContext
 */

const ROLE_PERMISSIONS = /** @type {Record<string, string[]>} */ ({
  viewer: ['read'],
  member: ['read', 'send', 'alerts'],
  admin: ['read', 'send', 'alerts', 'fleet', 'members'],
  owner: ['read', 'send', 'alerts', 'fleet', 'members', 'org'],
});

const STATE_LABEL = () => ({ connecting: t('Connecting…'), live: t('Live'), reconnecting: t('Reconnecting…'), stopped: t('Offline') });

/**
 * @param {HTMLElement} root
 * @param {{ api: import('./api-client.js').ApiClient, config: import('./main.js').UiConfig }} deps
 */
export function createShell(root, { api, config }) {
  const session = api.session;
  let permissions = new Set(ROLE_PERMISSIONS[session?.org.role ?? 'viewer'] ?? ['read']);
  const fleet = new FleetStore(api);
  const openAlerts = new OpenAlerts(api);
  const stream = new EventStream({ token: () => api.accessToken, refresh: () => api.refresh() });

  // On a phone the Alerts screen is far along the sideways-scrolling row: how many alerts are open
  // shows in the top bar too, a tap from them. Phones only: a laptop's row shows the Alerts link.
  const alertsChip = h('a', { class: 'topbar-alerts', href: '#/alerts', hidden: true }, h('span', { 'aria-hidden': 'true' }, '▲'), h('span', { class: 'topbar-alerts-count' }, ''));
  const phone = window.matchMedia('(max-width: 600px)');
  let openAlertCount = 0;
  const showAlertsChip = () => {
    alertsChip.hidden = openAlertCount === 0 || !phone.matches;
  };
  phone.addEventListener('change', showAlertsChip);
  const toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
  const toast = (/** @type {string} */ message, /** @type {string} */ kind, /** @type {number} */ ms) => {
    const el = h('div', { class: `toast toast--${kind}` }, message);
    toasts.append(el);
    setTimeout(() => el.remove(), ms);
  };
  // New SOS and alerts interrupt: announced at once, and they stay until dismissed.
  const alarms = h('div', { class: 'alarms', role: 'alert' });
  /** @type {AppContext} */
  const ctx = {
    api,
    fleet,
    alerts: openAlerts,
    stream,
    config,
    can: (p) => permissions.has(p),
    setBadge: (id, count) => {
      const badge = badges.get(id);
      if (!badge) return;
      badge.textContent = count > 0 ? String(count) : '';
      badge.hidden = count === 0;
      if (id === 'alerts') {
        openAlertCount = count;
        showAlertsChip();
        /** @type {HTMLElement} */ (alertsChip.querySelector('.topbar-alerts-count')).textContent = String(count);
        alertsChip.setAttribute('aria-label', t({ one: '{count} open alert', other: '{count} open alerts' }, { count }));
      }
    },
    notify: (message, kind = 'info', key, link = { href: '#/alerts', label: t('View alerts') }) => {
      if (kind === 'alert') {
        // The same alert again (its node was named since): the banner's text changes in place.
        const same = key ? [.../** @type {NodeListOf<HTMLElement>} */ (alarms.querySelectorAll('.alarm'))].find((a) => a.dataset.key === key) : null;
        const sameText = same?.querySelector('.alarm-text');
        if (sameText) {
          sameText.textContent = message;
          return;
        }
        const alarm = h(
          'div',
          { class: 'alarm', dataset: key ? { key } : {} },
          h('span', { class: 'alarm-text' }, message),
          h('a', { href: link.href, onclick: () => alarm.remove() }, link.label),
          h('button', { type: 'button', class: 'ghost', 'aria-label': t('Dismiss'), onclick: () => alarm.remove() }, '×'),
        );
        alarms.prepend(alarm);
        // Three at most: what modules announce (a quake, people needing help) goes before an open
        // alert (an SOS), oldest first.
        while (alarms.childElementCount > 3) {
          const oldestFirst = /** @type {HTMLElement[]} */ ([...alarms.querySelectorAll('.alarm')]).reverse();
          (oldestFirst.find((a) => !a.dataset.key?.startsWith('alert:')) ?? oldestFirst[0])?.remove();
        }
        return;
      }
      toast(message, kind, kind === 'error' ? 8000 : 4000);
    },
    dismiss: (key) => {
      for (const alarm of /** @type {NodeListOf<HTMLElement>} */ (alarms.querySelectorAll('.alarm'))) if (alarm.dataset.key === key) alarm.remove();
    },
    go: (id) => {
      location.hash = `#/${id}`;
    },
  };

  // What modules announce on every screen (a quake), not only once their own screen was opened.
  const notices = addModuleHooks(ctx, 'notices', (fn, name) => fn({ api: ctx.api, stream: ctx.stream, base: `/api/v1/modules/${name}`, notify: ctx.notify, dismiss: ctx.dismiss }));

  /** @type {View[]} */
  const views = [createFleetView(ctx), createMapView(ctx), createFeedView(ctx), createSendView(ctx), createSensorsView(ctx), createAlertsView(ctx), createMessengerView(ctx), createModulesView(ctx), createOrgView(ctx)];
  /** @type {Map<string, HTMLElement>} */
  const badges = new Map();
  /** @type {Map<string, HTMLAnchorElement>} */
  const links = new Map();
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': t('Screens') },
    h(
      'ul',
      {},
      views.map((v) => {
        const badge = h('span', { class: 'nav-badge', hidden: true });
        badges.set(v.id, badge);
        const link = h('a', { href: `#/${v.id}` }, v.title, badge);
        links.set(v.id, link);
        return h('li', {}, link);
      }),
    ),
  );

  const liveStatus = h('span', { class: 'live-status', role: 'status', 'aria-label': t('Event stream') }, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), h('span', { class: 'live-text' }, STATE_LABEL().connecting));
  stream.addEventListener('state', (e) => {
    const state = /** @type {CustomEvent<'connecting' | 'live' | 'reconnecting' | 'stopped'>} */ (e).detail;
    // Refused for too many streams: said, with what to do, instead of "Reconnecting…" for ever.
    const refusal = state === 'reconnecting' ? stream.reason : null;
    liveStatus.dataset.state = state;
    if (refusal) liveStatus.dataset.reason = refusal;
    else delete liveStatus.dataset.reason;
    liveStatus.title = refusal === 'too-many-streams' ? t('Live updates are paused: your account has the most live connections open (other tabs or devices). Close one; this tab tries again every 15 s.') : refusal === 'hub-full' ? t('Live updates are paused: the hub holds its most live connections. This tab tries again every 15 s.') : '';
    /** @type {HTMLElement} */ (liveStatus.querySelector('.live-text')).textContent = refusal === 'too-many-streams' ? t('Paused: too many tabs') : refusal === 'hub-full' ? t('Paused: hub busy') : STATE_LABEL()[state];
  });
  liveStatus.dataset.state = 'connecting';

  // Signing out on purpose lets each screen give up what this browser holds for the user first (the
  // messenger revokes its device); a session that merely ended does not come through here.
  const signOut = h('button', { type: 'button', class: 'ghost', title: t('Signing out also removes this browser’s messenger device and keys') }, t('Sign out'));
  signOut.addEventListener('click', async () => {
    signOut.disabled = true;
    await Promise.all(views.map((v) => v.signOut?.().catch(() => {})));
    void api.logout();
  });
  // Who is signed in where: on a phone too, shortened to the space left with an ellipsis (app.css),
  // each of the two whole in its own title.
  const orgName = session?.org.name ?? '';
  const userName = session?.user.name || session?.user.email || '';
  const who = h('span', { class: 'who' }, h('span', { class: 'who-org', title: orgName }, orgName), h('span', { class: 'who-user', title: userName }, userName));
  // Changing the language draws the app again in it (the session stays).
  const language = compactLanguageSelect({ id: 'ui-language', className: 'lang-select' });
  // On a phone the bell is a drawn bell (its words stay its name for screen readers and the title).
  const bellIcon = svg('svg', { class: 'bell-icon', viewBox: '0 0 16 16', width: '16', height: '16', 'aria-hidden': 'true', focusable: 'false' }, svg('path', { d: 'M8 1.5a1 1 0 0 1 1 1v.6a4.5 4.5 0 0 1 3.5 4.4v3l1.3 1.7H2.2l1.3-1.7v-3A4.5 4.5 0 0 1 7 3.1v-.6a1 1 0 0 1 1-1zM6.3 13.4h3.4a1.7 1.7 0 0 1-3.4 0z' }));
  const bell = h('button', { type: 'button', class: 'ghost bell', title: t('Notify me of SOS'), hidden: notificationPermission() !== 'default' }, bellIcon, h('span', { class: 'bell-text' }, t('Notify me of SOS')));
  bell.addEventListener('click', async () => {
    const answer = (await askNotificationPermission()) ?? notificationPermission();
    bell.hidden = answer !== 'default';
    // Refused (by the person or the browser's settings): the button goes, and what to do is said,
    // long enough to read, not nothing at all.
    if (answer === 'denied') toast(t('Notifications are blocked for this site. To allow them, open the site settings (the icon left of the address), set Notifications to Allow, then reload the page.'), 'error', 20_000);
  });
  const header = h('header', { class: 'topbar' }, h('a', { class: 'brand', href: '#/fleet' }, h('img', { src: '/favicon.svg', alt: '', width: '28', height: '28' }), h('span', {}, 'UNIBOS')), nav, h('div', { class: 'topbar-right' }, alertsChip, liveStatus, bell, who, language, signOut));
  const main = h('main', { class: 'content', id: 'content' });
  for (const v of views) {
    v.el.hidden = true;
    main.append(v.el);
  }
  root.removeAttribute('aria-busy');
  replace(root, h('a', { class: 'skip-link', href: '#content', onclick: (/** @type {Event} */ e) => (e.preventDefault(), main.focus()) }, t('Skip to content')), header, alarms, main, toasts);
  main.tabIndex = -1;
  // The bar (two rows on a phone) and, on wider screens, the alarms under it (up to three) stick
  // to the top: the alarms sit right under the bar, and what a screen brings into view lands below
  // both, not under them.
  const measureSticky = () => {
    const stuckAlarms = getComputedStyle(alarms).position === 'sticky' ? alarms.offsetHeight : 0;
    document.documentElement.style.setProperty('--topbar-height', `${header.offsetHeight}px`);
    document.documentElement.style.setProperty('--sticky-height', `${header.offsetHeight + stuckAlarms}px`);
  };
  const sticky = new ResizeObserver(measureSticky);
  sticky.observe(header);
  sticky.observe(alarms);
  window.addEventListener('resize', measureSticky);

  /** @type {View | null} */
  let current = null;
  const route = () => {
    const id = /^#\/([a-z]+)/.exec(location.hash)?.[1] ?? 'fleet';
    const next = views.find((v) => v.id === id) ?? views[0];
    if (!next || next === current) return;
    if (current) {
      current.el.hidden = true;
      current.hide?.();
      links.get(current.id)?.removeAttribute('aria-current');
    }
    current = next;
    next.el.hidden = false;
    const link = links.get(next.id);
    link?.setAttribute('aria-current', 'page');
    // On a phone the navigation is one row that scrolls sideways: bring the current screen's link into it.
    if (link && nav.scrollWidth > nav.clientWidth) {
      const l = link.getBoundingClientRect();
      const n = nav.getBoundingClientRect();
      if (l.left < n.left || l.right > n.right) nav.scrollLeft += l.left - n.left - (n.width - l.width) / 2;
    }
    markMore();
    document.title = t('{screen} · UNIBOS hub', { screen: next.title });
    next.show?.();
  };
  // Which ends of the sideways-scrolling navigation hide screens (app.css fades those edges), so a
  // phone user sees that the row goes on.
  const markMore = () => {
    const more = [];
    if (nav.scrollLeft > 1) more.push('start');
    if (nav.scrollLeft + nav.clientWidth < nav.scrollWidth - 1) more.push('end');
    nav.dataset.more = more.join(' ');
  };
  nav.addEventListener('scroll', markMore, { passive: true });
  new ResizeObserver(markMore).observe(nav);
  window.addEventListener('hashchange', route);
  route();

  // Events that arrive while a snapshot loads are re-applied on top of it (load-replay.js: FleetStore.load, AlertBook.load).
  stream.addEventListener('event', (e) => {
    const event = /** @type {CustomEvent} */ (e).detail;
    fleet.apply(event);
    openAlerts.apply(event);
  });
  // A new SOS: the banner (from the alerts screen), a siren, and a notification when allowed.
  openAlerts.addEventListener('change', (e) => {
    const raised = /** @type {CustomEvent<{ raised: string | null }>} */ (e).detail.raised;
    const a = raised ? openAlerts.open.get(raised) : null;
    if (!a || a.level !== 'SOS') return;
    playSiren();
    const name = a.nodeName || fleet.display(a.nodeId);
    notifySos(t('SOS from {name}', { name }), a.text || t('Open the alert to see where'), `sos:${a.id}`, () => ctx.go(`map/${encodeURIComponent(a.nodeId)}`));
  });
  stream.start();
  fleet.load().catch((err) => ctx.notify(t('Could not load the fleet: {error}', { error: err.message }), 'error'));
  openAlerts.load().catch(() => {});
  void api.get('/api/v1/me').then(
    (me) => {
      if (Array.isArray(me?.permissions)) {
        permissions = new Set(me.permissions);
        for (const v of views) v.permissionsChanged?.();
      }
    },
    () => {},
  );

  return {
    destroy() {
      window.removeEventListener('hashchange', route);
      stream.stop();
      notices.destroy();
      for (const v of views) v.destroy?.();
    },
  };
}
