// A conversation with a mesh node in the messenger view: the texts both ways (decrypted on this
// device), how far each sent one got (queued at the hub, sent to the gateway, delivered to the
// node, failed), and a composer that counts UTF-8 bytes, since a LoRa frame limits bytes, not
// characters, and refuses too long a text before anything leaves the browser.

import { h } from '../dom.js';
import { dateTime, deliveryError } from '../format.js';
import { t } from '../i18n.js';
import { MESH_DIRECT_MAX_TEXT_BYTES, utf8Bytes } from '../text-limits.js';
import { draftOf } from './drafts.js';


/**
 * @typedef {{
 *   client: any, me: string, nodeId: string, title: string,
 *   deliveries: Map<string, { status: string, error: string | null }>,
 *   back: () => void, act: (fn: () => Promise<unknown>) => Promise<boolean>,
 *   sent: (result: { messageId: string, status: string }) => void,
 * }} NodeThreadProps
 */

/** @param {{ status: string, error: string | null } | undefined} d */
function deliveryText(d) {
  if (!d) return t('Sending…');
  if (d.status === 'queued') return t('Queued at the hub');
  if (d.status === 'sent') return t('Sent to the gateway');
  if (d.status === 'delivered') return t('Delivered to the node');
  if (d.status === 'failed') return d.error ? t('Failed: {error}', { error: deliveryError(d.error) }) : t('Failed');
  return d.status;
}

/**
 * @param {HTMLElement} pane
 * @param {NodeThreadProps} p
 */
export function renderNodeThread(pane, p) {
  const key = `mesh:${p.nodeId}`;
  const history = p.client.meshHistory(p.nodeId);
  const previous = /** @type {HTMLTextAreaElement | null} */ (pane.querySelector('#msg-node-text'));
  const sameThread = pane.dataset.conversation === key;
  const hadFocus = previous !== null && document.activeElement === previous;
  const oldLog = /** @type {HTMLElement | null} */ (pane.querySelector('.msg-log'));
  const atBottom = !oldLog || !sameThread || oldLog.scrollHeight - oldLog.scrollTop - oldLog.clientHeight < 40;
  const oldScroll = oldLog?.scrollTop ?? 0;

  const head = h(
    'div',
    { class: 'msg-thread-head' },
    h('button', { type: 'button', class: 'ghost msg-back', onclick: p.back }, t('← Conversations')),
    h('h2', { id: 'msg-thread-title', title: p.nodeId }, p.title),
    h('span', { class: 'badge' }, t('Mesh node')),
    h('span', { class: 'msg-e2e msg-e2e--node' }, t('Encrypted to the node')),
  );
  const about = h('p', { class: 'hint' }, t('Short texts go over the radio through the gateway that heard {id} last. Only the node can read them; the hub and the gateway carry ciphertext.', { id: p.nodeId }));

  const log = h('ol', { class: 'msg-log', 'aria-label': t('Messages in {name}', { name: p.title }), tabindex: '0' });
  for (const m of history) {
    const mine = m.senderUser === p.me;
    const sender = mine ? t('You') : p.title;
    log.append(
      h(
        'li',
        { class: `msg${mine ? ' msg--mine' : ''}`, dataset: { id: m.id } },
        h(
          'article',
          { 'aria-label': t('Message from {name}', { name: sender }) },
          h('p', { class: 'msg-meta' }, h('strong', {}, sender), ' ', h('time', { datetime: m.sentAt }, dateTime(m.sentAt))),
          h('p', { class: 'msg-text' }, m.text),
          mine ? h('p', { class: `msg-facts msg-delivery msg-delivery--${p.deliveries.get(m.id)?.status ?? 'sending'}` }, deliveryText(p.deliveries.get(m.id))) : null,
        ),
      ),
    );
  }
  if (history.length === 0) log.append(h('li', { class: 'empty' }, t('No messages with this node on this device yet.')));

  pane.replaceChildren(head, about, log, composer(p, draftOf(pane, key)));
  pane.dataset.conversation = key;
  log.scrollTop = atBottom ? log.scrollHeight : oldScroll;
  if (hadFocus) /** @type {HTMLElement | null} */ (pane.querySelector('#msg-node-text'))?.focus();
}

