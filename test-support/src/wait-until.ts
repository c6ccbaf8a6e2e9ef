// Waiting on conditions without sleeping: a condition is re-checked whenever one of the given
// emitters fires one of the given events, and the wait fails with a message after a deadline.

import type { EventEmitter } from 'node:events';

export interface Trigger {
  emitter: EventEmitter;
  event: string;
}

export function waitUntil(condition: () => boolean, what: string, triggers: Trigger[], timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      let ok = false;
      try {
        ok = condition();
      } catch (err) {
        cleanup();
        reject(err as Error);
        return;
      }
      if (ok) {
        cleanup();
        resolve();
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      for (const t of triggers) t.emitter.off(t.event, check);
    };
    for (const t of triggers) t.emitter.on(t.event, check);
    check();
  });
}
