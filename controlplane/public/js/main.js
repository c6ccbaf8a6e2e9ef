// Entry point of the admin UI: decides between first-run setup, sign-in and the signed-in app,
// and moves between them as the session starts and ends.

import { ApiClient } from './api-client.js';
import { t } from './i18n.js';
import { createShell } from './shell.js';
import { renderLogin } from './views/login-view.js';
import { renderSetup } from './views/setup-view.js';

/** @typedef {{ mapTileUrl: string | null, region?: { url: string, minZoom: number, maxZoom: number, bounds: number[] | null, attribution: string | null } | null }} UiConfig */

const root = /** @type {HTMLElement} */ (document.getElementById('app'));
const api = new ApiClient();
/** @type {UiConfig} */
let uiConfig = { mapTileUrl: null };
/** @type {{ destroy(): void } | null} */
let shell = null;
/** Whether the sign-in form has been shown (it may carry why the login ended). */
let loginShown = false;

api.addEventListener('signedout', (e) => {
  const reason = /** @type {CustomEvent<{ reason: import('./api-client.js').SignedOutReason | null }>} */ (e).detail.reason;
  showLogin(reason ? { reason } : {});
});

/** @param {{ reason?: import('./api-client.js').SignedOutReason, notice?: string }} [opts] */
function showLogin(opts = {}) {
  loginShown = true;
  shell?.destroy();
  shell = null;
  renderLogin(root, api, { ...opts, onSignedIn: showApp });
}

function showApp() {
  shell?.destroy();
  shell = createShell(root, { api, config: uiConfig });
}

function setupToken() {
  const m = /^#setup=([^&]+)/.exec(location.hash);
  return m && m[1] ? decodeURIComponent(m[1]) : null;
}

async function boot() {
  try {
    uiConfig = { mapTileUrl: null, region: null, ...(await api.getPublic('/api/v1/ui-config')) };
  } catch {
    // The offline map needs no settings.
  }
  const token = setupToken();
  // A setup link for a hub already set up: said at once, over the sign-in form, not after the
  // setup form was filled in. Unknown (the hub unreachable): the setup form, as before.
  if (token && (await setupNeeded()) === false) {
    history.replaceState(null, '', location.pathname);
    showLogin({ notice: t('This hub is already set up.') });
    return;
  }
  if (token) {
    renderSetup(root, api, {
      token,
      onDone: () => {
        history.replaceState(null, '', `${location.pathname}#/fleet`);
        showApp();
      },
      onSignIn: () => {
        history.replaceState(null, '', location.pathname);
        showLogin();
      },
    });
    return;
  }
  if (api.hasStoredSession()) {
    try {
      await api.resume();
      showApp();
      return;
    } catch {
      // The login ended (signed out in another tab, expired): the signedout handler shows the
      // form with why, which the form below would replace. Else (the hub unreachable) fall through.
      if (loginShown) return;
    }
  }
  // Unknown: the form anyway.
  const notice = (await setupNeeded()) ? t('This hub has not been set up yet. Open the one-time setup link the hub printed when it first started.') : null;
  showLogin(notice ? { notice } : {});
}

/** Whether the hub still needs its first admin; null when it could not say. @returns {Promise<boolean | null>} */
async function setupNeeded() {
  try {
    const setup = await api.getPublic('/api/v1/setup');
    return typeof setup?.needed === 'boolean' ? setup.needed : null;
  } catch {
    return null;
  }
}

void boot();
