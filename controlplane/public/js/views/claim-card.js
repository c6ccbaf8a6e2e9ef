// The Organisation screen's "Claim a device" (with [fleet]): makes a one-time claim token for a
// gateway or a node and shows it once, with the command to run on the device (cli/commands
// gateway.ts, node.ts: `unibos <kind> claim --hub-api URL --token TOKEN`) and when it expires.
// The hub keeps no copy it could show again; leaving the screen clears it from this one too.

import { h, replace } from '../dom.js';
import { dateTime } from '../format.js';
import { t } from '../i18n.js';

/** A host name only this machine reaches. */
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** How long a token may wait for its device: the hub takes 60 s to 30 days (fleet-routes.ts). */
const VALIDITY = () => [
  [3600, t('1 hour')],
  [86_400, t('1 day')],
  [7 * 86_400, t('7 days')],
  [30 * 86_400, t('30 days')],
];

/** @param {import('../shell.js').AppContext} ctx */
export function createClaimCard(ctx) {
  const { api } = ctx;
  const radio = (/** @type {string} */ value, /** @type {string} */ label) =>
    h('label', {}, h('input', { type: 'radio', name: 'claim-kind', value, checked: value === 'gateway' }), label);
  const kinds = h('fieldset', { class: 'field radios' }, h('legend', {}, t('Kind')), radio('gateway', t('Gateway')), radio('node', t('Node')));
  const name = h('input', { id: 'claim-name', autocomplete: 'off', maxlength: '64' });
  const validity = h('select', { id: 'claim-validity' }, VALIDITY().map(([s, label]) => h('option', { value: String(s), selected: s === 86_400 }, label)));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('Make claim token'));
  const form = h(
    'form',
    { class: 'claim-form' },
    kinds,
    h('div', { class: 'field' }, h('label', { for: 'claim-name' }, t('Name (optional)')), name, h('span', { class: 'hint' }, t('The name the device gets in the fleet.'))),
    h('div', { class: 'field' }, h('label', { for: 'claim-validity' }, t('Valid for')), validity),
    error,
    h('div', { class: 'form-actions' }, submit),
  );

  const result = h('div', { class: 'claim-result', hidden: true, 'aria-live': 'polite' });
  const el = h(
    'section',
    { class: 'card org-card claim-card', 'aria-labelledby': 'claim-title', dataset: { state: 'empty' } },
    h('h2', { id: 'claim-title' }, t('Claim a device')),
    h('p', { class: 'hint' }, t('A claim token lets one gateway or node join this organisation: make one here, then run the command it shows on the device.')),
    form,
    result,
  );

  /** @param {string} text @param {HTMLElement} source @param {HTMLElement} said */
  const copy = async (text, source, said) => {
    let done = false;
    try {
      await navigator.clipboard.writeText(text);
      done = true;
    } catch {
      // No clipboard API (a hub over plain http is no secure context): the older way, from a selection.
      const range = document.createRange();
      range.selectNodeContents(source);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      try {
        done = document.execCommand('copy');
      } catch {
        done = false;
      }
    }
    said.textContent = done ? t('Copied.') : t('This browser would not copy it: it is selected, copy it by hand.');
  };

  /** @param {{ token: string, kind: string, expiresAt: string }} made */
  const show = (made) => {
    const command = `npx unibos ${made.kind === 'node' ? 'node' : 'gateway'} claim --hub-api ${location.origin} --token ${made.token}`;
    const tokenCode = h('code', { class: 'claim-token' }, made.token);
    const commandCode = h('code', { class: 'claim-command' }, command);
    const copied = h('span', { class: 'hint', role: 'status' });
    replace(
      result,
      h('h3', {}, made.kind === 'node' ? t('Claim token for a node') : t('Claim token for a gateway')),
      h('p', { class: 'notice notice--warn' }, t('Shown only once: the hub keeps no copy it can show again. Copy it now; once you leave this screen it is gone.')),
      h('div', { class: 'field' }, h('span', { class: 'claim-label' }, t('Token')), h('div', { class: 'copy-row' }, tokenCode, h('button', { type: 'button', 'aria-label': t('Copy the token'), onclick: () => void copy(made.token, tokenCode, copied) }, t('Copy')))),
      h(
        'div',
        { class: 'field' },
        h('span', { class: 'claim-label' }, made.kind === 'node' ? t('On the node, run:') : t('On the gateway, run:')),
        h('div', { class: 'copy-row' }, h('pre', { class: 'claim-command-box' }, commandCode), h('button', { type: 'button', 'aria-label': t('Copy the command'), onclick: () => void copy(command, commandCode, copied) }, t('Copy'))),
      ),
      copied,
      // This page's own address is what the command names: read on the hub itself (127.0.0.1) it
      // would send a gateway to its own loopback.
      LOOPBACK.test(location.hostname) ? h('p', { class: 'notice notice--warn', dataset: { loopbackWarning: '' } }, t('This page is open at {address}, which is this machine only: on the device, put the address it reaches the hub at in place of it.', { address: location.origin })) : null,
      h('p', { class: 'claim-expiry' }, t('Valid until {time}; it can be used once.', { time: dateTime(made.expiresAt) })),
    );
    result.hidden = false;
    el.dataset.state = 'made';
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const kind = /** @type {HTMLInputElement | null} */ (form.querySelector('input[name="claim-kind"]:checked'))?.value ?? 'gateway';
    /** @type {{ kind: string, ttlS: number, name?: string }} */
    const body = { kind, ttlS: Number(validity.value) };
    if (name.value.trim()) body.name = name.value.trim();
    submit.disabled = true;
    try {
      show(await api.post('/api/v1/claim-tokens', body));
      name.value = '';
    } catch (err) {
      const code = err && typeof err === 'object' && 'code' in err ? err.code : '';
      error.textContent = code === 'E_FORBIDDEN' ? t('Your role may not claim devices.') : err instanceof Error ? err.message : String(err);
    } finally {
      submit.disabled = false;
    }
  });

  const forget = () => {
    replace(result);
    result.hidden = true;
    el.dataset.state = 'empty';
  };
  const permissionsChanged = () => {
    el.hidden = !ctx.can('fleet');
  };
  permissionsChanged();

  return { el, forget, permissionsChanged };
}
