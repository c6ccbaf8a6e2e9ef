// The module's settings as its code reads them (module.json's settings schema, defaults applied
// by the hub before setup).

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
}

export function readSettings(raw: Readonly<Record<string, unknown>>): BirlikteyizSettings {
  return raw as unknown as BirlikteyizSettings;
}
