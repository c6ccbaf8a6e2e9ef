// The demo's scripted traffic: check-in texts from the simulated nodes in turn, and one node's SOS
// and its "I am safe" minutes later. The story never contradicts itself: a node whose SOS is open
// (raised by this script, by its check-in answer "needs help", or by `unibos sos`) sends no "all
// well" text until it has said "I am safe" (or the hub resolved it).

import { sosOpen, type SosStatus } from '@unibos/firmware';
import { cliLang, say, type CliLang } from './cli-language.ts';

/** The part of a running node the script drives. */
export interface TrafficDevice {
  readonly name: string;
  sendText(text: string): unknown;
  raiseSos(): unknown;
  imSafe(): unknown;
  readonly sosStatus: SosStatus;
}

export interface TrafficTimes {
  /** Between two check-in texts. */
  checkinEveryMs: number;
  sosAfterMs: number;
  safeAfterMs: number;
}

export const DEMO_TRAFFIC: TrafficTimes = { checkinEveryMs: 25_000, sosAfterMs: 40_000, safeAfterMs: 280_000 };

/** The time as the person would type it: the machine's local time, as the admin UI shows times. */
function hhmm(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 5);
}

/**
 * Check-in texts in turn (a node with an open SOS is passed over), written in the language of the
 * person running the demo; node 3 raises an SOS and is safe again later.
 */
export function startTraffic(devices: TrafficDevice[], times: TrafficTimes = DEMO_TRAFFIC, now: () => number = Date.now, lang: CliLang = cliLang()): { stop(): void } {
  const timers: NodeJS.Timeout[] = [];
  let n = 0;
  timers.push(
    setInterval(() => {
      // The next node in turn that is not asking for help; none this round if every node is.
      for (let tries = 0; tries < devices.length; tries++) {
        const from = devices[n++ % devices.length]!;
        if (sosOpen(from.sosStatus)) continue;
        try {
          from.sendText(say('check-in {time}: all well at {name}', { time: hhmm(now()), name: from.name }, lang));
        } catch {
          // A full outbox in a long demo: skip this check-in.
        }
        return;
      }
    }, times.checkinEveryMs),
  );
  const sos = devices[Math.min(2, devices.length - 1)]!;
  timers.push(setTimeout(() => sos.raiseSos(), times.sosAfterMs));
  timers.push(setTimeout(() => sos.imSafe(), times.safeAfterMs));
  return { stop: () => timers.forEach((t) => clearTimeout(t)) };
}
