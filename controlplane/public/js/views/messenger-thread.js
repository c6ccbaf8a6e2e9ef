// One conversation of the messenger view: its head (safety number, members), the key-change
// warning that blocks sending until the user has compared and accepted, the decrypted messages
// with replies, edits, deletes, reactions, read receipts and expiry, among them every change of
// the members this device saw (the hub decides who is in a group: nobody joins unseen), and the
// composer.

import { h, replace } from '../dom.js';
import { dateTime, relativeTime } from '../format.js';
import { t } from '../i18n.js';
import { draftOf } from './drafts.js';

// Symbols every system font has (an offline hub's browsers may have no emoji font).
const REACTIONS = ['✓', '❤', '★', '✗'];
/** conversation/user -> the safety number last fetched, while its panel is open. @type {Map<string, { safetyNumber: string, status: string }>} */
const openSafety = new Map();
/** Conversations whose member list is open, and whom their admin has picked to add: live updates redraw the thread. */
const openMembers = new Set();
/** @type {Map<string, string>} */
const pickedMember = new Map();
/** userId -> the safety number shown in its key-change warning. @type {Map<string, Promise<{ safetyNumber: string }>>} */
const bannerNumbers = new Map();
/** The user's own devices as their new-device warning last fetched them, by the new devices' ids (fetched once per warning, not per redraw). @type {Map<string, Promise<Array<{ id: string, name: string, createdAt: string }>>>} */
const ownDeviceLists = new Map();

/**
 * @typedef {{
 *   client: any, conversation: any, me: string, title: string, nameOf: (userId: string) => string,
 *   memberName: (userId: string) => string,
 *   canManage: boolean, people: Array<{ userId: string, email: string, name: string }>, problems: any[],
 *   changedUsers: string[], replyTo: { id: string, text: string } | null, editing: string | null,
 *   maxChars: number, expiryChoices: string[][], kindLabel: string,
 *   back: () => void, setReply: (m: any) => void, setEditing: (id: string | null) => void,
 *   act: (fn: () => Promise<unknown>) => Promise<boolean>, afterSend: (repliedTo: { id: string, text: string } | null, edited: string | null) => void,
 *   setMuted: (conversationId: string, muted: boolean) => Promise<unknown>, leave: (conversationId: string) => Promise<unknown>,
 *   deviceSince: number | null,
 * }} ThreadProps
 */

/**
 * @param {HTMLElement} pane
 * @param {ThreadProps} p
 */
