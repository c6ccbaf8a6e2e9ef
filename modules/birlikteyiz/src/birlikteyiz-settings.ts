// The module's settings as its code reads them (module.json's settings schema, defaults applied
// by the hub before setup).

import type { AlertLanguage } from './alert-wording.ts';

export interface BirlikteyizSettings {
  minMagnitude: number;
  maxAgeMinutes: number;
  pollIntervalS: number;
  regionMode: 'fleet' | 'radius' | 'polygon';
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
