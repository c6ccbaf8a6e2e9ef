// Waiting for what the hub says happened: resolves with the first event (already logged after
// `afterId`, or arriving live) that matches, or fails after a deadline. No polling, no sleeps.

import type { HubEvent as TypedHubEvent } from '../../src/events/hub-event.ts';
import type { TestHub } from './test-hub.ts';

/** An event as tests read it: its data a plain document (each test knows which type it waits for). */
export type HubEvent = Omit<TypedHubEvent, 'data'> & { data: Record<string, unknown> };

export function waitForEvent(hub: TestHub, orgId: string, match: (e: HubEvent) => boolean, options: { afterId?: number; timeoutMs?: number; what?: string } = {}): Promise<HubEvent> {
  const events = hub.app.events as unknown as { subscribe(listener: (e: HubEvent) => void): () => void; after(orgId: string, afterId: number, limit: number): HubEvent[] };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${options.what ?? 'a hub event'}`));
    }, options.timeoutMs ?? 15_000);
    const off = events.subscribe((e) => {
      if (e.orgId === orgId && match(e)) {
        clearTimeout(timer);
        off();
        resolve(e);
      }
    });
    const past = events.after(orgId, options.afterId ?? 0, 100_000).find(match);
    if (past) {
      clearTimeout(timer);
      off();
      resolve(past);
    }
  });
}
