// The module's settings as its code reads them (module.json's settings schema, defaults applied
// by the hub before setup).

import type { SettingsMigration } from '@unibos/module-api';
import type { AlertLanguage } from './alert-wording.ts';

export interface BirlikteyizSettings {
  minMagnitude: number;
  maxAgeMinutes: number;
  pollIntervalS: number;
  /** `none`: no region, so no quake alerts (what an unusable region saved before settings version 2 becomes). */
  regionMode: 'fleet' | 'radius' | 'polygon' | 'none';
  radiusKm: number;
  centerLatitude?: number;
  centerLongitude?: number;
  polygon: number[][];
  meshAlerts: boolean;
  checkInRounds: boolean;
  roundMinutes: number;
  usgsUrl: string;
  emscUrl: string;
  afadUrl: string;
  kandilliUrl: string;
  /** The language of what goes into the mesh: quake alerts, the check-in question, assembly points. */
  language: AlertLanguage;
}

export function readSettings(raw: Readonly<Record<string, unknown>>): BirlikteyizSettings {
  return raw as unknown as BirlikteyizSettings;
}

/**
 * What stops the module alerting of quakes, or null: `region_none`, no region is set (chosen, or a
 * region saved unusable before version 2 that migrateSettings set to none). The module still runs
 * (rounds by hand, SOS and "I am safe", assembly points) and says so in its log and its screen.
 */
export function quakeAlertsProblem(s: BirlikteyizSettings): { code: 'region_none' } | null {
  return s.regionMode === 'none' ? { code: 'region_none' } : null;
}

/** Whether region settings can pick quakes out: a circle with its centre, a polygon of 3 corners or more. */
function regionUsable(s: Record<string, unknown>): boolean {
  if (s.regionMode === 'radius') return typeof s.centerLatitude === 'number' && typeof s.centerLongitude === 'number';
  if (s.regionMode === 'polygon') return Array.isArray(s.polygon) && s.polygon.length >= 3;
  return true;
}

/**
 * The hub entry's settings migration (module.json's settings `version`; version 3: see
 * withoutBadFeedUrls). Version 2 refuses, when
 * saved, a circle without a centre and a polygon of fewer than 3 corners; a hub may have saved
 * such a region under version 1, when nothing checked it, and the hub would refuse to start the
 * module with it (check-in rounds, SOS and all). Such a region becomes `none`: the module starts,
 * alerts of no quake, and says why until a region is set; every other value stays as saved (the
 * centre or corners the admin had begun are still there to complete).
 */
export const migrateSettings: SettingsMigration = (settings, fromVersion) => {
  let out = settings;
  if (fromVersion < 2 && !regionUsable(out)) out = { ...out, regionMode: 'none' };
  if (fromVersion < 3) out = withoutBadFeedUrls(out);
  return out;
};

/** module.json's `pattern` for a feed URL: an http:// or https:// address, or empty (the feed off). */
const FEED_URL = /^\s*(?:https?:\/\/[^\s/?#]+\S*)?\s*$/i;

/** Words an admin may have typed, before version 3 checked the field, to turn a feed off. */
const OFF_WORDS = new Set(['off', 'no', 'none', 'disabled', 'false', '0', '-', 'kapalı', 'kapali', 'yok', 'hayır', 'hayir']);

/**
 * Version 3 refuses, when saved, a feed URL that is no web address ("earthquake.usgs.gov/…",
 * "htps://…", "file://…"), which the poller could only ever show as unreachable. One saved before
 * would stop the module at start: it goes back to the feed's default (the feed on, as it was
 * meant), unless it is a word for "off" ("off", "none", "kapalı"…): that feed stays off (empty).
 */
function withoutBadFeedUrls(settings: Record<string, unknown>): Record<string, unknown> {
  const out = { ...settings };
  for (const key of ['usgsUrl', 'emscUrl', 'afadUrl', 'kandilliUrl']) {
    const value = out[key];
    if (typeof value !== 'string' || FEED_URL.test(value)) continue;
    const word = value.trim();
    if (OFF_WORDS.has(word.toLowerCase()) || OFF_WORDS.has(word.toLocaleLowerCase('tr'))) out[key] = '';
    else delete out[key];
  }
  return out;
}
