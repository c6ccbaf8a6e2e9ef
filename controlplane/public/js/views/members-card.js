// The Organisation screen's members: each with email, name and role; with [members], a role is
// changed in place, a member removed after asking, and someone added (an account on this hub by
// email, or a new one with a password). The hub's refusals are said in the reader's language.

import { ApiError } from '../api-client.js';
import { h, replace, replaceRows } from '../dom.js';
import { t } from '../i18n.js';

/** @typedef {{ userId: string, email: string, name: string, role: string }} Member */

const ROLES = /** @type {const} */ (['viewer', 'member', 'admin', 'owner']);
/** The hub's own minimum (accounts.ts MIN_PASSWORD_LENGTH). */
export const MIN_PASSWORD = 10;

/** @param {string} role */
export function roleName(role) {
  return role === 'owner' ? t('Owner') : role === 'admin' ? t('Admin') : role === 'member' ? t('Member') : role === 'viewer' ? t('Viewer') : role;
}

/**
 * Why the hub refused a change to the members, in the reader's language.
 * @param {unknown} err
 */
export function memberRefusal(err) {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  const m = err.message;
  switch (err.code) {
    case 'E_CONFLICT':
      if (/already a member/.test(m)) return t('That person is a member already.');
      if (/owner/.test(m)) return t('An organisation must keep at least one owner: make someone else owner first.');
      if (/exists/.test(m)) return t('An account with this email was made just now: add them again without a password.');
      return t('The hub refused it: {reason}', { reason: m });
    case 'E_FORBIDDEN':
      if (/owner/.test(m)) return t('Only an owner can make someone owner, or change or remove an owner.');
      if (/not an admin/.test(m)) return t('This email belongs to an account on this hub that you do not administer: an admin of one of its organisations can add it.');
      return t('Your role may not change the members.');
    case 'E_BAD_REQUEST':
      if (/password.*required/.test(m)) return t('No account has this email yet: give a password (at least {min} characters) to make one.', { min: MIN_PASSWORD });
      if (/password/.test(m)) return t('The password must have at least {min} characters.', { min: MIN_PASSWORD });
      if (/email/.test(m)) return t('That is not an email address.');
      return t('The hub refused it: {reason}', { reason: m });
    case 'E_NOT_FOUND':
      return t('That person is no longer a member here.');
    case 'E_LIMIT_REACHED':
      return t('This organisation has as many members as it can have.');
    default:
      return err.message;
  }
}