/**
 * @param {NodeThreadProps} p
 * @param {import('./drafts.js').Draft} draft
 */
function composer(p, draft) {
  // A message on its way stays in the box, read-only, and Send waits (as in a conversation: a thread
  // redrawn meanwhile must not offer it to put on air again).
  const text = h('textarea', { id: 'msg-node-text', rows: '2', 'aria-describedby': 'msg-node-count msg-node-error', readonly: draft.inFlight });
  text.value = draft.text;
  text.addEventListener('input', () => (draft.text = text.value));
  const count = h('span', { id: 'msg-node-count', class: 'hint' });
  const error = h('p', { id: 'msg-node-error', class: 'msg-error', role: 'alert' });
  const send = h('button', { type: 'submit', class: 'primary', disabled: draft.inFlight }, t('Send'));
  const update = () => {
    const n = utf8Bytes(text.value);
    count.textContent = t('{count} of {max} bytes (letters like ü or ş take two)', { count: n, max: MESH_DIRECT_MAX_TEXT_BYTES });
    count.classList.toggle('is-over', n > MESH_DIRECT_MAX_TEXT_BYTES);
    if (n <= MESH_DIRECT_MAX_TEXT_BYTES) error.textContent = '';
  };
  text.addEventListener('input', update);
  update();
  const form = h('form', { class: 'msg-compose', 'aria-label': t('Write a message') }, h('label', { for: 'msg-node-text' }, t('Message')), text, count, error, h('div', { class: 'msg-compose-row' }, send));
  const tooLongText = (/** @type {number} */ n) => t('Too long for the mesh: {count} bytes, at most {max}. Nothing was sent.', { count: n, max: MESH_DIRECT_MAX_TEXT_BYTES });
  const tooLong = (/** @type {number} */ n) => {
    error.textContent = tooLongText(n);
    text.focus();
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    // Enter submits past a disabled Send.
    if (draft.inFlight) return;
    const value = text.value.trim();
    if (!value) {
      error.textContent = t('Write something first.');
      return;
    }
    if (utf8Bytes(value) > MESH_DIRECT_MAX_TEXT_BYTES) {
      tooLong(utf8Bytes(value));
      return;
    }
    send.disabled = true;
    draft.inFlight = true;
    text.readOnly = true;
    // act draws the thread again when it is done: a failed send is back in an open box.
    await p.act(async () => {
      let result;
      try {
        result = await p.client.sendToNode(p.nodeId, value);
      } catch (err) {
        // The library's own check, should the limit here ever fall behind it (said in the status: the thread is drawn again).
        if (/** @type {any} */ (err)?.code === 'E_TEXT_TOO_LONG') throw new Error(tooLongText(utf8Bytes(value)));
        throw err;
      } finally {
        draft.inFlight = false;
      }
      text.value = '';
      draft.text = '';
      p.sent(result);
    });
  });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  return form;
}

/**
 * The "message a node" form: the fleet's nodes (gateways excluded), by name with the id.
 * @param {HTMLElement} pane
 * @param {{ nodes: Array<{ id: string, label: string }>, start: (nodeId: string) => void, cancel: () => void }} p
 */
export function renderNodePicker(pane, p) {
  const pick = h('select', { id: 'msg-node-pick', required: true }, p.nodes.map((n) => h('option', { value: n.id }, n.label === n.id ? n.id : t('{name} ({id})', { name: n.label, id: n.id }))));
  const form = h(
    'form',
    { class: 'msg-form', 'aria-labelledby': 'msg-node-title' },
    h('h2', { id: 'msg-node-title' }, t('Message a node')),
    h('p', { class: 'hint' }, t('A short text, end-to-end encrypted to the node’s own key, over the radio.')),
    p.nodes.length === 0 ? h('p', { class: 'notice' }, t('No mesh node has been heard yet.')) : h('div', { class: 'field' }, h('label', { for: 'msg-node-pick' }, t('Node')), pick),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary', disabled: p.nodes.length === 0 }, t('Open conversation')), h('button', { type: 'button', onclick: p.cancel }, t('Cancel'))),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (pick.value) p.start(pick.value);
  });
  pane.replaceChildren(form);
  pick.focus();
}
