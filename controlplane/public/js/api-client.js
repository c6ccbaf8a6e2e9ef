// The hub API as the page uses it. The access token lives only in memory; the refresh token in
// sessionStorage (survives a reload of this tab, not a closed browser). A 401 E_AUTH_EXPIRED is
// answered by one refresh (shared by every request that hit it) and a retry.
//
// Each refresh spends the token (rotation). A reload while a refresh is on its way presents the
// spent token again: the hub answers that with the same successor for a short while (docs/api.md).
// A duplicated tab starts with a copy of this tab's sessionStorage, the same token: rather than
// spend it (this tab would present it spent at its next renewal and the hub would end the login),
// it asks this tab, over a BroadcastChannel, for a login of its own. Every tab of the origin hears
// that channel, whoever is signed in there: the question names the token by a random tag, and the
// answer is the new refresh token XORed with the shared one (a one-time pad only the two hold).
// Signing out in one tab signs the same user out in every tab of this browser (each ends its own
// login at the hub), as a person at a shared computer expects of "Sign out": running tabs hear it
// on the channel, and the time is kept in localStorage, so a login that began before it and is
// renewed later (a tab loading or restored meanwhile, a renewal on its way) is ended then.

import { t } from './i18n.js';

const REFRESH_KEY = 'unibos.refreshToken';
/** A random, public name for the stored refresh token (the token itself never goes on the channel). */
const TAG_KEY = 'unibos.refreshTag';
/** Set while a page of this tab runs; a reload clears it first, so at start-up it means "copied from a running tab". */
const RUNNING_KEY = 'unibos.tabRunning';
const CHANNEL = 'unibos.session';
/** When this tab's login began (sessionStorage): renewals keep it, a new sign-in or own login resets it. */
const LOGIN_AT_KEY = 'unibos.loginAt';
/** Per user, when they last signed out in this browser (localStorage, shared by its tabs). */
const SIGNED_OUT_KEY = 'unibos.signedOut';
const SIGNED_OUT_USERS_KEPT = 20;
/** How long a copied tab waits for the tab it was copied from before it spends the token itself. */
const OWN_LOGIN_WAIT_MS = 1500;

/**
 * @typedef {{ id: string, email: string, name: string }} User
 * @typedef {{ id: string, name: string, role: string }} OrgRef
 * @typedef {{ accessToken: string, refreshToken: string, expiresIn: number, user: User, org: OrgRef, orgs: OrgRef[] }} Session
 * @typedef {'signed-out-elsewhere' | 'session-ended' | 'session-invalid'} SignedOutReason Why a login ended without this tab's own sign-out.
 */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {number | null} [retryAfterS]
   * @param {{ code: string, params: Record<string, string | number> } | null} [problem]
   */
  constructor(status, code, message, retryAfterS = null, problem = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    /** Seconds the hub asked to wait (its Retry-After), when it said. @type {number | null} */
    this.retryAfterS = retryAfterS;
    /** A module's refusal by code and values, for a screen to say in its reader's language. */
    this.problem = problem;
  }
}

export class ApiClient extends EventTarget {
  /** @type {string | null} */
  #accessToken = null;
  /** @type {Session | null} */
  #session = null;
  /** @type {Promise<Session> | null} */
  #refreshing = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #renewTimer;
  /** The refresh token this tab spent last, with its tag (a copy of this tab may still hold it). @type {{ tag: string | null, token: string } | null} */
  #spent = null;
  /** Whether this page started with another running tab's sessionStorage (Duplicate tab). */
  #copied = false;
  /** @type {BroadcastChannel | null} */
  #channel = null;

  constructor() {
    super();
    this.#copied = sessionStorage.getItem(RUNNING_KEY) !== null;
    sessionStorage.setItem(RUNNING_KEY, '1');
    addEventListener('pagehide', () => sessionStorage.removeItem(RUNNING_KEY));
    addEventListener('pageshow', () => sessionStorage.setItem(RUNNING_KEY, '1'));
    if (typeof BroadcastChannel === 'function') {
      this.#channel = new BroadcastChannel(CHANNEL);
      this.#channel.addEventListener('message', (e) => void this.#onTabMessage(e.data));
    }
  }

  /** The current session (user, org); null when signed out. */
  get session() {
    return this.#session;
  }

  get accessToken() {
    return this.#accessToken;
  }

  hasStoredSession() {
    return sessionStorage.getItem(REFRESH_KEY) !== null;
  }

  /**
   * @param {string} email
   * @param {string} password
   */
  async login(email, password) {
    const session = await this.#send('POST', '/api/v1/auth/login', { email, password }, false);
    sessionStorage.setItem(LOGIN_AT_KEY, String(Date.now()));
    return this.#adopt(session);
  }

  /** @param {{ token: string, email: string, password: string, name?: string, orgName?: string }} body */
  async setup(body) {
    const session = await this.#send('POST', '/api/v1/setup', body, false);
    sessionStorage.setItem(LOGIN_AT_KEY, String(Date.now()));
    return this.#adopt(session);
  }