export function renderThread(pane, p) {
  const c = p.conversation;
  const history = p.client.history(c.id);
  const byId = new Map(history.map((/** @type {any} */ m) => [m.id, m]));
  const blocked = p.changedUsers.length > 0;
  const canWrite = c.kind !== 'channel' || ['owner', 'admin'].includes(c.members.find((/** @type {any} */ m) => m.userId === p.me)?.role);
  const previous = /** @type {HTMLTextAreaElement | null} */ (pane.querySelector('#msg-text'));
  const hadFocus = previous !== null && document.activeElement === previous;
  // Live updates redraw the thread: keep the reader's place and the keyboard's focus.
  const oldLog = /** @type {HTMLElement | null} */ (pane.querySelector('.msg-log'));
  const sameThread = pane.dataset.conversation === c.id;
  const atBottom = !oldLog || !sameThread || oldLog.scrollHeight - oldLog.scrollTop - oldLog.clientHeight < 40;
  const oldScroll = oldLog?.scrollTop ?? 0;
  const focused = document.activeElement instanceof HTMLElement && pane.contains(document.activeElement) ? document.activeElement : null;
  const focusItem = focused?.closest('li[data-id]')?.getAttribute('data-id') ?? null;
  const focusName = focused ? focused.getAttribute('aria-label') ?? focused.textContent : null;

  const head = h(
    'div',
    { class: 'msg-thread-head' },
    h('button', { type: 'button', class: 'ghost msg-back', onclick: p.back }, t('← Conversations')),
    h('h2', { id: 'msg-thread-title' }, p.title),
    h('span', { class: 'badge' }, p.kindLabel),
    c.muted ? h('span', { class: 'badge badge--muted' }, t('muted')) : null,
    h('span', { class: 'msg-e2e' }, t('End-to-end encrypted')),
  );
  const tools = h('div', { class: 'msg-tools' });
  const others = c.members.filter((/** @type {any} */ m) => m.userId !== p.me);
  if (c.kind === 'direct' && others[0]) tools.append(safetyButton(p, others[0].userId));
  tools.append(
    h(
      'button',
      {
        type: 'button',
        'aria-pressed': c.muted ? 'true' : 'false',
        onclick: () => p.act(() => p.setMuted(c.id, !c.muted)),
      },
      t('Mute'),
    ),
  );
  if (c.kind !== 'direct') {
    tools.append(
      h('button', { type: 'button', onclick: () => confirm(t('Leave {name}? You will get no more of its messages.', { name: p.title })) && p.act(() => p.leave(c.id)) }, t('Leave')),
      membersPanel(p),
    );
  }

  const banners = p.changedUsers.map((userId) => keyChangeBanner(p, userId));
  const description = c.description ? h('p', { class: 'hint msg-description' }, c.description) : null;

  const log = h('ol', { class: 'msg-log', 'aria-label': t('Messages in {name}', { name: p.title }), tabindex: '0' });
  const timeline = p.client.timeline(c.id);
  for (const e of timeline) log.append(e.type === 'membership' ? membershipItem(p, e) : messageItem(p, e, byId));
  for (const problem of p.problems)
    log.append(
      h(
        'li',
        { class: 'msg msg--problem' },
        // Refusals are said as such: the message was not shown on purpose, it did not fail to open.
        problem.errorCode === 'E_NOT_A_MEMBER'
          ? h('p', {}, h('strong', {}, t('A message from {name} was not shown: they are not a member of this conversation.', { name: p.nameOf(problem.senderUser) })))
          : problem.errorCode === 'E_CONVERSATION_CHANGED'
            ? h('p', {}, h('strong', {}, t('A message from {name} was not shown: the hub now shows this conversation otherwise than when this browser first saw it.', { name: p.nameOf(problem.senderUser) })))
            : h('p', {}, h('strong', {}, t('Could not decrypt a message from {name}.', { name: p.nameOf(problem.senderUser) })), ' ', t('Reason: {reason} ({code})', { reason: problem.reason, code: problem.errorCode })),
      ),
    );
  if (timeline.length === 0 && p.problems.length === 0) {
    // Only a conversation older than this browser's messenger can hold messages it cannot read.
    const newer = p.deviceSince !== null && Date.parse(c.createdAt) >= p.deviceSince;
    log.append(h('li', { class: 'empty' }, newer ? t('No messages yet.') : t('No messages on this device yet. Messages sent before it was set up cannot be read here.')));
  }

  pane.replaceChildren(head, description ?? '', tools, ...banners, log, canWrite ? composer(p, byId, blocked, draftOf(pane, c.id)) : h('p', { class: 'notice' }, t('Only the channel’s admins write here; you can react and read.')));
  pane.dataset.conversation = c.id;
  log.scrollTop = atBottom ? log.scrollHeight : oldScroll;
  if (hadFocus) /** @type {HTMLElement | null} */ (pane.querySelector('#msg-text'))?.focus();
  else if (focused && sameThread && !focused.isConnected) {
    const scope = focusItem ? pane.querySelector(`li[data-id="${CSS.escape(focusItem)}"]`) : pane;
    const again = [...(scope?.querySelectorAll('button, summary, select') ?? [])].find((x) => (x.getAttribute('aria-label') ?? x.textContent) === focusName);
    /** @type {HTMLElement | undefined} */ (again)?.focus();
  }
}

/**
 * @param {ThreadProps} p
 * @param {string} userId
 */
