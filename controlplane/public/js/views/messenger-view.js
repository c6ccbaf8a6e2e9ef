// Messages: the end-to-end encrypted messenger (issue 16) on this browser as one device of the
// signed-in user. Keys are made here on first use and kept in IndexedDB; the hub sees ciphertext
// only. The hub's event stream is a nudge to sync; the inbox is the source of truth.

import { h, replace, replaceRows } from '../dom.js';
import { HUB_EVENT } from '../hub-events.js';
import { t } from '../i18n.js';
import { MESSENGER_MAX_TEXT_CHARS } from '../text-limits.js';
import { renderDeviceList } from './messenger-devices.js';
import { renderNodePicker, renderNodeThread } from './messenger-node-thread.js';
import { renderThread, safetyNumbersChanged } from './messenger-thread.js';

const EXPIRY_CHOICES = () => [
  ['', t('Never')],
  [String(3_600_000), t('After 1 hour')],
  [String(86_400_000), t('After 1 day')],
  [String(604_800_000), t('After 1 week')],
];
/** Events that mean the inbox or a conversation changed (typing and presence do not). */
const SYNC_ON = new Set([HUB_EVENT.MESSAGE_NEW, HUB_EVENT.MESSAGE_EDITED, HUB_EVENT.MESSAGE_DELETED, HUB_EVENT.MESSAGE_READ, HUB_EVENT.CONVERSATION_UPDATED, HUB_EVENT.MESSENGER_DEVICES_CHANGED]);
/** How long signing out waits for the hub to revoke this browser's device. */
const SIGN_OUT_WAIT_MS = 3000;
const KIND_LABEL = () => ({ direct: t('Direct'), group: t('Group'), channel: t('Channel') });

/**
 * @param {string} key
 * @returns {Map<string, any[]>}
 */
function loadProblems(key) {
  try {
    const saved = JSON.parse(localStorage.getItem(key) ?? '[]');
    return new Map(Array.isArray(saved) ? saved.filter((e) => Array.isArray(e) && typeof e[0] === 'string' && Array.isArray(e[1])) : []);
  } catch {
    return new Map();
  }
}

/**
 * @param {import('../shell.js').AppContext} ctx
 * @returns {import('../shell.js').View}
 */
