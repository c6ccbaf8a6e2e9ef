// The start of a browser test of what the mesh reports: Chromium, a hub (receptions not held
// back for deduplication), its admin, and a gateway claimed into the admin's org.

import type { TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import { startTestHub, type TestHub } from './test-hub.ts';
import { createAdminSession, type TestSession } from './test-auth.ts';
import { TestGateway } from './test-gateway.ts';
import { launch } from './ui-browser.ts';

export async function browserAndGateway(t: TestContext): Promise<{ browser: Browser; hub: TestHub; admin: TestSession; gw: TestGateway }> {
  const browser = await launch();
  t.after(() => browser.close());
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  return { browser, hub, admin, gw };
}
