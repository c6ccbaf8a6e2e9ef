// The sign-in form: email and password against POST /api/v1/auth/login, and the language switch
// (the same page layout as first-run setup's).

import { ApiError } from '../api-client.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { languageSelect } from '../language-select.js';

/** The email typed on the sign-in form, across the reload a language switch makes (sessionStorage). */
const EMAIL_KEPT = 'unibos.loginEmail';
/** Why the login ended (its code, said again in the new language), across that reload too. */
const REASON_KEPT = 'unibos.loginReason';

/**
 * @param {HTMLElement} root
 * @param {import('../api-client.js').ApiClient} api
 * @param {{ onSignedIn: () => void, reason?: import('../api-client.js').SignedOutReason, notice?: string }} opts
 */
export function renderLogin(root, api, opts) {
  // Kept only for the one reload after a switch: read once, so a later visit shows no stale reason.
  const kept = parseReason(sessionStorage.getItem(REASON_KEPT));
  sessionStorage.removeItem(REASON_KEPT);
  /** The reason the form shows now; a sign-in attempt replaces it with its own outcome. */
  let reason = opts.reason ?? kept;
  const error = h('p', { class: 'form-error', role: 'alert' }, reason ? signedOutText(reason) : '');
  const email = h('input', { id: 'login-email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('Sign in'));
  const form = h(
    'form',
    { class: 'card auth-card', 'aria-labelledby': 'login-title', novalidate: false },
    h('h1', { id: 'login-title' }, t('Sign in to the UNIBOS hub')),
    opts.notice ? h('p', { class: 'notice' }, opts.notice) : null,
    h('div', { class: 'field' }, h('label', { for: 'login-email' }, t('Email')), email),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, t('Password')), password),
    error,
    submit,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    reason = null;
    try {
      await api.login(email.value.trim(), password.value);
      opts.onSignedIn();
    } catch (err) {
      error.textContent = loginError(err);
      submit.disabled = false;
      password.select();
    }
  });
  // Switching the language loads the page again: the email typed so far comes back (never the password).
  email.value = sessionStorage.getItem(EMAIL_KEPT) ?? '';
  sessionStorage.removeItem(EMAIL_KEPT);
  const language = languageSwitch('login-language');
  language.querySelector('select')?.addEventListener('change', () => {
    sessionStorage.setItem(EMAIL_KEPT, email.value);
    if (reason) sessionStorage.setItem(REASON_KEPT, reason);
  });
  root.removeAttribute('aria-busy');
  replace(root, h('main', { class: 'auth-page' }, language, brand(), form));
  (email.value ? password : email).focus();
}

/**
 * The language switch of the sign-in and setup pages, above the form: a user picks the language
 * before signing in (the signed-in app has its own in the top bar).
 * @param {string} id
 */
export function languageSwitch(id) {
  return h('div', { class: 'auth-lang' }, h('label', { for: id }, t('Language')), languageSelect({ id, className: 'auth-lang-select', label: true }));
}

/**
 * Why the user was signed out, in the chosen language.
 * @param {import('../api-client.js').SignedOutReason} reason
 */
function signedOutText(reason) {
  if (reason === 'signed-out-elsewhere') return t('You signed out in another tab.');
  if (reason === 'session-invalid') return t('Your session is no longer valid; please sign in again.');
  return t('Your session has ended; please sign in again.');
}

/**
 * @param {string | null} value
 * @returns {import('../api-client.js').SignedOutReason | null}
 */
function parseReason(value) {
  return value === 'signed-out-elsewhere' || value === 'session-ended' || value === 'session-invalid' ? value : null;
}

export function brand() {
  return h('div', { class: 'brand brand--large' }, h('img', { src: '/favicon.svg', alt: '', width: '40', height: '40' }), h('span', {}, t('UNIBOS')));
}

/**
 * Why a sign-in failed, in the chosen language: wrong password, or the hub's limits on failed
 * sign-ins (per account) and on attempts (per address), with how long to wait when it said.
 * @param {unknown} err
 */
export function loginError(err) {
  if (err instanceof ApiError) {
    if (err.status === 401) return t('Wrong email or password.');
    const s = err.retryAfterS;
    const wait = s === null ? null : s < 120 ? t({ one: '{count} second', other: '{count} seconds' }, { count: Math.max(1, s) }) : t({ one: '{count} minute', other: '{count} minutes' }, { count: Math.ceil(s / 60) });
    if (err.code === 'E_LOGIN_THROTTLED') return wait ? t('Too many failed sign-ins to this account. Try again in {wait}.', { wait }) : t('Too many failed sign-ins to this account. Try again later.');
    if (err.code === 'E_RATE_LIMITED') return wait ? t('Too many sign-in attempts from this address. Try again in {wait}.', { wait }) : t('Too many sign-in attempts from this address. Try again later.');
  }
  return err instanceof Error ? err.message : String(err);
}