export function createMessengerView(ctx) {
  const { api, stream, fleet } = ctx;
  const me = api.session?.user.id ?? '';
  const storeKey = `${location.host}/${api.session?.org.id}/${me}`;

  /** @type {any} */
  let client = null;
  /** When this browser became a messenger device (ms), once known. @type {number | null} */
  let deviceSince = null;
  /** @type {Promise<any> | null} */
  let opening = null;
  /** @type {any[]} */
  let conversations = [];
  /** @type {Map<string, { userId: string, email: string, name: string }>} */
  let people = new Map();
  /** @type {string | null} */
  let currentId = null;
  /** Conversations with mesh nodes (the client's meshConversations()). @type {any[]} */
  let meshConvs = [];
  /** The node whose conversation is open, instead of a hub conversation. @type {string | null} */
  let currentNode = null;
  /** nodeId -> messageId -> how far this device's message got. @type {Map<string, Map<string, { status: string, error: string | null }>>} */
  const deliveries = new Map();
  // Undecryptable messages are reported once, by the sync that met them: kept in this browser
  // (metadata and the reason only, never content) so they still show after a reload.
  const problemsKey = `unibos.messenger.problems/${location.host}/${api.session?.org.id}/${me}`;
  /** conversationId -> undecryptable messages. @type {Map<string, any[]>} */
  const problems = loadProblems(problemsKey);
  /** @type {{ id: string, text: string } | null} */
  let replyTo = null;
  /** @type {string | null} */
  let editing = null;
  /** conversationId -> the newest message id a read receipt was sent for. */
  const readSent = new Map();
  let visible = false;
  /** Member ids looked up in the org's people list since this page loaded. */
  const lookedUp = new Set();
  /** Membership entries (ids) already announced; those this device noted before the page opened are not. */
  const announcedChanges = new Set();
  const pageOpened = Date.now();

  const status = h('p', { class: 'msg-status', role: 'status' });
  // New messages from others, announced to screen readers (the thread itself is redrawn quietly).
  const announce = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  // Someone joining or leaving a group, in a region of its own: a message arriving next must not
  // replace it before it was read out.
  const announceMembers = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const convList = h('ul', { class: 'msg-conv-list', 'aria-label': t('Conversations') });
  const newDm = h('button', { type: 'button', class: 'primary' }, t('New direct message'));
  const newGroup = h('button', { type: 'button' }, t('New group'));
  const newNode = h('button', { type: 'button' }, t('Message a node'));
  const devicesBtn = h('button', { type: 'button' }, t('Devices'));
  const side = h(
    'div',
    { class: 'msg-side card' },
    h('h2', { id: 'msg-list-title' }, t('Conversations')),
    h('div', { class: 'msg-actions' }, newDm, newGroup, newNode, devicesBtn),
    convList,
  );
  const pane = h('div', { class: 'msg-pane card', role: 'region', 'aria-label': t('Conversation') });
  // WebCrypto, which seals this device's keys in the browser, exists only on secure pages: a hub
  // on a LAN is usually plain http. The messenger works there; the person should know what it means.
  const plainHttp = window.isSecureContext
    ? null
    : h('p', { class: 'notice' }, t('This page is plain http: this device’s message keys are kept unsealed in this browser, and someone on the network could change the page. Messages are still encrypted end to end; where you can, open the hub over https.'));
  const el = h(
    'section',
    { class: 'view msg-view', 'aria-labelledby': 'msg-title' },
    h('div', { class: 'view-head' }, h('h1', { id: 'msg-title' }, t('Messages')), status, announce, announceMembers),
    plainHttp,
    h('div', { class: 'msg-layout' }, side, pane),
  );

  const nameOf = (/** @type {string} */ userId) => {
    if (userId === me) return t('You');
    const p = people.get(userId);
    return p ? p.name || p.email : t('Unknown member');
  };
  // Who joined or went: by name when the org lists them, else by id (the hub may have added someone
  // from outside the org, and "Unknown member" would hide which one).
  const memberName = (/** @type {string} */ userId) => (userId === me || people.has(userId) ? nameOf(userId) : userId);
  const titleOf = (/** @type {any} */ c) => {
    if (c.kind === 'direct') {
      const other = c.members.find((/** @type {any} */ m) => m.userId !== me);
      return other ? nameOf(other.userId) : t('Direct message');
    }
    return c.name || t('Unnamed group');
  };
  const myRole = (/** @type {any} */ c) => c.members.find((/** @type {any} */ m) => m.userId === me)?.role ?? 'member';
  const showError = (/** @type {any} */ err) => {
    status.textContent = t('Error: {error}', { error: err?.message ?? String(err) });
    status.classList.add('is-error');
  };
  const clearStatus = () => {
    status.textContent = '';
    status.classList.remove('is-error');
  };

  async function open() {
    // Everyone waits for the whole opening (keys, the people of the org, the first sync): `client`
    // is set part way, and a form drawn then listed nobody to add ("nobody else in this organisation").
    opening ??= (async () => {
      status.textContent = t('Setting up this device’s keys…');
      const { MessengerClient, IndexedDbStateStore } = await import('../vendor/messenger-client.js');
      const c = await MessengerClient.open({
        hubUrl: location.origin,
        auth: async () => {
          if (!api.accessToken) await api.refresh();
          return api.accessToken ?? '';
        },
        // One device per hub, user and browser profile.
        store: new IndexedDbStateStore(storeKey),
        deviceName: t('Web browser ({platform})', { platform: navigator.platform || 'unknown' }),
      });
      client = c;
      clearStatus();
      people = new Map((await c.people()).map((/** @type {any} */ p) => [p.userId, p]));
      void c.devices().then(
        (/** @type {Array<{ id: string, createdAt: string }>} */ devices) => {
          const mine = devices.find((d) => d.id === c.deviceId);
          deviceSince = mine ? Date.parse(mine.createdAt) : null;
          render();
        },
        () => {},
      );
      await sync();
      return c;
    })();
    try {
      return await opening;
    } catch (err) {
      opening = null;
      if (isDeviceLimit(err)) void showLimit();
      else showError(err);
      throw err;
    }
  }

  /** The hub refused this browser as one more device of the user (at most 10, as Signal's linked devices). */
  const isDeviceLimit = (/** @type {any} */ err) => !client && err?.code === 'E_LIMIT_REACHED';

  // This browser cannot become a device until one of the user's others goes: their list, with the
  // account session (the hub lists and revokes a user's devices without a device of one's own).
  async function showLimit() {
    const { MESSENGER_LIMITS } = await import('../vendor/messenger-client.js');
    currentId = null;
    currentNode = null;
    el.classList.add('has-thread');
    pane.dataset.form = 'limit';
    status.textContent = t('This browser cannot use the messenger yet: your account already has the most messenger devices it may have.');
    status.classList.add('is-error');
    const list = h('ul', { class: 'msg-devices', 'aria-label': t('Your devices') });
    const draw = async () => {
      try {
        const devices = (await api.get('/api/v1/messenger/devices')).items ?? [];
        renderDeviceList(list, devices, { thisDevice: null, revoke: revokeForThisBrowser });
      } catch (err) {
        showError(err);
      }
    };
    /** @param {import('./messenger-devices.js').DeviceRow} d */
    const revokeForThisBrowser = async (d) => {
      try {
        await api.request('DELETE', `/api/v1/messenger/devices/${encodeURIComponent(d.id)}`);
      } catch (err) {
        showError(err);
        await draw();
        return;
      }
      // A place is free: this browser becomes the device now, no reload.
      try {
        await open();
        delete pane.dataset.form;
        el.classList.remove('has-thread');
        render();
        announce.textContent = t('This browser is now one of your messenger devices.');
      } catch {
        // Still refused (another browser took the place) or another error: shown by open().
      }
    };
    replace(
      pane,
      h(
        'div',
        { class: 'msg-form msg-limit' },
        h('h2', { id: 'msg-limit-title', tabindex: '-1' }, t('Too many messenger devices')),
        h('p', { class: 'notice' }, t('Each browser or app you use the messenger in is one of your devices, with its own keys, and an account may have {max}. Revoke one you no longer use (it will receive nothing more), and this browser takes its place.', { max: MESSENGER_LIMITS.maxDevicesPerUser })),
        list,
      ),
    );
    renderList();
    await draw();
  }

  // Syncs run one after another; a nudge during a sync asks for one more afterwards.
  let syncing = /** @type {Promise<void> | null} */ (null);
  let again = false;
  async function sync() {
    if (!client) return;
    if (syncing) {
      again = true;
      return syncing;
    }
    syncing = (async () => {
      do {
        again = false;
        try {
          const result = await client.sync();
          for (const p of result.problems) if (p.code === 'undecryptable') addProblem(p);
          conversations = await client.conversations();
          meshConvs = await client.meshConversations();
          if (currentNode) await loadDeliveries(currentNode);
          // Someone who joined the org since: learn their name before drawing (once: a member who
          // left the org stays unknown).
          const unknown = conversations.flatMap((c) => c.members.map((/** @type {any} */ m) => m.userId)).filter((u) => !people.has(u) && !lookedUp.has(u));
          if (unknown.length > 0) {
            for (const u of unknown) lookedUp.add(u);
            people = new Map((await client.people()).map((/** @type {any} */ p) => [p.userId, p]));
          }
          const changes = newMembershipChanges();
          const fresh = result.arrived.filter((/** @type {any} */ m) => m.type === 'text' && m.senderUser !== me);
          if (visible && fresh.length > 0 && fresh.at(-1).nodeId) {
            announce.textContent = t('New message from {name} in {conversation}', { name: nodeTitle(fresh.at(-1).nodeId), conversation: nodeTitle(fresh.at(-1).nodeId) });
          } else if (visible && fresh.length > 0) {
            const last = fresh.at(-1);
            const conv = conversations.find((x) => x.id === last.conversationId);
            announce.textContent = t('New message from {name} in {conversation}', { name: nameOf(last.senderUser), conversation: conv ? titleOf(conv) : '' });
          }
          if (visible && changes.length > 0) announceMembers.textContent = changes.join(' ');
        } catch (err) {
          showError(err);
        }
      } while (again);
    })().finally(() => (syncing = null));
    await syncing;
    render();
  }

  /** What the membership entries noted since the last look say, as sentences naming the conversation. */
  function newMembershipChanges() {
    /** @type {string[]} */
    const said = [];
    for (const c of conversations) {
      if (c.kind === 'direct') continue;
      for (const e of client.timeline(c.id)) {
        if (e.type !== 'membership' || announcedChanges.has(e.id) || Date.parse(e.at) < pageOpened) continue;
        announcedChanges.add(e.id);
        const name = memberName(e.userId);
        const conversation = titleOf(c);
        said.push(e.change === 'added' ? t('{name} was added to {conversation}', { name, conversation }) : e.change === 'left' ? t('{name} left {conversation}', { name, conversation }) : t('{name} was removed from {conversation}', { name, conversation }));
      }
    }
    return said;
  }

  /** @param {any} p */
  function addProblem(p) {
    const list = problems.get(p.conversationId) ?? [];
    if (!list.some((q) => q.messageId === p.messageId)) list.push(p);
    problems.set(p.conversationId, list.slice(-50));
    try {
      localStorage.setItem(problemsKey, JSON.stringify([...problems]));
    } catch {
      // Storage full or off: shown on this page only.
    }
  }

  function render() {
    renderList();
    renderPane();
    ctx.setBadge('messages', conversations.filter((c) => !c.muted).reduce((n, c) => n + (c.unread ?? 0), 0) + meshConvs.reduce((n, c) => n + c.unread, 0));
    void sendReadReceipt();
    void markNodeRead();
  }

  /** @param {string} nodeId */
  function nodeTitle(nodeId) {
    return meshConvs.find((c) => c.nodeId === nodeId)?.name || fleet.display(nodeId);
  }

  /** How far this device's messages to `nodeId` got, as known here (made empty the first time). @param {string} nodeId */
  function deliveriesOf(nodeId) {
    let known = deliveries.get(nodeId);
    if (!known) deliveries.set(nodeId, (known = new Map()));
    return known;
  }

  /** @param {string} nodeId */
  async function loadDeliveries(nodeId) {
    try {
      deliveries.set(nodeId, new Map((await client.meshDeliveries(nodeId)).map((/** @type {any} */ d) => [d.messageId, { status: d.status, error: d.error }])));
    } catch {
      // The states stay as last seen; the texts themselves are local.
    }
  }

  // What this user has seen of a node's conversation: this device only (nodes get no receipts).
  async function markNodeRead() {
    if (!client || !currentNode || !visible || document.hidden) return;
    const c = meshConvs.find((x) => x.nodeId === currentNode);
    if (!c || c.unread === 0) return;
    await client.markMeshRead(currentNode).catch(() => {});
    meshConvs = await client.meshConversations().catch(() => meshConvs);
    render();
  }

  /** @param {string} nodeId */
  async function openNode(nodeId) {
    currentId = null;
    currentNode = nodeId;
    delete pane.dataset.form;
    el.classList.add('has-thread');
    await loadDeliveries(nodeId);
    render();
    /** @type {HTMLElement | null} */ (pane.querySelector('textarea'))?.focus();
  }

  function meshItems() {
    return meshConvs.map((c) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: `msg-conv${c.nodeId === currentNode ? ' is-current' : ''}`, 'aria-current': c.nodeId === currentNode ? 'true' : null, title: c.nodeId, dataset: { id: `mesh:${c.nodeId}` }, onclick: () => openNode(c.nodeId) },
          h('span', { class: 'msg-conv-title' }, nodeTitle(c.nodeId)),
          h('span', { class: 'msg-conv-meta' }, h('span', { class: 'badge' }, t('Mesh node'))),
          h('span', { class: 'msg-conv-lock' }, t('Encrypted to the node')),
          c.unread > 0 ? h('span', { class: 'msg-unread' }, t({ one: '{count} unread', other: '{count} unread' }, { count: c.unread })) : null,
        ),
      ),
    );
  }

  function renderList() {
    if (conversations.length === 0 && meshConvs.length === 0) {
      replace(convList, h('li', { class: 'empty' }, t('No conversations yet. Start a direct message or a group. Texts nodes send to everyone on the mesh are in the Live feed.')));
      return;
    }
    replaceRows(
      convList,
      'id',
      conversations.map((c) => {
        const title = titleOf(c);
        const bits = [KIND_LABEL()[/** @type {'direct'} */ (c.kind)]];
        if (c.unread > 0) bits.push(t({ one: '{count} unread', other: '{count} unread' }, { count: c.unread }));
        if (c.muted) bits.push(t('muted'));
        return h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: `msg-conv${c.id === currentId ? ' is-current' : ''}`, 'aria-current': c.id === currentId ? 'true' : null, dataset: { id: c.id }, onclick: () => openConversation(c.id) },
            h('span', { class: 'msg-conv-title' }, title),
            h('span', { class: 'msg-conv-meta' }, h('span', { class: 'badge' }, KIND_LABEL()[/** @type {'direct'} */ (c.kind)]), c.muted ? h('span', { class: 'badge badge--muted' }, t('muted')) : null),
            c.unread > 0 ? h('span', { class: 'msg-unread' }, t({ one: '{count} unread', other: '{count} unread' }, { count: c.unread })) : null,
          ),
        );
      }).concat(meshItems()),
    );
  }

  /** @param {string} id */
  function openConversation(id) {
    currentId = id;
    currentNode = null;
    replyTo = null;
    editing = null;
    el.classList.add('has-thread');
    render();
    /** @type {HTMLElement | null} */ (pane.querySelector('textarea'))?.focus();
  }

  // Read receipts for what this user has seen: the open thread, on a visible page.
  async function sendReadReceipt() {
    if (!client || !currentId || !visible || document.hidden) return;
    const c = conversations.find((x) => x.id === currentId);
    if (!c || (c.unread ?? 0) === 0) return;
    const newest = client.history(currentId).filter((/** @type {any} */ m) => m.senderUser !== me && !m.deleted).at(-1);
    if (!newest || readSent.get(currentId) === newest.id) return;
    readSent.set(currentId, newest.id);
    try {
      await client.markRead(currentId, newest.id);
      conversations = await client.conversations();
      renderList();
      ctx.setBadge('messages', conversations.filter((x) => !x.muted).reduce((n, x) => n + (x.unread ?? 0), 0));
    } catch {
      // A receipt is a courtesy: a failure (e.g. keys not yet accepted) leaves the message unread here.
      readSent.delete(currentId);
    }
  }

  // A device added while this page was closed sends no event to it: the hub's list of the
  // conversation's devices shows it, and the keys are fetched (once per change, since each fetch
  // spends one of that user's one-time prekeys) so the warning shows before anyone sends.
  const devicesKey = `unibos.messenger.devices/${location.host}/${api.session?.org.id}/${me}`;
  /** @param {any} c */
  function checkDevices(c) {
    /** @type {Record<string, string>} */
    let seen = {};
    try {
      seen = JSON.parse(localStorage.getItem(devicesKey) ?? '{}') ?? {};
    } catch {
      // Unreadable: start again.
    }
    const byUser = new Map();
    for (const d of c.devices) if (d.userId !== me) byUser.set(d.userId, [...(byUser.get(d.userId) ?? []), d.deviceId].sort().join(','));
    let changedAny = false;
    for (const [userId, ids] of byUser) {
      if (seen[userId] === ids) continue;
      const known = seen[userId] !== undefined;
      seen[userId] = ids;
      changedAny = true;
      if (known) void client.safetyNumber(userId).then(() => renderPane(), () => {});
    }
    if (changedAny) {
      try {
        localStorage.setItem(devicesKey, JSON.stringify(seen));
      } catch {
        // Not kept: checked again next time.
      }
    }
  }

  function renderPane() {
    if (currentNode && client && !pane.dataset.form) {
      const nodeId = currentNode;
      renderNodeThread(pane, {
        client,
        me,
        nodeId,
        title: nodeTitle(nodeId),
        deliveries: deliveries.get(nodeId) ?? new Map(),
        back: () => {
          currentNode = null;
          el.classList.remove('has-thread');
          render();
          /** @type {HTMLElement | null} */ (convList.querySelector('button'))?.focus();
        },
        act: async (fn) => {
          clearStatus();
          try {
            await fn();
            return true;
          } catch (err) {
            showError(err);
            return false;
          } finally {
            // The thread as it is now (one drawn while a send was on its way shows it waiting).
            render();
          }
        },
        sent: (result) => {
          const known = deliveriesOf(nodeId);
          // The hub's word on how far it got can come before this answer: never put it back.
          if (!known.has(result.messageId)) known.set(result.messageId, { status: result.status, error: null });
          void client.meshConversations().then((/** @type {any[]} */ list) => {
            meshConvs = list;
            render();
          });
          render();
        },
      });
      return;
    }
    const c = conversations.find((x) => x.id === currentId);
    if (!c) {
      if (!pane.dataset.form) replace(pane, h('p', { class: 'empty' }, t('Choose a conversation, or start one.')));
      return;
    }
    delete pane.dataset.form;
    checkDevices(c);
    const changed = c.members.map((/** @type {any} */ m) => m.userId).filter((/** @type {string} */ u) => client.trustStatus(u) === 'key_changed');
    renderThread(pane, {
      client,
      conversation: c,
      me,
      title: titleOf(c),
      nameOf,
      memberName,
      canManage: ['owner', 'admin'].includes(myRole(c)),
      people: [...people.values()],
      problems: problems.get(c.id) ?? [],
      changedUsers: changed,
      replyTo,
      editing,
      maxChars: MESSENGER_MAX_TEXT_CHARS,
      expiryChoices: EXPIRY_CHOICES(),
      kindLabel: KIND_LABEL()[/** @type {'direct'} */ (c.kind)],
      deviceSince,
      back: () => {
        currentId = null;
        el.classList.remove('has-thread');
        render();
        /** @type {HTMLElement | null} */ (convList.querySelector('button'))?.focus();
      },
      setReply: (/** @type {any} */ m) => {
        replyTo = m;
        editing = null;
        renderPane();
        /** @type {HTMLElement | null} */ (pane.querySelector('textarea'))?.focus();
      },
      setEditing: (/** @type {string | null} */ id) => {
        editing = id;
        replyTo = null;
        renderPane();
        /** @type {HTMLElement | null} */ (pane.querySelector('textarea'))?.focus();
      },
      act: async (/** @type {() => Promise<unknown>} */ fn) => {
        clearStatus();
        try {
          await fn();
          return true;
        } catch (err) {
          const e = /** @type {any} */ (err);
          if (e?.code === 'E_KEY_CHANGED') {
            status.textContent = t('Not sent: a key changed. Compare the safety number first.');
            status.classList.add('is-error');
          } else if (e?.code === 'E_KEYS_CHANGED_AGAIN') {
            status.textContent = t('Nothing accepted: the keys changed again after the number was shown. Compare the new number.');
            status.classList.add('is-error');
          } else if (e?.code === 'E_CONVERSATION_CHANGED') {
            status.textContent = t('Not sent: the hub now shows this conversation otherwise than when this browser first saw it (a direct message turned into a group, or someone else in it). Someone may be trying to read along; tell an administrator.');
            status.classList.add('is-error');
          } else showError(err);
          return false;
        } finally {
          conversations = await client.conversations().catch(() => conversations);
          render();
        }
      },
      // The client library has no mute: it is a hub setting of this user, not a message.
      leave: async (/** @type {string} */ id) => {
        await api.request('POST', `/api/v1/messenger/conversations/${encodeURIComponent(id)}/leave`, {});
        currentId = null;
        el.classList.remove('has-thread');
      },
      setMuted: (/** @type {string} */ id, /** @type {boolean} */ muted) => api.request(/** @type {any} */ ('PUT'), `/api/v1/messenger/conversations/${encodeURIComponent(id)}/mute`, { muted }),
      // What the send was replying to, or editing: not a reply or an edit picked while it was on its way.
      afterSend: (/** @type {any} */ repliedTo, /** @type {string | null} */ edited) => {
        if (replyTo === repliedTo) replyTo = null;
        if (editing === edited) editing = null;
      },
    });
  }

  function showNewNode() {
    currentId = null;
    currentNode = null;
    el.classList.add('has-thread');
    pane.dataset.form = 'node';
    const nodes = fleet
      .list()
      .filter((n) => n.kind !== 'gateway')
      .map((n) => ({ id: n.id, label: meshConvs.find((c) => c.nodeId === n.id)?.name || fleet.label(n.id) }));
    renderNodePicker(pane, { nodes, start: (nodeId) => void openNode(nodeId), cancel: cancelForm });
    renderList();
  }

  function showNewDm() {
    currentId = null;
    currentNode = null;
    el.classList.add('has-thread');
    pane.dataset.form = 'dm';
    const others = [...people.values()].filter((p) => p.userId !== me);
    const pick = h('select', { id: 'msg-dm-user', required: true }, others.map((p) => h('option', { value: p.userId }, p.name && p.name !== p.email ? t('{name} ({email})', { name: p.name, email: p.email }) : p.email)));
    const form = h(
      'form',
      { class: 'msg-form', 'aria-labelledby': 'msg-dm-title' },
      h('h2', { id: 'msg-dm-title' }, t('New direct message')),
      others.length === 0 ? h('p', { class: 'notice' }, t('There is nobody else in this organisation yet.')) : h('div', { class: 'field' }, h('label', { for: 'msg-dm-user' }, t('Member')), pick),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary', disabled: others.length === 0 }, t('Start conversation')), h('button', { type: 'button', onclick: cancelForm }, t('Cancel'))),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const conv = await client.startDirect(pick.value);
        conversations = await client.conversations();
        delete pane.dataset.form;
        openConversation(conv.id);
      } catch (err) {
        showError(err);
      }
    });
    replace(pane, form);
    renderList();
    pick.focus();
  }

  function showNewGroup() {
    currentId = null;
    currentNode = null;
    el.classList.add('has-thread');
    pane.dataset.form = 'group';
    const name = h('input', { id: 'msg-group-name', required: true, maxlength: '100', autocomplete: 'off' });
    const description = h('textarea', { id: 'msg-group-desc', rows: '2', maxlength: '500' });
    const kind = h('select', { id: 'msg-group-kind' }, h('option', { value: 'group' }, t('Group: everyone writes')), h('option', { value: 'channel' }, t('Channel: admins write, members read')));
    const others = [...people.values()].filter((p) => p.userId !== me);
    const boxes = others.map((p) => h('label', { class: 'msg-check' }, h('input', { type: 'checkbox', value: p.userId }), ' ', p.name || p.email));
    const form = h(
      'form',
      { class: 'msg-form', 'aria-labelledby': 'msg-group-title' },
      h('h2', { id: 'msg-group-title' }, t('New group')),
      h('div', { class: 'field' }, h('label', { for: 'msg-group-name' }, t('Name')), name),
      h('div', { class: 'field' }, h('label', { for: 'msg-group-desc' }, t('Description (optional)')), description),
      h('div', { class: 'field' }, h('label', { for: 'msg-group-kind' }, t('Type')), kind),
      h('fieldset', { class: 'field' }, h('legend', {}, t('Members')), boxes.length ? boxes : h('p', { class: 'hint' }, t('There is nobody else in this organisation yet.'))),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, t('Create')), h('button', { type: 'button', onclick: cancelForm }, t('Cancel'))),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const members = boxes.map((b) => /** @type {HTMLInputElement} */ (b.querySelector('input'))).filter((i) => i.checked).map((i) => i.value);
      try {
        const desc = description.value.trim();
        const conv = await client.createGroup({ kind: kind.value, name: name.value.trim(), ...(desc ? { description: desc } : {}), members });
        conversations = await client.conversations();
        delete pane.dataset.form;
        openConversation(conv.id);
      } catch (err) {
        showError(err);
      }
    });
    replace(pane, form);
    renderList();
    name.focus();
  }

  async function showDevices() {
    currentId = null;
    currentNode = null;
    el.classList.add('has-thread');
    pane.dataset.form = 'devices';
    const list = h('ul', { class: 'msg-devices', 'aria-label': t('Your devices') });
    const draw = async () => {
      try {
        renderDeviceList(list, await client.devices(), {
          thisDevice: client.deviceId,
          revoke: async (d) => {
            try {
              await client.revokeDevice(d.id);
              await draw();
            } catch (err) {
              showError(err);
            }
          },
        });
      } catch (err) {
        showError(err);
      }
    };
    const back = h('button', { type: 'button', onclick: cancelForm }, t('Back'));
    replace(pane, h('div', { class: 'msg-form' }, h('h2', { id: 'msg-devices-title', tabindex: '-1' }, t('Your devices')), h('p', { class: 'hint' }, t('Each browser or app you use the messenger in has its own keys. Revoke a device you no longer have.')), list, back));
    renderList();
    /** @type {HTMLElement} */ (pane.querySelector('h2')).focus();
    await draw();
  }

  function cancelForm() {
    delete pane.dataset.form;
    el.classList.remove('has-thread');
    render();
  }

  const guard = (/** @type {() => unknown} */ fn) => async () => {
    try {
      await open();
      fn();
    } catch {
      // Shown in the status line.
    }
  };
  newDm.addEventListener('click', guard(showNewDm));
  newGroup.addEventListener('click', guard(showNewGroup));
  newNode.addEventListener('click', guard(showNewNode));
  devicesBtn.addEventListener('click', guard(showDevices));

  const onEvent = (/** @type {Event} */ e) => {
    const event = /** @type {CustomEvent} */ (e).detail;
    if (client && event.type === HUB_EVENT.MESSENGER_MESH_STATUS) {
      // How far one of this user's texts to a node got: taken by a gateway's radio, acknowledged, failed.
      const { nodeId, messageId, status, error } = event.data;
      deliveriesOf(nodeId).set(messageId, { status, error });
      if (currentNode === nodeId) renderPane();
      // The sync reads it back from the hub, which is also where a NOT_OPENED restarts the session.
      void sync();
      return;
    }
    if (!client || !SYNC_ON.has(event.type)) return;
    // The member list does not tell leaving from being removed; the event does (the next sync notes it).
    if (event.type === HUB_EVENT.CONVERSATION_UPDATED) client.noteMembershipEvent(event.data);
    if (event.type === HUB_EVENT.MESSENGER_DEVICES_CHANGED && typeof event.data?.userId === 'string') {
      // Look at the keys at once, so the warning shows before anyone tries to send, and every number
      // on screen for that user is the one over their devices now (an accept takes only what it shows).
      const userId = event.data.userId;
      void client.safetyNumber(userId).then((/** @type {any} */ r) => (safetyNumbersChanged(userId, r), render()), () => {});
    }
    void sync();
  };
  stream.addEventListener('event', onEvent);
  const onVisible = () => void sendReadReceipt();
  document.addEventListener('visibilitychange', onVisible);

  // A browser that already is a messenger device follows its conversations from the start (unread
  // counts on the navigation); one that is not gets keys only when the user opens Messages.
  void import('../vendor/messenger-client.js')
    .then(({ IndexedDbStateStore }) => new IndexedDbStateStore(storeKey).load())
    .then((saved) => (saved && !client ? open() : null))
    .catch(() => {});

  return {
    id: 'messages',
    title: t('Messages'),
    el,
    show() {
      visible = true;
      if (!client) {
        replace(pane, h('p', { class: 'empty' }, t('Choose a conversation, or start one.')));
        void open().catch(() => {});
      } else void sync();
    },
    hide() {
      visible = false;
    },
    // Signing out on purpose gives this browser's device up: revoked at the hub and its keys deleted
    // here, as a linked device signed out of Signal or WhatsApp goes. A hub that does not answer
    // within a few seconds does not keep the person signed in (the device stays in their list).
    async signOut() {
      const { IndexedDbStateStore } = await import('../vendor/messenger-client.js');
      const store = new IndexedDbStateStore(storeKey);
      /** @type {string | null} */
      let deviceId = client?.deviceId ?? null;
      if (!deviceId) {
        try {
          const saved = await store.load();
          deviceId = saved ? (JSON.parse(saved).deviceId ?? null) : null;
        } catch {
          // Unreadable here (sealed on another page): the keys go all the same.
        }
      }
      if (deviceId) {
        /** @type {ReturnType<typeof setTimeout> | undefined} */
        let timer;
        const giveUp = new Promise((resolve) => (timer = setTimeout(resolve, SIGN_OUT_WAIT_MS)));
        await Promise.race([api.request('DELETE', `/api/v1/messenger/devices/${encodeURIComponent(deviceId)}`).catch(() => {}), giveUp]);
        clearTimeout(timer);
      }
      client = null;
      await store.remove().catch(() => {});
      for (const key of [problemsKey, devicesKey]) localStorage.removeItem(key);
    },
    destroy() {
      stream.removeEventListener('event', onEvent);
      document.removeEventListener('visibilitychange', onVisible);
    },
  };
}