function safetyButton(p, userId) {
  const key = `${p.conversation.id}/${userId}`;
  const out = h('div', { class: 'msg-safety', hidden: true, role: 'region', 'aria-label': t('Safety number') });
  const button = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': `msg-safety-${p.conversation.id}` }, t('Safety number'));
  out.id = `msg-safety-${p.conversation.id}`;
  const show = (/** @type {{ safetyNumber: string, status: string }} */ r) => {
    replace(out, safetyBlock(p, userId, r.safetyNumber, p.client.trustStatus(userId) ?? r.status, key));
    out.hidden = false;
    button.setAttribute('aria-expanded', 'true');
  };
  // Live updates redraw the thread: an open number stays open, fetched again when that user's
  // devices change (safetyNumbersChanged).
  const open = openSafety.get(key);
  if (open) show(open);
  button.addEventListener('click', async () => {
    if (!out.hidden) {
      openSafety.delete(key);
      out.hidden = true;
      button.setAttribute('aria-expanded', 'false');
      return;
    }
    await p.act(async () => {
      const r = await p.client.safetyNumber(userId);
      openSafety.set(key, r);
      show(r);
    });
  });
  return h('div', { class: 'msg-safety-wrap' }, button, out);
}

/**
 * @param {ThreadProps} p
 * @param {string} userId
 * @param {string} number
 * @param {string} status
 * @param {string} key
 */
function safetyBlock(p, userId, number, status, key) {
  const STATUS = /** @type {Record<string, string>} */ ({ new: t('not yet compared'), trusted: t('trusted on first use, not compared'), verified: t('verified by you'), key_changed: t('keys changed: compare again') });
  return [
    h('p', {}, t('Compare this number with {name}, in person or on a call. If it is the same on both screens, nobody is in between.', { name: p.nameOf(userId) })),
    h('p', { class: 'msg-safety-number' }, numberGroups(number)),
    h('p', { class: 'hint' }, t('Status: {status}', { status: STATUS[status] ?? status })),
    status !== 'verified' && status !== 'key_changed'
      ? h('button', { type: 'button', onclick: () => p.act(() => keysShown(p.client.markVerified(userId, number), () => openSafety.delete(key))) }, t('Mark as verified'))
      : null,
  ];
}

/**
 * @param {ThreadProps} p
 * @param {string} userId
 */
function keyChangeBanner(p, userId) {
  if (userId === p.me) return ownDeviceBanner(p);
  const number = h('p', { class: 'msg-safety-number' }, t('Loading…'));
  // Fetched once per warning and again whenever that user's devices change (safetyNumbersChanged),
  // so the number on screen is the one over the keys an accept takes.
  let pending = bannerNumbers.get(userId);
  if (!pending) {
    bannerNumbers.set(userId, (pending = p.client.safetyNumber(userId)));
    pending.catch(() => bannerNumbers.delete(userId));
  }
  void pending.then(
    (/** @type {any} */ r) => replace(number, numberGroups(r.safetyNumber)),
    () => replace(number, t('The safety number could not be loaded.')),
  );
  const message = t('The keys of {name} changed (a new or reinstalled device). Sending is paused: compare the safety number with {name} before you accept.', { name: p.nameOf(userId) });
  return h(
    'div',
    { class: 'msg-keychange', role: 'alert' },
    h('p', { class: 'msg-keychange-title' }, h('strong', {}, t('Warning: keys changed'))),
    h('p', {}, message),
    h('p', { class: 'hint' }, t('New safety number:')),
    number,
    h(
      'button',
      {
        type: 'button',
        class: 'primary',
        onclick: () => p.act(async () => {
          // Exactly the number this banner shows: keys that came after it are refused, not accepted.
          const shown = await /** @type {Promise<{ safetyNumber: string }>} */ (pending);
          await keysShown(p.client.acceptKeyChange(userId, shown.safetyNumber), () => bannerNumbers.delete(userId));
          bannerNumbers.delete(userId);
        }),
      },
      t('I compared the numbers: accept the new keys of {name}', { name: p.nameOf(userId) }),
    ),
  );
}

/**
 * A device of the user's own account they have not accepted here yet: which one and since when
 * (a safety number with oneself compares nothing), to revoke if it was not them.
 * @param {ThreadProps} p
 */