  /**
   * At start-up: the session this tab had. A copy of a running tab gets a login of its own from
   * that tab; otherwise (a reload, or nobody answers) the stored token is exchanged.
   */
  async resume() {
    if (this.#copied) {
      this.#copied = false;
      const own = await this.#askForOwnLogin();
      if (own) {
        sessionStorage.setItem(REFRESH_KEY, own);
        sessionStorage.setItem(LOGIN_AT_KEY, String(Date.now()));
      }
    }
    return this.refresh();
  }

  /** Exchanges the stored refresh token for a new session (rotation: the old one is spent). */
  refresh() {
    this.#refreshing ??= (async () => {
      const refreshToken = sessionStorage.getItem(REFRESH_KEY);
      if (!refreshToken) throw new ApiError(401, 'E_AUTH_REQUIRED', 'not signed in');
      try {
        const tag = sessionStorage.getItem(TAG_KEY);
        const session = await this.#send('POST', '/api/v1/auth/refresh', { refreshToken }, false);
        this.#spent = { tag, token: refreshToken };
        if (signedOutSince(session.user.id, Number(sessionStorage.getItem(LOGIN_AT_KEY)) || 0)) {
          // The user signed out in another tab after this login began: end it, renewed or not.
          this.#signedOut('signed-out-elsewhere');
          await this.#send('POST', '/api/v1/auth/logout', { refreshToken: session.refreshToken }, false).catch(() => undefined);
          throw new ApiError(401, 'E_AUTH_REQUIRED', t('You signed out in another tab.'));
        }
        return this.#adopt(session);
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) this.#signedOut('session-ended');
        throw err;
      }
    })().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async logout() {
    const user = this.#session?.user.id;
    if (user) {
      recordSignOut(user);
      this.#channel?.postMessage({ type: 'signed-out', user });
    }
    await this.#endLogin(null);
  }

  /**
   * Signs this tab out and ends its login at the hub.
   * @param {SignedOutReason | null} reason
   */
  async #endLogin(reason) {
    const refreshToken = sessionStorage.getItem(REFRESH_KEY);
    this.#signedOut(reason);
    if (refreshToken) {
      try {
        await this.#send('POST', '/api/v1/auth/logout', { refreshToken }, false);
      } catch {
        // Signed out locally either way; the token expires on its own.
      }
    }
  }

  /**
   * An authenticated request; refreshes once on E_AUTH_EXPIRED.
   * @param {'GET' | 'POST' | 'PATCH' | 'DELETE'} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async request(method, path, body) {
    if (!this.#accessToken) await this.refresh();
    try {
      return await this.#send(method, path, body, true);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
      if (err.code !== 'E_AUTH_EXPIRED') {
        this.#signedOut('session-invalid');
        throw err;
      }
      await this.refresh();
      return this.#send(method, path, body, true);
    }
  }

  /** @param {string} path */
  get(path) {
    return this.request('GET', path);
  }

  /**
   * @param {string} path
   * @param {unknown} [body]
   */
  post(path, body) {
    return this.request('POST', path, body);
  }

  /**
   * Unauthenticated GET (setup state, UI config).
   * @param {string} path
   */
  getPublic(path) {
    return this.#send('GET', path, undefined, false);
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} body
   * @param {boolean} auth
   */
  async #send(method, path, body, auth) {
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth && this.#accessToken) headers.authorization = `Bearer ${this.#accessToken}`;
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'E_NETWORK', t('The hub cannot be reached.'));
    }
    if (res.status === 204) return null;
    const text = await res.text();
    /** @type {any} */
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!res.ok) {
      const code = data && typeof data.code === 'string' ? data.code : `E_HTTP_${res.status}`;
      const message = data && typeof data.message === 'string' ? data.message : `${res.status} ${res.statusText}`;
      const retryAfter = Number(res.headers.get('retry-after') ?? NaN);
      const problem = data && data.problem && typeof data.problem.code === 'string' ? { code: data.problem.code, params: data.problem.params ?? {} } : null;
      throw new ApiError(res.status, code, message, Number.isFinite(retryAfter) && retryAfter >= 0 ? Math.ceil(retryAfter) : null, problem);
    }
    return data;
  }

  /** @param {Session} session */
  #adopt(session) {
    this.#accessToken = session.accessToken;
    this.#session = session;
    sessionStorage.setItem(REFRESH_KEY, session.refreshToken);
    sessionStorage.setItem(TAG_KEY, randomTag());
    // Renew a little before expiry so the event stream can always reconnect with a live token.
    clearTimeout(this.#renewTimer);
    const inMs = Math.max(10, Number(session.expiresIn) || 60) * 800;
    this.#renewTimer = setTimeout(() => void this.refresh().catch(() => {}), inMs);
    this.dispatchEvent(new CustomEvent('session', { detail: session }));
    return session;
  }

  /**
   * A copy's question to the tab it was copied from; the refresh token of a login of its own, or
   * null when nobody answers in time (then it was a restored tab, not a copy) or the answer is empty.
   * @returns {Promise<string | null>}
   */
  #askForOwnLogin() {
    const channel = this.#channel;
    const shared = sessionStorage.getItem(REFRESH_KEY);
    const tag = sessionStorage.getItem(TAG_KEY);
    if (!channel || !shared || !tag) return Promise.resolve(null);
    const id = randomTag();
    return new Promise((resolve) => {
      /** @param {MessageEvent} e */
      const onMessage = (e) => {
        if (e.data?.type === 'own-login' && e.data.id === id) done(typeof e.data.sealed === 'string' ? xorTokens(e.data.sealed, shared) : null);
      };
      /** @param {string | null} token */
      const done = (token) => {
        clearTimeout(timer);
        channel.removeEventListener('message', onMessage);
        resolve(token);
      };
      const timer = setTimeout(() => done(null), OWN_LOGIN_WAIT_MS);
      channel.addEventListener('message', onMessage);
      channel.postMessage({ type: 'own-login?', id, tag });
    });
  }

  /**
   * Another tab signed its user out: so does this tab if it is the same user's. Or a copy of this
   * tab asks for a login of its own: a new session in the same org (its own
   * refresh-token family), so neither tab ever presents a token the other has spent.
   * @param {any} m
   */
  async #onTabMessage(m) {
    if (m?.type === 'signed-out' && this.#session && m.user === this.#session.user.id) return this.#endLogin('signed-out-elsewhere');
    if (m?.type !== 'own-login?' || !this.#session || typeof m.tag !== 'string') return;
    const spent = this.#spent;
    const shared = m.tag === sessionStorage.getItem(TAG_KEY) ? sessionStorage.getItem(REFRESH_KEY) : spent && m.tag === spent.tag ? spent.token : null;
    if (!shared) return;
    /** @type {string | null} */
    let sealed = null;
    try {
      const session = await this.post('/api/v1/auth/switch-org', { orgId: this.#session.org.id });
      // Signed out while it was being made: the copy gets nothing, and the login is ended.
      if (this.#session === null) await this.#send('POST', '/api/v1/auth/logout', { refreshToken: session.refreshToken }, false);
      else sealed = xorTokens(session.refreshToken, shared);
    } catch {
      // The copy falls back to spending the token.
    }
    this.#channel?.postMessage({ type: 'own-login', id: m.id, sealed });
  }

  /**
   * The `signedout` event carries why by code, not by sentence: the sign-in page says it in the
   * language chosen there, also after a language switch reloads it.
   * @param {SignedOutReason | null} reason
   */
  #signedOut(reason) {
    const wasSignedIn = this.#session !== null || sessionStorage.getItem(REFRESH_KEY) !== null;
    clearTimeout(this.#renewTimer);
    this.#accessToken = null;
    this.#session = null;
    sessionStorage.removeItem(REFRESH_KEY);
    sessionStorage.removeItem(TAG_KEY);
    sessionStorage.removeItem(LOGIN_AT_KEY);
    if (wasSignedIn) this.dispatchEvent(new CustomEvent('signedout', { detail: { reason } }));
  }
}

/** @returns {Record<string, number>} */
function signOuts() {
  try {
    const v = JSON.parse(localStorage.getItem(SIGNED_OUT_KEY) ?? '{}');
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

/** @param {string} user */
function recordSignOut(user) {
  const all = { ...signOuts(), [user]: Date.now() };
  const kept = Object.entries(all).sort((a, b) => b[1] - a[1]).slice(0, SIGNED_OUT_USERS_KEPT);
  try {
    localStorage.setItem(SIGNED_OUT_KEY, JSON.stringify(Object.fromEntries(kept)));
  } catch {
    // Storage off: running tabs still hear the channel.
  }
}

/**
 * Whether `user` signed out in this browser at or after `sinceMs`.
 * @param {string} user
 * @param {number} sinceMs
 */
function signedOutSince(user, sinceMs) {
  const at = signOuts()[user];
  return typeof at === 'number' && at >= sinceMs;
}

function randomTag() {
  return bytesToBase64url(crypto.getRandomValues(new Uint8Array(12)));
}

/**
 * Two refresh tokens (base64url of 32 random bytes) XORed: sealed with one, the other comes back
 * with it. Null when they are not the same length.
 * @param {string} a
 * @param {string} b
 */
function xorTokens(a, b) {
  const x = base64urlToBytes(a);
  const y = base64urlToBytes(b);
  if (!x || !y || x.length !== y.length) return null;
  return bytesToBase64url(x.map((v, i) => v ^ /** @type {number} */ (y[i])));
}

/** @param {string} s */
function base64urlToBytes(s) {
  try {
    return Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** @param {Uint8Array} bytes */
function bytesToBase64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
