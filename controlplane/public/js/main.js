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
  let notice;
  try {
    const setup = await api.getPublic('/api/v1/setup');
    if (setup?.needed) notice = t('This hub has not been set up yet. Open the one-time setup link the hub printed when it first started.');
  } catch {
    // Unknown: show the form anyway.
  }
  showLogin(notice ? { notice } : {});
}

void boot();