function ownDeviceBanner(p) {
  const changed = p.client.pinnedDevices(p.me).filter((/** @type {any} */ d) => d.state === 'changed');
  const newIds = new Set(changed.map((/** @type {any} */ d) => d.deviceId));
  // What the accept takes: the devices listed here, not one that appeared after.
  const shownKeys = changed.map((/** @type {any} */ d) => d.identityKey);
  const list = h('ul', { class: 'msg-new-devices' }, h('li', {}, t('Loading…')));
  const which = [...newIds].sort().join(' ');
  let devices = ownDeviceLists.get(which);
  if (!devices) {
    ownDeviceLists.set(which, (devices = p.client.devices()));
    devices.catch(() => ownDeviceLists.delete(which));
  }
  void devices.then(
    (/** @type {Array<{ id: string, name: string, createdAt: string }>} */ devices) => {
      const fresh = devices.filter((d) => newIds.has(d.id));
      replace(list, fresh.length ? fresh.map((d) => h('li', {}, t('{device}, added {time}', { device: d.name, time: relativeTime(d.createdAt) }))) : h('li', {}, t('a device no longer listed (revoked)')));
    },
    () => replace(list, h('li', {}, t('The device list could not be loaded.'))),
  );
  return h(
    'div',
    { class: 'msg-keychange', role: 'alert' },
    h('p', { class: 'msg-keychange-title' }, h('strong', {}, t('A new device on your account'))),
    list,
    h('p', {}, t('If it was not you, revoke it under Devices. Sending is paused until you accept it.')),
    h('button', { type: 'button', class: 'primary', onclick: () => p.act(async () => {
      await p.client.acceptKeyChange(p.me, shownKeys);
      ownDeviceLists.delete(which);
    }) }, t('Accept my new device')),
  );
}

/**
 * A user's devices changed: the numbers shown for them (a key-change warning, an open safety
 * number) become `fresh`, the number over their keys now, so what is on screen is what an accept
 * or a "verified" takes. Redraw after.
 * @param {string} userId
 * @param {{ safetyNumber: string, status: string }} fresh
 */
export function safetyNumbersChanged(userId, fresh) {
  if (bannerNumbers.has(userId)) bannerNumbers.set(userId, Promise.resolve(fresh));
  for (const key of openSafety.keys()) if (key.endsWith(`/${userId}`)) openSafety.set(key, fresh);
}

/**
 * An accept or "verified" refused because the keys changed again after the number was shown: the
 * cached number is dropped (`forget`), so the redraw shows the one to compare now.
 * @param {Promise<unknown>} action
 * @param {() => void} forget
 */
async function keysShown(action, forget) {
  try {
    return await action;
  } catch (err) {
    if (/** @type {any} */ (err)?.code === 'E_KEYS_CHANGED_AGAIN') forget();
    throw err;
  }
}

/**
 * Twelve groups of five digits, read aloud group by group when comparing.
 * @param {string} number
 */
function numberGroups(number) {
  const groups = number.replace(/\s+/g, '').match(/.{1,5}/g) ?? [];
  return groups.flatMap((g, i) => (i === 0 ? [h('span', {}, g)] : [' ', h('span', {}, g)]));
}

