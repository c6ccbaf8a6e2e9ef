// The hub API as the page uses it. The access token lives only in memory; the refresh token in
// sessionStorage (survives a reload of this tab, not a closed browser). A 401 E_AUTH_EXPIRED is
// answered by one refresh (shared by every request that hit it) and a retry.

import { t } from './i18n.js';

const REFRESH_KEY = 'unibos.refreshToken';

/**
 * @typedef {{ id: string, email: string, name: string }} User
 * @typedef {{ id: string, name: string, role: string }} OrgRef
 * @typedef {{ accessToken: string, refreshToken: string, expiresIn: number, user: User, org: OrgRef, orgs: OrgRef[] }} Session
 */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
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
    return this.#adopt(await this.#send('POST', '/api/v1/auth/login', { email, password }, false));
  }

  /** @param {{ token: string, email: string, password: string, name?: string, orgName?: string }} body */
  async setup(body) {
    return this.#adopt(await this.#send('POST', '/api/v1/setup', body, false));
  }

  /** Exchanges the stored refresh token for a new session (rotation: the old one is spent). */
  refresh() {
    this.#refreshing ??= (async () => {
      const refreshToken = sessionStorage.getItem(REFRESH_KEY);
      if (!refreshToken) throw new ApiError(401, 'E_AUTH_REQUIRED', 'not signed in');
      try {
        return this.#adopt(await this.#send('POST', '/api/v1/auth/refresh', { refreshToken }, false));
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) this.#signedOut(t('Your session has ended; please sign in again.'));
        throw err;
      }
    })().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async logout() {
    const refreshToken = sessionStorage.getItem(REFRESH_KEY);
    this.#signedOut(null);
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
        this.#signedOut('Your session is no longer valid; please sign in again.');
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
      throw new ApiError(res.status, code, message);
    }
    return data;
  }

  /** @param {Session} session */
  #adopt(session) {
    this.#accessToken = session.accessToken;
    this.#session = session;
    sessionStorage.setItem(REFRESH_KEY, session.refreshToken);
    // Renew a little before expiry so the event stream can always reconnect with a live token.
    clearTimeout(this.#renewTimer);
    const inMs = Math.max(10, Number(session.expiresIn) || 60) * 800;
    this.#renewTimer = setTimeout(() => void this.refresh().catch(() => {}), inMs);
    this.dispatchEvent(new CustomEvent('session', { detail: session }));
    return session;
  }

  /** @param {string | null} reason */
  #signedOut(reason) {
    const wasSignedIn = this.#session !== null || sessionStorage.getItem(REFRESH_KEY) !== null;
    clearTimeout(this.#renewTimer);
    this.#accessToken = null;
    this.#session = null;
    sessionStorage.removeItem(REFRESH_KEY);
    if (wasSignedIn) this.dispatchEvent(new CustomEvent('signedout', { detail: { reason } }));
  }
}
