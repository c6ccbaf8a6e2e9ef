// A mistyped feed URL (no scheme, "htps://", "file://") is refused when saved, naming the setting;
// one that reaches the poller anyway is an error that says what is wrong (not "unreachable" for
// ever, as if the internet were down), in English and on the Turkish screen; one saved before it
// was checked goes back to the feed's default instead of stopping the module at start.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { validateSettings } from '@unibos/module-api';
import { migrateSettings } from '../src/birlikteyiz-settings.ts';
import { FeedPoller, publicFeedStatus } from '../src/feed-poller.ts';
import { parseUsgsFeed } from '../src/feeds/usgs-feed.ts';

const manifest = JSON.parse(readFileSync(new URL('../module.json', import.meta.url), 'utf8')) as { settings: { version: number; schema: Record<string, unknown> } };
const BAD = ['earthquake.usgs.gov/earthquakes/feed/v1.0/summary/2.5_hour.geojson', 'htps://earthquake.usgs.gov/x', 'file:///etc/passwd', 'http://'];

const refused = (settings: Record<string, unknown>): string => {
  try {
    validateSettings(manifest.settings.schema, settings);
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
};

test('a feed URL that is no http:// or https:// address is refused when saved, naming the setting', () => {
  for (const url of BAD) for (const key of ['usgsUrl', 'emscUrl', 'afadUrl', 'kandilliUrl']) assert.match(refused({ [key]: url }), new RegExp(`^settings: ${key} must match`), `${key}: ${url}`);
  for (const url of ['', 'https://deprem.afad.gov.tr/apiv2/event/filter?orderby=timedesc&limit=50', 'http://www.koeri.boun.edu.tr/scripts/lst0.asp', 'https://user:key@feeds.example.org:8443/q']) assert.equal(refused({ usgsUrl: url }), 'accepted', url);
  assert.equal(refused({}), 'accepted', 'and the defaults');
});

test('a bad feed URL that reaches the poller is an error saying the address is wrong, in English and Turkish, and nothing is fetched', async () => {
  for (const url of BAD) {
    const fetched: string[] = [];
    const poller = new FeedPoller({ source: 'usgs', url, parse: parseUsgsFeed, fetch: (u, init) => (fetched.push(u), fetch(u, init)), intervalMs: 60_000, now: Date.now });
    assert.deepEqual(await poller.poll(), { quakes: [], rejected: 0 });
    const shown = publicFeedStatus(poller.status);
    assert.deepEqual([shown.state, shown.errorCode, shown.lastError], ['error', 'E_FEED_URL', 'the feed URL is not a web address (http:// or https://): correct it in the module settings'], url);
    assert.deepEqual(fetched, [], url);
  }
  const { TR } = (await import(new URL('../ui/locales/tr.js', import.meta.url).href)) as { TR: Record<string, unknown> };
  assert.equal(TR['the feed URL is not a web address (http:// or https://): correct it in the module settings'], 'kaynak adresi bir web adresi değil (http:// ya da https://): modül ayarlarından düzeltin', 'the screen says it in Turkish');
});

test('a bad feed URL saved before it was checked goes back to the default when the hub upgrades the settings; the rest stays', () => {
  const saved = { usgsUrl: BAD[0], emscUrl: '', afadUrl: BAD[1], kandilliUrl: 'http://www.koeri.boun.edu.tr/scripts/lst0.asp', minMagnitude: 4.5 };
  const migrated = migrateSettings(saved, 2, manifest.settings.version);
  assert.deepEqual(migrated, { emscUrl: '', kandilliUrl: 'http://www.koeri.boun.edu.tr/scripts/lst0.asp', minMagnitude: 4.5 });
  const started = validateSettings(manifest.settings.schema, migrated) as Record<string, unknown>;
  assert.equal(started.usgsUrl, 'https://earthquake.usgs.gov/earthquakes/feed/v1.0/summary/2.5_hour.geojson', 'the module starts with the feed on, at its default');
});

test('a feed an admin turned off with a word ("off", "kapalı") before version 3 checked the field stays off after the upgrade', () => {
  const saved = { usgsUrl: 'DISABLED', emscUrl: ' None ', afadUrl: 'KAPALI', kandilliUrl: 'kapalı' };
  const migrated = migrateSettings(saved, 2, manifest.settings.version);
  assert.deepEqual(migrated, { usgsUrl: '', emscUrl: '', afadUrl: '', kandilliUrl: '' });
  const started = validateSettings(manifest.settings.schema, migrated) as Record<string, unknown>;
  assert.deepEqual([started.usgsUrl, started.emscUrl, started.afadUrl, started.kandilliUrl], ['', '', '', ''], 'every feed stays off');
});
