// The demo's emergency story: birlikteyiz enabled with a local fixture feed (USGS format, no
// internet needed) whose quake "happens" near the demo nodes a minute and a half after start, so
// a newcomer sees the quake alert, the EARTHQUAKE frame on the nodes and a check-in round within
// the first minutes; the simulated nodes answer it as people would (two press "I am safe", one
// holds for help, the others stay silent). Each node runs birlikteyiz's device handler because its
// config names the module (`modules`, `moduleOptions`), as a field node would.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { RunningHub } from '@unibos/controlplane';
import { usgsFeedDocument, type CheckinAnswererOptions } from '@unibos/module-birlikteyiz';
import { cliLang } from './cli-language.ts';

/** After start: the quake time, and how each node answers (index: answer, delay). */
const QUAKE_AFTER_MS = 90_000;
const ANSWERS: Array<CheckinAnswererOptions> = [
  { answer: 'safe', delayMs: 6_000 },
  { answer: 'safe', delayMs: 14_000 },
  { answer: 'none' },
  { answer: 'help', delayMs: 20_000 },
];

/** Where the demo's quake strikes, as each language says it (the place is words, not a town's name a feed could give). */
const DEMO_PLACE = { en: '6 km NE of the demo gateway', tr: 'demo ağ geçidi (6 km KD)' };

/** The node config keys that make demo node `index` run birlikteyiz's check-in answerer. */
export function demoNodeModules(index: number): { modules: string[]; moduleOptions: Record<string, CheckinAnswererOptions> } {
  return { modules: ['birlikteyiz'], moduleOptions: { birlikteyiz: { ...(ANSWERS[index] ?? { answer: 'none' }) } } };
}

export async function startDemoBirlikteyiz(hub: RunningHub, center: { latitude: number; longitude: number }, logger: Logger): Promise<{ stop(): Promise<void> }> {
  const quakeMs = Date.now() + QUAKE_AFTER_MS;
  // The alerts on the nodes in the language the demo was started in (birlikteyiz's `language`).
  const language = cliLang();
  const server: Server = createServer((_req, res) => {
    // Before the quake "happens" the feed is empty, as a real one would be. Its id is this run's, so a
    // demo started again on its kept state (`~/.unibos/demo`) has a new quake, not one already seen.
    // Its place in both languages (the feed's `places`): the hub's screen shows each reader theirs, whatever
    // language the demo was started in (that only chooses the words that go to the nodes).
    const quakes = Date.now() >= quakeMs ? [{ id: `demo-quake-${quakeMs}`, latitude: center.latitude + 0.045, longitude: center.longitude + 0.05, depthKm: 9, magnitude: 5.4, timeMs: quakeMs, place: DEMO_PLACE.en, places: DEMO_PLACE }] : [];
    res.writeHead(200, { 'content-type': 'application/json' }).end(usgsFeedDocument(quakes, Date.now()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/summary/2.5_hour.geojson`;
  try {
    // The fixture feed only: the demo makes no request outside this machine.
    await hub.app.modules.configure('birlikteyiz', { usgsUrl: url, emscUrl: '', afadUrl: '', kandilliUrl: '', pollIntervalS: 10, radiusKm: 50, minMagnitude: 4, roundMinutes: 30, language });
    const status = await hub.app.modules.enable('birlikteyiz');
    if (status.state !== 'loaded') logger.warn({ status }, 'demo: birlikteyiz did not load');
  } catch (err) {
    logger.warn({ err }, 'demo: could not enable birlikteyiz');
  }
  return {
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
