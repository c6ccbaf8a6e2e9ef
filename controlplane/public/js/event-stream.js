// The hub's live event stream (/ws). After a drop it reconnects with `since=<last id seen>`, so
// the server replays what was missed; ids already seen are dropped. A 4001 close (token no
// longer accepted) refreshes the session first. A refusal for too many streams (4029: this
// account's other tabs and devices hold them all; 1013: the hub holds its most) is said, as
// `reason`, and tried again at the longest interval, not hammered.

/**
 * @typedef {{ id: number, topic: string, type: import('./hub-events.js').HubEventType, ts: number, data: any }} HubEvent
 * @typedef {'connecting' | 'live' | 'reconnecting' | 'stopped'} StreamState
 * @typedef {'too-many-streams' | 'hub-full' | null} StreamRefusal
 */

const MAX_BACKOFF_MS = 15_000;
/** Close codes the hub refuses a stream with (src/events/event-stream-messages.ts). */
const REFUSALS = /** @type {Record<number, StreamRefusal>} */ ({ 4029: 'too-many-streams', 1013: 'hub-full' });

export class EventStream extends EventTarget {
  /** @type {WebSocket | null} */
  #ws = null;
  /** @type {number | null} */
  #lastId = null;
  #attempt = 0;
  #stopped = true;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  /** @type {StreamState} */
  #state = 'stopped';
  /** @type {StreamRefusal} */
  #reason = null;

  /**
   * @param {{ token: () => string | null, refresh: () => Promise<unknown> }} auth
   */
  constructor(auth) {
    super();
    this.auth = auth;
  }

  get state() {
    return this.#state;
  }

  /** Why the hub refused the last try, while reconnecting: a person can do something about it. */
  get reason() {
    return this.#reason;
  }

  get lastId() {
    return this.#lastId;
  }

  start() {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const ws = this.#ws;
    this.#ws = null;
    if (ws) ws.close(1000, 'signed out');
    this.#lastId = null;
    this.#setState('stopped');
  }

  #connect() {
    const token = this.auth.token();
    if (!token) {
      void this.#refreshThenRetry();
      return;
    }
    this.#setState(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    const params = new URLSearchParams({ token });
    if (this.#lastId !== null) params.set('since', String(this.#lastId));
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws?${params}`);
    this.#ws = ws;
    ws.addEventListener('message', (e) => {
      if (this.#ws !== ws) return;
      this.#onMessage(e.data);
    });
    ws.addEventListener('close', (e) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      if (this.#stopped) return;
      if (e.code === 4001) void this.#refreshThenRetry();
      else this.#retryLater(REFUSALS[e.code] ?? null);
    });
  }

  /** @param {unknown} raw */
  #onMessage(raw) {
    /** @type {any} */
    let msg;
    try {
      msg = JSON.parse(String(raw));
    } catch {
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    if (msg.type === 'hello') {
      this.#attempt = 0;
      this.#reason = null;
      // A first connection starts at the server's newest event; a resumed one keeps its own mark.
      if (this.#lastId === null && typeof msg.lastId === 'number') this.#lastId = msg.lastId;
      this.#setState('live');
      this.dispatchEvent(new CustomEvent('hello', { detail: msg }));
      return;
    }
    if (msg.type === 'event' || (typeof msg.topic === 'string' && typeof msg.id === 'number')) {
      if (typeof msg.id !== 'number') return;
      // A live-only event (never stored: typing, a sensor reading the hub had no room to keep) repeats
      // the last stored id: it is no repeat, and moves no mark.
      if (msg.ephemeral !== true) {
        if (this.#lastId !== null && msg.id <= this.#lastId) return;
        this.#lastId = msg.id;
      }
      // The envelope's `type` is 'event' and carries the event type in `type` too (api.md); some
      // servers name it `event`. Prefer whichever is a dotted event type.
      const type = [msg.eventType, msg.event, msg.type].find((t) => typeof t === 'string' && t.includes('.')) ?? String(msg.type);
      /** @type {HubEvent} */
      const event = { id: msg.id, topic: String(msg.topic ?? type.split('.')[0]), type, ts: typeof msg.ts === 'number' ? msg.ts : Date.now(), data: msg.data ?? {} };
      this.dispatchEvent(new CustomEvent('event', { detail: event }));
    }
  }

  async #refreshThenRetry() {
    try {
      await this.auth.refresh();
    } catch {
      // Signed out (the app stops the stream) or the hub is unreachable (retry below).
    }
    if (!this.#stopped) this.#retryLater();
  }

  /** @param {StreamRefusal} [reason] */
  #retryLater(reason = null) {
    const changed = reason !== this.#reason;
    this.#reason = reason;
    if (changed && this.#state === 'reconnecting') this.dispatchEvent(new CustomEvent('state', { detail: this.#state }));
    this.#setState('reconnecting');
    // Refused for too many streams: a slot frees when a person closes a tab, not in half a second.
    const delay = (reason ? MAX_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.#attempt)) * (0.75 + Math.random() * 0.5);
    this.#attempt++;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (!this.#stopped) this.#connect();
    }, delay);
  }

  /** @param {StreamState} state */
  #setState(state) {
    if (state === this.#state) return;
    this.#state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }
}