/** @param {ThreadProps} p */
function membersPanel(p) {
  const c = p.conversation;
  const ROLE = /** @type {Record<string, string>} */ ({ owner: t('owner'), admin: t('admin'), member: t('member') });
  const list = h(
    'ul',
    { class: 'msg-members' },
    c.members.map((/** @type {any} */ m) =>
      h(
        'li',
        {},
        h('span', {}, t('{name} ({role})', { name: p.nameOf(m.userId), role: ROLE[m.role] ?? m.role })),
        p.canManage && m.userId !== p.me && m.role !== 'owner'
          ? h('button', { type: 'button', class: 'link', onclick: () => p.act(() => p.client.removeMember(c.id, m.userId)), 'aria-label': t('Remove {name}', { name: p.nameOf(m.userId) }) }, t('Remove'))
          : null,
      ),
    ),
  );
  const outside = p.people.filter((x) => !c.members.some((/** @type {any} */ m) => m.userId === x.userId));
  const pick = h('select', { id: 'msg-add-member', onchange: () => pickedMember.set(c.id, pick.value) }, outside.map((x) => h('option', { value: x.userId, selected: x.userId === pickedMember.get(c.id) }, x.name || x.email)));
  const add =
    p.canManage && outside.length > 0
      ? h(
          'form',
          {
            class: 'msg-add',
            onsubmit: (/** @type {Event} */ e) => {
              e.preventDefault();
              // Added: the pick is done with (someone removed later is not offered back pre-picked).
              void p.act(async () => {
                await p.client.addMember(c.id, [pick.value]);
                pickedMember.delete(c.id);
              });
            },
          },
          h('label', { for: 'msg-add-member' }, t('Add member')),
          pick,
          h('button', { type: 'submit' }, t('Add')),
        )
      : null;
  const details = h('details', { class: 'msg-members-wrap', open: openMembers.has(c.id) }, h('summary', {}, t({ one: '{count} member', other: '{count} members' }, { count: c.members.length })), list, add);
  details.addEventListener('toggle', () => (details.open ? openMembers.add(c.id) : openMembers.delete(c.id)));
  return details;
}

/**
 * Someone joined or went, where this device saw it among the messages: not a message (nobody sent
 * it, nobody answers it), so it reads as one plain sentence.
 * @param {ThreadProps} p
 * @param {{ id: string, change: 'added' | 'removed' | 'left', userId: string, at: string }} e
 */
function membershipItem(p, e) {
  const name = p.memberName(e.userId);
  const text = e.change === 'added' ? t('{name} was added', { name }) : e.change === 'left' ? t('{name} left', { name }) : t('{name} was removed', { name });
  return h(
    'li',
    { class: `msg-member msg-member--${e.change}`, dataset: { id: e.id } },
    h('p', {}, text, ' ', h('time', { datetime: e.at, title: dateTime(e.at) }, relativeTime(e.at))),
  );
}

/**
 * @param {ThreadProps} p
 * @param {any} m
 * @param {Map<string, any>} byId
 */
function messageItem(p, m, byId) {
  const mine = m.senderUser === p.me;
  const sender = p.nameOf(m.senderUser);
  const body = [];
  if (m.replyTo) {
    const quoted = byId.get(m.replyTo);
    body.push(h('blockquote', { class: 'msg-quote' }, quoted ? t('Reply to {name}: {text}', { name: p.nameOf(quoted.senderUser), text: quoted.deleted ? t('(deleted)') : quoted.text }) : t('Reply to an earlier message')));
  }
  body.push(m.deleted ? h('p', { class: 'msg-text msg-text--deleted' }, t('This message was deleted.')) : m.text ? h('p', { class: 'msg-text' }, m.text) : null);
  if (m.attachment && !m.deleted) body.push(attachmentButton(p, m.attachment));
  const facts = [];
  if (m.editedAt) facts.push(t('edited'));
  if (m.expiresAt) facts.push(t('disappears {when}', { when: dateTime(m.expiresAt) }));
  if (mine && m.readBy?.length) facts.push(t('read by {names}', { names: m.readBy.map(p.nameOf).join(', ') }));
  const reactions = Object.entries(m.reactions ?? {});
  const counts = new Map();
  for (const [, emoji] of reactions) counts.set(emoji, (counts.get(emoji) ?? 0) + 1);
  const actions = m.deleted
    ? null
    : h(
        'div',
        { class: 'msg-item-actions' },
        h('button', { type: 'button', class: 'link', 'aria-label': t('Reply to this message from {name}', { name: sender }), onclick: () => p.setReply({ id: m.id, text: m.text }) }, t('Reply')),
        REACTIONS.map((emoji) =>
          h(
            'button',
            { type: 'button', class: 'link msg-react', 'aria-pressed': m.reactions?.[p.me] === emoji ? 'true' : 'false', 'aria-label': t('React with {emoji}', { emoji }), onclick: () => p.act(() => p.client.react(p.conversation.id, m.id, m.reactions?.[p.me] === emoji ? '' : emoji)) },
            emoji,
          ),
        ),
        mine ? h('button', { type: 'button', class: 'link', onclick: () => p.setEditing(m.id) }, t('Edit')) : null,
        mine || p.canManage
          ? h('button', { type: 'button', class: 'link', onclick: () => confirm(t('Delete this message for everyone?')) && p.act(() => p.client.delete(p.conversation.id, m.id)) }, t('Delete'))
          : null,
      );
  return h(
    'li',
    { class: `msg${mine ? ' msg--mine' : ''}`, dataset: { id: m.id } },
    h('article', { 'aria-label': t('Message from {name}', { name: sender }) },
      h('p', { class: 'msg-meta' }, h('span', { class: 'msg-sender' }, sender), ' ', h('time', { datetime: m.sentAt, title: dateTime(m.sentAt) }, relativeTime(m.sentAt))),
      body,
      facts.length ? h('p', { class: 'msg-facts' }, facts.join(' · ')) : null,
      counts.size ? h('p', { class: 'msg-reactions', 'aria-label': t('Reactions') }, [...counts].map(([emoji, n]) => h('span', { class: 'msg-reaction' }, t('{emoji} {count}', { emoji, count: n })))) : null,
      actions,
    ),
  );
}

