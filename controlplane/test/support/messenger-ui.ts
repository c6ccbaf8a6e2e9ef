// The start of a messenger browser test: a hub, Alice (its admin, who uses the admin UI in the
// browser) and Bob (a member with a messenger client of his own, outside the browser).

import type { TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { MemoryStateStore, MessengerClient } from '../../../messenger-client/src/index.ts';
import { startTestHub } from './test-hub.ts';
import { createAdminSession, createOrgUser, type TestSession } from './test-auth.ts';
import type { TestHub } from './test-hub.ts';
import { launch } from './ui-browser.ts';

export interface AliceAndBob {
  browser: Browser;
  /** The hub as the browser reaches it (see `lanName`). */
  hub: TestHub;
  /** The hub's URL from this process (the browser's LAN name resolves only in the browser). */
  localUrl: string;
  alice: TestSession;
  bob: TestSession;
  bobClient: MessengerClient;
}

/** `lanName`: the browser reaches the hub by this name (an insecure origin, as on a LAN), not 127.0.0.1. */
export async function aliceAndBob(t: TestContext, options: { lanName?: string } = {}): Promise<AliceAndBob> {
  const browser = await launch(options.lanName ? [`--host-resolver-rules=MAP ${options.lanName} 127.0.0.1`] : []);
  t.after(() => browser.close());
  const started = await startTestHub();
  t.after(() => started.stop());
  const hub = options.lanName ? { ...started, url: started.url.replace('127.0.0.1', options.lanName) } : started;
  const alice = await createAdminSession(started);
  const bob = await createOrgUser(started, alice, 'member');
  const bobClient = await MessengerClient.open({ hubUrl: started.url, auth: async () => bob.accessToken, store: new MemoryStateStore(), deviceName: 'bob laptop' });
  return { browser, hub, localUrl: started.url, alice, bob, bobClient };
}

/** Alice, on the Messages screen, starts a direct conversation with `with`. */
export async function startDirect(page: Page, with_: TestSession): Promise<void> {
  await page.getByRole('button', { name: 'New direct message' }).click();
  await page.getByLabel('Member', { exact: true }).selectOption(with_.userId);
  await page.getByRole('button', { name: 'Start conversation' }).click();
}
