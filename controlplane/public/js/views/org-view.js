// Organisation: who is in this org and with which role (members-card.js), and claim tokens that let
// a gateway or node join it (claim-card.js). Everyone in the org sees the members; changing them
// takes [members], making claim tokens [fleet] (the hub refuses anyway, the screen does not offer it).

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { createClaimCard } from './claim-card.js';
import { createMembersCard } from './members-card.js';

/**
 * @param {import('../shell.js').AppContext} ctx
 * @returns {import('../shell.js').View}
 */
export function createOrgView(ctx) {
  const members = createMembersCard(ctx);
  const claim = createClaimCard(ctx);
  const orgName = h('p', { class: 'summary' }, ctx.api.session?.org.name ?? '');
  const el = h(
    'section',
    { class: 'view org-view', 'aria-labelledby': 'org-title' },
    h('div', { class: 'view-head' }, h('h1', { id: 'org-title' }, t('Organisation')), orgName),
    h('div', { class: 'org-layout' }, members.el, claim.el),
  );
  return {
    id: 'org',
    title: t('Organisation'),
    el,
    show: () => members.load(),
    // The token on screen is shown once: gone when the screen is left.
    hide: () => claim.forget(),
    permissionsChanged: () => {
      members.permissionsChanged();
      claim.permissionsChanged();
    },
  };
}