/**
 * Attachments are opened on this device (fetched encrypted, checked and decrypted here) and saved.
 * @param {ThreadProps} p
 * @param {{ id: string, key: string, digest: string, name: string, mimeType: string, bytes: number }} ref
 */
function attachmentButton(p, ref) {
  return h(
    'button',
    {
      type: 'button',
      class: 'msg-attachment',
      onclick: () =>
        p.act(async () => {
          const data = await p.client.downloadAttachment(ref);
          const url = URL.createObjectURL(new Blob([data], { type: ref.mimeType }));
          const a = h('a', { href: url, download: ref.name, hidden: true });
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 60_000);
        }),
    },
    t('Save {name} ({size})', { name: ref.name, size: formatBytes(ref.bytes) }),
  );
}

/** @param {number} bytes */
function formatBytes(bytes) {
  if (bytes < 1024) return t('{n} B', { n: bytes });
  if (bytes < 1024 * 1024) return t('{n} KB', { n: Math.round(bytes / 102.4) / 10 });
  return t('{n} MB', { n: Math.round(bytes / 104857.6) / 10 });
}

/**
 * @param {ThreadProps} p
 * @param {Map<string, any>} byId
 * @param {boolean} blocked
 * @param {import('./drafts.js').Draft} draft
 */
function composer(p, byId, blocked, draft) {
  const c = p.conversation;
  const editingMsg = p.editing ? byId.get(p.editing) : null;
  // A message on its way (its answer not back yet) stays in the box, read-only, and Send waits: a
  // thread redrawn meanwhile (its own copy coming back live) must not offer it to send again.
  const onItsWay = !editingMsg && draft.inFlight;
  const text = h('textarea', { id: 'msg-text', rows: '3', 'aria-describedby': 'msg-count msg-error', disabled: blocked, readonly: onItsWay });
  // An edit in progress is kept like a draft: a live update redraws the thread while one types.
  text.value = editingMsg ? (draft.edit?.id === editingMsg.id ? draft.edit.text : editingMsg.text) : draft.text;
  const count = h('span', { id: 'msg-count', class: 'hint' });
  const error = h('p', { id: 'msg-error', class: 'msg-error', role: 'alert' });
  const file = h('input', { type: 'file', id: 'msg-file', disabled: blocked || !!editingMsg || onItsWay });
  const expiry = h('select', { id: 'msg-expiry', disabled: blocked || !!editingMsg }, p.expiryChoices.map(([v, label]) => h('option', { value: v }, label)));
  if (editingMsg) text.addEventListener('input', () => (draft.edit = { id: editingMsg.id, text: text.value }));
  else {
    expiry.value = draft.expiry;
    if (draft.files) file.files = draft.files;
    text.addEventListener('input', () => (draft.text = text.value));
    expiry.addEventListener('change', () => (draft.expiry = expiry.value));
    file.addEventListener('change', () => (draft.files = file.files?.length ? file.files : null));
  }
  const send = h('button', { type: 'submit', class: 'primary', disabled: blocked || onItsWay }, editingMsg ? t('Save edit') : t('Send'));
  const chars = () => [...text.value].length;
  const update = () => {
    const n = chars();
    count.textContent = t('{count} of {max} characters', { count: n, max: p.maxChars });
    count.classList.toggle('is-over', n > p.maxChars);
    if (n <= p.maxChars) error.textContent = '';
  };
  text.addEventListener('input', update);
  update();
  const context = editingMsg
    ? h('p', { class: 'msg-context' }, t('Editing your message'), ' ', h('button', { type: 'button', class: 'link', onclick: () => ((draft.edit = null), p.setEditing(null)) }, t('Cancel edit')))
    : p.replyTo
      ? h('p', { class: 'msg-context' }, t('Replying to: {text}', { text: p.replyTo.text.slice(0, 80) }), ' ', h('button', { type: 'button', class: 'link', onclick: () => p.setReply(null) }, t('Cancel reply')))
      : null;
  const form = h(
    'form',
    { class: 'msg-compose', 'aria-label': t('Write a message') },
    blocked ? h('p', { class: 'notice' }, t('Sending is paused until you accept the changed keys above.')) : null,
    context,
    h('label', { for: 'msg-text' }, t('Message')),
    text,
    count,
    error,
    editingMsg ? null : h('div', { class: 'msg-compose-row' }, h('label', { for: 'msg-file' }, t('Attach a file (optional, encrypted here)')), file),
    h('div', { class: 'msg-compose-row' }, h('label', { for: 'msg-expiry' }, t('Disappears')), expiry, send),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    // Enter submits past a disabled Send.
    if (!editingMsg && draft.inFlight) return;
    const value = text.value.trim();
    const chosen = file.files?.[0] ?? null;
    if (!value && !chosen) {
      error.textContent = t('Write something first.');
      return;
    }
    if (chars() > p.maxChars) {
      error.textContent = t('Too long: {count} characters, at most {max}. Nothing was sent.', { count: chars(), max: p.maxChars });
      text.focus();
      return;
    }
    send.disabled = true;
    if (!editingMsg) (draft.inFlight = true), (text.readOnly = true), (file.disabled = true);
    // act draws the thread again when it is done: a failed send is back in an open box.
    await p.act(async () => {
      if (editingMsg) await p.client.edit(c.id, editingMsg.id, value);
      else {
        // The same message as a send that went unanswered keeps its id: the hub keeps one copy.
        const same = draft.sending && draft.sending.text === value && draft.sending.expiry === expiry.value && draft.sending.file === chosen;
        if (!same) draft.sending = { clientId: p.client.sendId(), text: value, expiry: expiry.value, file: chosen };
        const clientId = /** @type {NonNullable<typeof draft.sending>} */ (draft.sending).clientId;
        try {
          const attachment = chosen ? { data: new Uint8Array(await chosen.arrayBuffer()), name: chosen.name, mimeType: chosen.type || 'application/octet-stream' } : null;
          await p.client.send(c.id, { text: value, clientId, ...(p.replyTo ? { replyTo: p.replyTo.id } : {}), ...(expiry.value ? { expiresInMs: Number(expiry.value) } : {}), ...(attachment ? { attachment } : {}) });
        } finally {
          // Answered or failed, before the thread is drawn again: a failed one is still in the box.
          draft.inFlight = false;
        }
      }
      text.value = '';
      // The expiry chosen stays for the next message; the text and the file went.
      if (editingMsg) draft.edit = null;
      else (draft.text = ''), (draft.files = null), (draft.sending = null);
      p.afterSend(p.replyTo, p.editing);
    });
  });
  // Enter sends, Shift+Enter starts a new line (as in every chat app).
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  return form;
}
