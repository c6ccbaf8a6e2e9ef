// First-run setup from the hub's one-time link (/#setup=<token>): creates the first user, who
// owns the first org, and signs them in.

import { ApiError } from '../api-client.js';
import { h, replace } from '../dom.js';
import { brand, languageSwitch } from './login-view.js';
import { MIN_PASSWORD } from './members-card.js';
import { t } from '../i18n.js';

/**
 * @param {HTMLElement} root
 * @param {import('../api-client.js').ApiClient} api
 * @param {{ token: string, onDone: () => void, onSignIn: () => void }} opts
 */
export function renderSetup(root, api, opts) {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const alreadySetUp = () => replace(error, t('This hub is already set up.'), ' ', h('a', { href: '/', onclick: (/** @type {Event} */ ev) => (ev.preventDefault(), opts.onSignIn()) }, t('Sign in instead')), '.');
  const field = (/** @type {string} */ id, /** @type {string} */ label, /** @type {Record<string, unknown>} */ props, /** @type {string | null} */ hint = null) => {
    const input = h('input', { id, name: id, ...props, ...(hint ? { 'aria-describedby': `${id}-hint` } : {}) });
    return { input, row: h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null) };
  };
  const name = field('setup-name', t('Your name'), { autocomplete: 'name' });
  const email = field('setup-email', t('Email'), { type: 'email', autocomplete: 'username', required: true });
  // The minimum said before it is refused, in the page's language (the browser's own bubble is in its own).
  const password = field('setup-password', t('Password'), { type: 'password', autocomplete: 'new-password', required: true, minlength: String(MIN_PASSWORD) }, t('At least {min} characters.', { min: MIN_PASSWORD }));
  const orgName = field('setup-org', t('Organisation name'), { autocomplete: 'organization', placeholder: t('e.g. Valley Rescue Team') });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('Create admin account'));
  const form = h(
    'form',
    { class: 'card auth-card', 'aria-labelledby': 'setup-title' },
    h('h1', { id: 'setup-title' }, t('Set up this hub')),
    h('p', { class: 'notice' }, t('Create the first account. It owns the hub’s first organisation, and on its Organisation screen adds people and claims devices.')),
    name.row,
    email.row,
    password.row,
    orgName.row,
    error,
    submit,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    /** @type {{ token: string, email: string, password: string, name?: string, orgName?: string }} */
    const body = { token: opts.token, email: email.input.value.trim(), password: password.input.value };
    if (name.input.value.trim()) body.name = name.input.value.trim();
    if (orgName.input.value.trim()) body.orgName = orgName.input.value.trim();
    try {
      await api.setup(body);
      opts.onDone();
    } catch (err) {
      submit.disabled = false;
      if (err instanceof ApiError && (err.code === 'E_SETUP_DONE' || err.status === 409)) {
        alreadySetUp();
      } else {
        error.textContent = err instanceof Error ? err.message : String(err);
      }
    }
  });
  root.removeAttribute('aria-busy');
  replace(root, h('main', { class: 'auth-page' }, languageSwitch('setup-language'), brand(), form));
  void api.getPublic('/api/v1/setup').then(
    (state) => {
      if (state && state.needed === false) alreadySetUp();
    },
    () => {},
  );
  (name.input).focus();
}