/** @param {import('../shell.js').AppContext} ctx */
export function createMembersCard(ctx) {
  const { api } = ctx;
  const myRole = () => api.session?.org.role ?? 'viewer';
  const myId = () => api.session?.user.id ?? '';
  /** Roles the signed-in user may give: only an owner makes owners. */
  const grantable = () => ROLES.filter((r) => r !== 'owner' || myRole() === 'owner');
  /** @type {Member[]} */
  let members = [];

  const status = h('p', { class: 'form-result', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const tbody = h('tbody');
  const COLUMNS = [t('Name'), t('Email'), t('Role'), t('Actions')];
  const actionsHead = h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, COLUMNS[3]));
  const table = h(
    'table',
    { class: 'data-table members-table' },
    h('caption', { class: 'visually-hidden' }, t('Members')),
    h('thead', {}, h('tr', {}, COLUMNS.slice(0, 3).map((c) => h('th', { scope: 'col' }, c)), actionsHead)),
    tbody,
  );

  // Adding someone: email and role; a password only for a new account (an existing one keeps its own).
  const field = (/** @type {string} */ id, /** @type {string} */ label, /** @type {HTMLElement} */ control, /** @type {string | null} */ hint = null) =>
    h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null);
  const email = h('input', { id: 'member-email', type: 'email', required: true, autocomplete: 'off', maxlength: '254' });
  const name = h('input', { id: 'member-name', autocomplete: 'off', maxlength: '100' });
  const role = h('select', { id: 'member-role' });
  const password = h('input', { id: 'member-password', type: 'password', autocomplete: 'new-password', minlength: String(MIN_PASSWORD), 'aria-describedby': 'member-password-hint' });
  const addError = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('Add member'));
  const form = h(
    'form',
    { class: 'member-form', 'aria-labelledby': 'member-add-title' },
    h('h3', { id: 'member-add-title' }, t('Add a member')),
    field('member-email', t('Email'), email),
    field('member-name', t('Name (optional)'), name),
    field('member-role', t('Role'), role, t('Viewers read; members also send messages and handle alerts; admins also claim devices and manage members; owners also rename the organisation.')),
    field('member-password', t('Password for a new account'), password, t('At least {min} characters. Leave it empty to add someone who already has an account on this hub.', { min: MIN_PASSWORD })),
    addError,
    h('div', { class: 'form-actions' }, submit),
  );
  const fillRoles = () => {
    const keep = role.value || 'member';
    replace(role, grantable().map((r) => h('option', { value: r }, roleName(r))));
    role.value = grantable().includes(/** @type {any} */ (keep)) ? keep : 'member';
  };

  const el = h(
    'section',
    { class: 'card org-card members-card', 'aria-labelledby': 'members-title', dataset: { state: 'loading' } },
    h('h2', { id: 'members-title' }, t('Members')),
    error,
    h('div', { class: 'table-wrap' }, table),
    status,
    form,
  );

  /** @param {Member} m */
  const rowFor = (m) => {
    const you = m.userId === myId();
    const manage = ctx.can('members');
    // The hub lets only an owner change an owner: offered to no one else.
    const locked = !manage || (m.role === 'owner' && myRole() !== 'owner');
    const label = m.name || m.email;
    /** @type {HTMLElement | string} */
    let roleCell = roleName(m.role);
    if (!locked) {
      const select = h('select', { 'aria-label': t('Role of {name}', { name: label }) }, [...new Set([...grantable(), m.role])].map((r) => h('option', { value: r }, roleName(r))));
      select.value = m.role;
      select.addEventListener('change', () => void changeRole(m, select));
      roleCell = select;
    }
    const remove = locked ? null : h('button', { type: 'button', class: 'link danger-link', 'aria-label': t('Remove {name}', { name: label }), onclick: () => void removeMember(m) }, t('Remove'));
    return h(
      'tr',
      { dataset: { userId: m.userId, role: m.role } },
      h('th', { scope: 'row', 'data-label': COLUMNS[0] }, h('span', { class: 'cell-value' }, m.name || '—', you ? [' ', h('span', { class: 'badge' }, t('you'))] : null)),
      h('td', { 'data-label': COLUMNS[1] }, h('span', { class: 'cell-value' }, m.email)),
      h('td', { 'data-label': COLUMNS[2] }, h('span', { class: 'cell-value' }, roleCell)),
      h('td', { class: 'member-actions', 'data-label': COLUMNS[3] }, h('span', { class: 'cell-value' }, remove)),
    );
  };

  const render = () => {
    const manage = ctx.can('members');
    form.hidden = !manage;
    actionsHead.hidden = !manage;
    fillRoles();
    replaceRows(tbody, 'user-id', members.map(rowFor));
    for (const cell of tbody.querySelectorAll('td.member-actions')) /** @type {HTMLElement} */ (cell).hidden = !manage;
  };

  /** @param {Member} m @param {HTMLSelectElement} select */
  const changeRole = async (m, select) => {
    const next = select.value;
    select.disabled = true;
    error.textContent = '';
    try {
      const changed = /** @type {Member} */ (await api.request('PATCH', `/api/v1/members/${encodeURIComponent(m.userId)}`, { role: next }));
      members = members.map((x) => (x.userId === m.userId ? { ...x, role: changed.role } : x));
      status.textContent = t('{name} is now {role}.', { name: m.name || m.email, role: roleName(changed.role) });
      render();
    } catch (err) {
      select.value = m.role;
      select.disabled = false;
      error.textContent = memberRefusal(err);
    }
  };

  /** @param {Member} m */
  const removeMember = async (m) => {
    const label = m.name || m.email;
    const question = m.userId === myId() ? t('Remove yourself from this organisation? You lose access to it.') : t('Remove {name} from this organisation? They can no longer sign in to it.', { name: label });
    if (!confirm(question)) return;
    error.textContent = '';
    try {
      await api.request('DELETE', `/api/v1/members/${encodeURIComponent(m.userId)}`);
      members = members.filter((x) => x.userId !== m.userId);
      status.textContent = t('{name} was removed.', { name: label });
      render();
    } catch (err) {
      error.textContent = memberRefusal(err);
    }
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    addError.textContent = '';
    /** @type {{ email: string, role: string, name?: string, password?: string }} */
    const body = { email: email.value.trim(), role: role.value };
    if (name.value.trim()) body.name = name.value.trim();
    if (password.value) body.password = password.value;
    submit.disabled = true;
    try {
      const added = /** @type {Member} */ (await api.post('/api/v1/members', body));
      members = [...members.filter((x) => x.userId !== added.userId), added];
      status.textContent = t('{name} was added as {role}.', { name: added.name || added.email, role: roleName(added.role) });
      form.reset();
      render();
    } catch (err) {
      addError.textContent = memberRefusal(err);
    } finally {
      submit.disabled = false;
    }
  });

  /** Fetches the list again (each time the screen opens: others change it too). */
  const load = async () => {
    try {
      const list = await api.get('/api/v1/members');
      members = Array.isArray(list?.items) ? list.items : [];
      error.textContent = '';
      render();
      el.dataset.state = 'loaded';
    } catch (err) {
      error.textContent = t('Could not load the members: {error}', { error: err instanceof Error ? err.message : String(err) });
      el.dataset.state = 'error';
    }
  };
  render();

  return { el, load, permissionsChanged: render };
}
